#pragma once
// Parsing of the tus 1.0 request headers. Pure functions; every malformed
// value is errc::bad_request with a detail naming the header.

#include "core/base64.hpp"
#include "core/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kho::api {

inline constexpr std::string_view tus_version = "1.0.0";

// Upload-Offset, Upload-Length: a non-negative decimal integer, no sign, no
// spaces, at most 19 digits.
result<std::uint64_t> parse_tus_u64(std::string_view header_name, std::string_view value);

// Upload-Metadata: "key base64value,key2 base64value2,flag" (RFC 4648 base64
// with padding; a key without a value has an empty value). Keys are unique,
// non-empty, ASCII without spaces or commas.
result<std::vector<std::pair<std::string, std::string>>> parse_upload_metadata(
    std::string_view value);

// Upload-Checksum: "<algorithm> <base64 digest>" with algorithm sha1, md5 or
// sha256; the digest must have that algorithm's length.
struct upload_checksum {
    std::string algorithm;
    std::string digest;  // raw bytes
};
result<upload_checksum> parse_upload_checksum(std::string_view value);

// Upload-Concat: "partial", or "final;<url> <url>..." where each URL is an
// upload's path (/api/v1/uploads/<id>) or an absolute URL ending in it.
// Returns the upload ids of a final concatenation (empty for partial).
struct upload_concat {
    bool partial = false;
    std::vector<std::string> part_ids;
};
result<upload_concat> parse_upload_concat(std::string_view value);

}  // namespace kho::api
