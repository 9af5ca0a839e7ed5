#pragma once
// One original streamed from the server into a local file, shared by
// kho download and kho export: resumes a partial file with Range + If-Range,
// hashes while writing, verifies against the strong ETag (the SHA-256 in
// quotes) and shows a progress bar on a terminal.

#include "tools/context.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kho::cli {

// A decimal number with nothing around it; nullopt for anything else.
std::optional<std::uint64_t> parse_u64(std::string_view s);

// The SHA-256 an original's ETag carries ("\"<64 lower-case hex>\"");
// nullopt for any other ETag.
std::optional<std::string> sha256_from_etag(std::string_view etag);

struct download_request {
    std::string target;  // request target of the original (api_target)
    std::string path;    // local file: truncated, or appended to when resuming
    // Default: 0 (download from the start). Otherwise the first `resume_from`
    // bytes of `path` are kept and only the rest is asked for.
    std::uint64_t resume_from = 0;
    // With resume_from: the ETag the kept bytes belong to. When the server's
    // copy changed, it answers 200 and the file is rewritten from the start.
    std::string if_range;
    std::string what;   // names the download in errors ("01JH…", "Áp phích, version 2")
    std::string label;  // progress bar label; default: path
    // Appended to the message of a transfer that broke after the file was
    // opened, e.g. ": run the same command to resume".
    std::string interrupted_advice;
    // Appended to a SHA-256 mismatch after a resume (the kept bytes may not
    // belong to this file).
    std::string resumed_mismatch_advice;
};

struct download_outcome {
    std::uint64_t start = 0;  // bytes kept from before (0 when the server sent the whole file)
    std::uint64_t bytes = 0;  // bytes received and written by this call
    std::string sha256;       // of the whole file, verified against the ETag
};

// Throws command_error with the problem's detail for an HTTP error, when the
// server sends no SHA-256 ETag, when a resume answer starts elsewhere, and on
// a SHA-256 mismatch (the file is left as written). transport_error when the
// server cannot be reached or the transfer breaks; the part received stays in
// `path`. Local I/O errors are command_error (file_io.hpp).
download_outcome download_file(context& ctx, const download_request& req);

}  // namespace kho::cli
