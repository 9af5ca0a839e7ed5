#pragma once
// kho-server's configuration: built once at start-up from flags, with every
// flag also readable from a KHO_* environment variable (flags win).

#include "core/error.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kho::server {

struct server_config {
    // Default: 127.0.0.1:8080. Address and port to listen on (port 0: any free port).
    std::string listen = "127.0.0.1:8080";
    // Default: ./kho-data. Where the database, blobs and temporary files live.
    std::filesystem::path data_dir = "kho-data";
    // Default: number of cores. Threads running the HTTP I/O loop.
    unsigned threads = 0;
    // Default: 2. Threads for fsync and synchronous database commits.
    unsigned blocking_threads = 2;
    // Default: 8 GiB. Largest upload accepted.
    std::uint64_t max_upload_bytes = 8ull << 30;
    // Default: 1 MiB. Largest JSON request body.
    std::uint64_t max_json_bytes = 1u << 20;
    // Default: 16 KiB. Largest request header block (431 beyond it).
    std::uint32_t max_header_bytes = 16 * 1024;
    // Default: 10000. Connections served at once; more are refused with 503.
    std::uint32_t max_connections = 10000;
    // Default: 10 s. Time allowed for a new connection's first request header.
    std::chrono::seconds header_timeout{10};
    // Default: 60 s. Keep-alive wait for the next request.
    std::chrono::seconds idle_timeout{60};
    // Default: 30 s. Longest pause while reading a body or writing a response.
    std::chrono::seconds io_timeout{30};
    // Default: 1024 B/s. After --io-timeout seconds of a request body, its
    // average rate must be at least this (slow-body attacks); 0: no minimum.
    std::uint64_t min_body_rate = 1024;
    // Default: 20 s. On SIGINT/SIGTERM, how long in-flight requests may finish.
    std::chrono::seconds shutdown_grace{20};
    // Default: "-" (stdout). Access log destination: "-", "off", or a file.
    std::string access_log = "-";
    // Default: none. File holding the bootstrap admin token (else KHO_ADMIN_TOKEN).
    std::optional<std::filesystem::path> admin_token_file;
    // Default: none. Write the bound port here once listening (for scripts and tests).
    std::optional<std::filesystem::path> port_file;
    // Default: none = "web" next to the server's directory (the build tree's
    // build/<type>/web). The built web UI (index.html and static/).
    std::optional<std::filesystem::path> web_root;
    // Default: kho's built-in list. Comma-separated MIME types, or "*".
    std::vector<std::string> allowed_types;
    // Default: 86400 s. An incomplete resumable upload expires after this.
    std::chrono::seconds upload_expiry{86400};
    // Default: 20. Incomplete resumable uploads per user.
    std::uint32_t max_incomplete_uploads = 20;
    // Default: 64 GiB. Declared bytes of one user's incomplete uploads.
    std::uint64_t max_incomplete_bytes = 64ull << 30;

    // Default: 7200 s. A browser session ends after this long without a request.
    std::chrono::seconds session_idle{7200};
    // Default: 43200 s. A browser session ends this long after sign-in.
    std::chrono::seconds session_lifetime{43200};
    // Default: false. Mark the session cookie Secure (kho behind a TLS proxy
    // that does not send X-Forwarded-Proto).
    bool secure_cookies = false;

    // Default: one per core. Media jobs run at once (0: none run; the queue
    // keeps them).
    std::uint32_t media_concurrency = 0;
    bool media_concurrency_set = false;
    // Default: 900 s. Wall-clock limit of one media job.
    std::chrono::seconds media_timeout{900};
    // Default: 4 GiB. Address space of one media worker process.
    std::uint64_t media_max_memory = 4ull << 30;
    // Default: 100 000 000. Largest image (pixels) a worker decodes.
    std::uint64_t media_max_pixels = 100'000'000;
    // Default: 4. Runs of a media job before it is left failed.
    std::uint32_t media_attempts = 4;
    // Default: 10 s. Wait after a job's first failure; doubles each time.
    std::chrono::seconds media_retry_delay{10};
    // Default: kho-worker next to kho-server. The media worker executable.
    std::optional<std::filesystem::path> worker_path;

    // Default: local. Where blobs live: "local" (<data-dir>/blobs) or "s3".
    std::string blob_store = "local";
    // S3 (--blob-store s3): endpoint URL, region, bucket, addressing style.
    std::string s3_endpoint;
    std::string s3_region = "us-east-1";
    std::string s3_bucket;
    // Default: path. "path" (endpoint/bucket/key) or "virtual" (bucket.endpoint/key).
    std::string s3_addressing = "path";
    // Default: none. File with the access and secret keys (mode 0600); else
    // KHO_S3_ACCESS_KEY and KHO_S3_SECRET_KEY.
    std::optional<std::filesystem::path> s3_credentials_file;
    // Default: 16 MiB. Multipart upload part size.
    std::uint64_t s3_part_size = 16ull << 20;
    // Default: 32. Requests to the object store at once (and threads
    // streaming proxied downloads).
    std::uint32_t s3_max_connections = 32;
    // Default: proxy. "proxy" streams downloads through kho; "redirect"
    // answers authorized downloads with a presigned URL (S3 only).
    std::string downloads = "proxy";
    // Default: 300 s. Lifetime of a presigned download URL.
    std::chrono::seconds presign_expiry{300};

    // Checks ranges and relations between fields.
    result<void> validate() const;
};

// Parses argv (and the environment). Prints --help/--version and errors itself;
// returns an exit code when the program should stop.
struct parse_outcome {
    std::optional<server_config> config;
    int exit_code = 0;
};
parse_outcome parse_config(int argc, char** argv);

}  // namespace kho::server
