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

}  // namespace kho::api
