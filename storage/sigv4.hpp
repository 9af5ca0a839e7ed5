#pragma once
// AWS Signature Version 4 query signing (presigned URLs), written from the
// published specification and tested against AWS's own example. Requests
// that kho sends itself are signed by libcurl (CURLOPT_AWS_SIGV4); a
// presigned URL is a string kho hands to a browser, so it is signed here.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kho::storage {

struct sigv4_credentials {
    std::string access_key;
    std::string secret_key;
    std::string region = "us-east-1";
    std::string service = "s3";
};

struct presign_request {
    std::string method = "GET";
    std::string scheme = "http";   // "http" or "https"
    std::string host;              // "127.0.0.1:7480" or "bucket.s3.amazonaws.com"
    std::string path;              // unencoded: "/bucket/key"; encoded here
    std::vector<std::pair<std::string, std::string>> query;  // unencoded extra parameters
    std::int64_t now = 0;          // unix seconds (the signature's date)
    std::uint32_t expires = 300;   // seconds, 1..604800
};

// RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~
// is %XX (upper-case hex); '/' kept when `keep_slash`.
std::string sigv4_encode(std::string_view s, bool keep_slash = false);

// "20130524T000000Z"
std::string amz_date(std::int64_t unix_seconds);

// The full URL: scheme://host/path?X-Amz-...&X-Amz-Signature=...
std::string presign_url(const sigv4_credentials& c, const presign_request& r);

}  // namespace kho::storage
