#pragma once
// A resumable (tus 1.0) upload driven request by request, the way a client
// such as tus-js-client does it, for the tests that break the server under
// it (crash loop, fault injection): create, PATCH chunks, and after a
// failure ask for the offset (HEAD) and go on from there.

#include "core/base64.hpp"
#include "tests/support/http_client.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kho::test {

inline header_fields tus_request_headers(header_fields credentials, header_fields extra = {}) {
    extra.emplace_back("Tus-Resumable", "1.0.0");
    for (auto& h : credentials) extra.push_back(std::move(h));
    return extra;
}

// POST /api/v1/uploads; the upload's path is the answer's Location.
inline http_response tus_create(http_client& c, const header_fields& credentials,
                                std::uint64_t length, const std::string& file_name) {
    return c.request("POST", "/api/v1/uploads",
                     tus_request_headers(credentials,
                                         {{"Upload-Length", std::to_string(length)},
                                          {"Upload-Metadata",
                                           "filename " + kho::encode_base64(file_name)}}));
}

inline http_response tus_patch(http_client& c, const header_fields& credentials,
                               const std::string& location, std::uint64_t offset,
                               std::string_view data) {
    return c.request("PATCH", location,
                     tus_request_headers(credentials,
                                         {{"Upload-Offset", std::to_string(offset)},
                                          {"Content-Type", "application/offset+octet-stream"}}),
                     std::string(data));
}

// The upload's acknowledged offset, if the server answers.
inline std::optional<std::uint64_t> tus_offset(http_client& c, const header_fields& credentials,
                                               const std::string& location) {
    auto r = c.request("HEAD", location, tus_request_headers(credentials));
    if (r.status != 200) return std::nullopt;
    auto v = r.header("Upload-Offset");
    if (!v) return std::nullopt;
    return std::stoull(*v);
}

}  // namespace kho::test
