#pragma once
// Builds the response for downloading a stored blob with the full RFC 9110
// semantics: strong ETag (the SHA-256), Last-Modified, conditional requests
// (304/412), single ranges (206), several ranges (multipart/byteranges),
// unsatisfiable ranges (416), If-Range, and a Content-Disposition that keeps
// Vietnamese names. The body refers to the open file; nothing is read here.

#include "api/http_message.hpp"
#include "storage/blob_store.hpp"

#include <string>

namespace kho::api {

struct download_spec {
    storage::blob_file file;
    std::string sha256;
    std::int64_t last_modified = 0;  // unix seconds
    std::string file_name;
    std::string content_type;
    // Originals are attachments served under a sandboxing CSP: kho did not
    // make them, so a browser must never render them as a page of kho's.
    bool attachment = true;
};

response build_download(const request& req, download_spec spec);

// Any representation made of body segments (a ZIP laid out ahead, for
// instance), served with the same semantics: validators, conditionals,
// single and multiple ranges, HEAD.
struct representation {
    std::vector<body_segment> parts;
    std::uint64_t size = 0;
    std::string etag;  // strong, with quotes
    std::int64_t last_modified = 0;
    std::string file_name;
    std::string content_type;
    bool attachment = true;
};

response serve_representation(const request& req, representation rep);

struct app;
// With --downloads redirect: turns a 200/206 download of the stored blob
// `sha256` that is an attachment into a 302 to a presigned URL of the
// object store (same name, type and range semantics; the bytes then flow
// from the store). Inline files (thumbnails, players), HEAD, several
// ranges and blobs the store cannot sign for stay proxied.
void offer_redirect(const app& a, const request& req, response& r, const std::string& sha256);

}  // namespace kho::api
