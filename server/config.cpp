#include "server/config.hpp"

#include <CLI/CLI.hpp>

#include <thread>

namespace kho::server {

result<void> server_config::validate() const {
    if (threads == 0 || threads > 256)
        return make_error(errc::invalid_parameter, "--threads must be 1 to 256");
    if (blocking_threads == 0 || blocking_threads > 64)
        return make_error(errc::invalid_parameter, "--blocking-threads must be 1 to 64");
    if (max_header_bytes < 1024)
        return make_error(errc::invalid_parameter, "--max-header-bytes must be at least 1024");
    if (max_json_bytes == 0 || max_upload_bytes == 0)
        return make_error(errc::invalid_parameter, "body limits must be positive");
    if (max_connections == 0)
        return make_error(errc::invalid_parameter, "--max-connections must be positive");
    if (header_timeout.count() <= 0 || idle_timeout.count() <= 0 || io_timeout.count() <= 0)
        return make_error(errc::invalid_parameter, "timeouts must be positive");
    if (listen.rfind(':') == std::string::npos)
        return make_error(errc::invalid_parameter, "--listen must be HOST:PORT");
    if (blob_store != "local" && blob_store != "s3")
        return make_error(errc::invalid_parameter, "--blob-store must be local or s3");
    if (downloads != "proxy" && downloads != "redirect")
        return make_error(errc::invalid_parameter, "--downloads must be proxy or redirect");
    if (downloads == "redirect" && blob_store != "s3")
        return make_error(errc::invalid_parameter,
                          "--downloads redirect needs --blob-store s3 (local files have no URL)");
    if (s3_addressing != "path" && s3_addressing != "virtual")
        return make_error(errc::invalid_parameter, "--s3-addressing must be path or virtual");
    if (blob_store == "s3" && (s3_endpoint.empty() || s3_bucket.empty()))
        return make_error(errc::invalid_parameter,
                          "--blob-store s3 needs --s3-endpoint and --s3-bucket");
    return ok();
}

parse_outcome parse_config(int argc, char** argv) {
    server_config c;
    c.threads = std::max(1u, std::thread::hardware_concurrency());
    CLI::App cli{"kho-server: the content repository of the education communication campaign"};
    cli.set_version_flag("--version", "kho 0.1.0");
    // The last occurrence of a flag wins, as in most Unix tools (a wrapper
    // script may append an override).
    cli.option_defaults()->always_capture_default()->multi_option_policy(
        CLI::MultiOptionPolicy::TakeLast);

    std::int64_t header_timeout = c.header_timeout.count();
    std::int64_t idle_timeout = c.idle_timeout.count();
    std::int64_t io_timeout = c.io_timeout.count();
    std::int64_t grace = c.shutdown_grace.count();
    std::int64_t upload_expiry = c.upload_expiry.count();
    std::string data_dir = c.data_dir.string();
    std::string admin_token_file, port_file, allowed, web_root;

    cli.add_option("--listen", c.listen, "HOST:PORT to listen on")->envname("KHO_LISTEN");
    cli.add_option("--data-dir", data_dir, "data directory")->envname("KHO_DATA_DIR");
    cli.add_option("--threads", c.threads, "HTTP I/O threads")
        ->check(CLI::Range(1u, 256u))
        ->envname("KHO_THREADS");
    cli.add_option("--blocking-threads", c.blocking_threads, "threads for fsync and commits")
        ->check(CLI::Range(1u, 64u))
        ->envname("KHO_BLOCKING_THREADS");
    cli.add_option("--max-upload-bytes", c.max_upload_bytes, "largest upload")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 50))
        ->envname("KHO_MAX_UPLOAD_BYTES");
    cli.add_option("--max-json-bytes", c.max_json_bytes, "largest JSON body")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 30))
        ->envname("KHO_MAX_JSON_BYTES");
    cli.add_option("--max-header-bytes", c.max_header_bytes, "largest request header (431 beyond)")
        ->check(CLI::Range(1024u, 1u << 20))
        ->envname("KHO_MAX_HEADER_BYTES");
    cli.add_option("--max-connections", c.max_connections, "connections served at once")
        ->check(CLI::Range(1u, 1000000u))
        ->envname("KHO_MAX_CONNECTIONS");
    cli.add_option("--header-timeout", header_timeout, "seconds for a first request header")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{86400}))
        ->envname("KHO_HEADER_TIMEOUT");
    cli.add_option("--idle-timeout", idle_timeout, "keep-alive seconds between requests")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{86400}))
        ->envname("KHO_IDLE_TIMEOUT");
    cli.add_option("--io-timeout", io_timeout, "longest pause in seconds reading or writing a body")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{86400}))
        ->envname("KHO_IO_TIMEOUT");
    cli.add_option("--min-body-rate", c.min_body_rate,
                   "bytes per second a request body must average after --io-timeout (0: none)")
        ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1} << 40))
        ->envname("KHO_MIN_BODY_RATE");
    cli.add_option("--shutdown-grace", grace, "seconds in-flight requests get on shutdown")
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{3600}))
        ->envname("KHO_SHUTDOWN_GRACE");
    cli.add_option("--access-log", c.access_log, "access log: -, off or a file path")
        ->envname("KHO_ACCESS_LOG");
    cli.add_option("--admin-token-file", admin_token_file,
                   "file with the bootstrap admin token (else KHO_ADMIN_TOKEN, else generated)")
        ->envname("KHO_ADMIN_TOKEN_FILE");
    cli.add_option("--web-root", web_root, "the built web UI (default: ../web next to this program)")
        ->envname("KHO_WEB_ROOT");
    cli.add_option("--port-file", port_file, "write the bound port to this file")
        ->envname("KHO_PORT_FILE");
    cli.add_option("--allowed-types", allowed,
                   "comma-separated MIME types accepted, or * for any (default: built-in list)")
        ->envname("KHO_ALLOWED_TYPES");

    cli.add_option("--upload-expiry", upload_expiry,
                   "seconds after which an incomplete resumable upload is removed")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{30} * 86400))
        ->envname("KHO_UPLOAD_EXPIRY");
    std::int64_t session_idle = c.session_idle.count();
    std::int64_t session_lifetime = c.session_lifetime.count();
    cli.add_option("--session-idle", session_idle,
                   "seconds without a request after which a browser session ends")
        ->check(CLI::Range(std::int64_t{60}, std::int64_t{7} * 86400))
        ->envname("KHO_SESSION_IDLE");
    cli.add_option("--session-lifetime", session_lifetime,
                   "seconds after sign-in at which a browser session ends")
        ->check(CLI::Range(std::int64_t{60}, std::int64_t{30} * 86400))
        ->envname("KHO_SESSION_LIFETIME");
    cli.add_flag("--secure-cookies", c.secure_cookies,
                 "mark the session cookie Secure (behind a TLS-terminating proxy)")
        ->envname("KHO_SECURE_COOKIES");
    std::int64_t media_timeout = c.media_timeout.count();
    std::string worker_path;
    auto* concurrency = cli.add_option("--media-concurrency", c.media_concurrency,
                                       "media jobs run at once (default: one per core; 0: none)")
                            ->check(CLI::Range(0u, 256u))
                            ->envname("KHO_MEDIA_CONCURRENCY");
    cli.add_option("--media-timeout", media_timeout, "seconds one media job may take")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{24} * 3600))
        ->envname("KHO_MEDIA_TIMEOUT");
    cli.add_option("--media-max-memory", c.media_max_memory,
                   "address space of one media worker process, bytes")
        ->check(CLI::Range(std::uint64_t{64} << 20, std::uint64_t{1} << 40))
        ->envname("KHO_MEDIA_MAX_MEMORY");
    cli.add_option("--media-max-pixels", c.media_max_pixels, "largest image a worker decodes, pixels")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 34))
        ->envname("KHO_MEDIA_MAX_PIXELS");
    std::int64_t retry_delay = c.media_retry_delay.count();
    cli.add_option("--media-attempts", c.media_attempts,
                   "runs of a media job before it is left failed")
        ->check(CLI::Range(1u, 100u))
        ->envname("KHO_MEDIA_ATTEMPTS");
    cli.add_option("--media-retry-delay", retry_delay,
                   "seconds to wait after a media job's first failure (doubling)")
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{86400}))
        ->envname("KHO_MEDIA_RETRY_DELAY");
    cli.add_option("--worker", worker_path, "the kho-worker executable (default: next to kho-server)")
        ->envname("KHO_WORKER");
    cli.add_option("--max-incomplete-uploads", c.max_incomplete_uploads,
                   "incomplete resumable uploads one user may hold")
        ->check(CLI::Range(1u, 100000u))
        ->envname("KHO_MAX_INCOMPLETE_UPLOADS");
    cli.add_option("--max-incomplete-bytes", c.max_incomplete_bytes,
                   "declared bytes of one user's incomplete uploads")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 50))
        ->envname("KHO_MAX_INCOMPLETE_BYTES");

    std::string s3_credentials_file;
    std::int64_t presign_expiry = c.presign_expiry.count();
    cli.add_option("--blob-store", c.blob_store, "where blobs live: local or s3")
        ->envname("KHO_BLOB_STORE");
    cli.add_option("--s3-endpoint", c.s3_endpoint, "S3 endpoint URL, e.g. https://s3.example.vn")
        ->envname("KHO_S3_ENDPOINT");
    cli.add_option("--s3-region", c.s3_region, "S3 region")->envname("KHO_S3_REGION");
    cli.add_option("--s3-bucket", c.s3_bucket, "S3 bucket (created when missing)")
        ->envname("KHO_S3_BUCKET");
    cli.add_option("--s3-addressing", c.s3_addressing, "path or virtual (bucket.host)")
        ->envname("KHO_S3_ADDRESSING");
    cli.add_option("--s3-credentials-file", s3_credentials_file,
                   "file (mode 0600) with access_key= and secret_key= lines "
                   "(else KHO_S3_ACCESS_KEY, KHO_S3_SECRET_KEY)")
        ->envname("KHO_S3_CREDENTIALS_FILE");
    cli.add_option("--s3-part-size", c.s3_part_size, "multipart upload part size, bytes")
        ->check(CLI::Range(std::uint64_t{5} << 20, std::uint64_t{5} << 30))
        ->envname("KHO_S3_PART_SIZE");
    cli.add_option("--s3-max-connections", c.s3_max_connections,
                   "requests to the object store at once")
        ->check(CLI::Range(1u, 1024u))
        ->envname("KHO_S3_MAX_CONNECTIONS");
    cli.add_option("--downloads", c.downloads,
                   "proxy (stream through kho) or redirect (presigned URLs; S3 only)")
        ->envname("KHO_DOWNLOADS");
    cli.add_option("--presign-expiry", presign_expiry, "seconds a presigned download URL lives")
        ->check(CLI::Range(std::int64_t{10}, std::int64_t{7} * 86400))
        ->envname("KHO_PRESIGN_EXPIRY");

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return {std::nullopt, cli.exit(e)};
    }
    c.data_dir = data_dir;
    if (!s3_credentials_file.empty()) c.s3_credentials_file = s3_credentials_file;
    c.presign_expiry = std::chrono::seconds(presign_expiry);
    c.header_timeout = std::chrono::seconds(header_timeout);
    c.idle_timeout = std::chrono::seconds(idle_timeout);
    c.io_timeout = std::chrono::seconds(io_timeout);
    c.shutdown_grace = std::chrono::seconds(grace);
    c.upload_expiry = std::chrono::seconds(upload_expiry);
    c.session_idle = std::chrono::seconds(session_idle);
    c.media_timeout = std::chrono::seconds(media_timeout);
    c.media_retry_delay = std::chrono::seconds(retry_delay);
    c.media_concurrency_set = concurrency->count() > 0;
    if (!worker_path.empty()) c.worker_path = worker_path;
    c.session_lifetime = std::chrono::seconds(session_lifetime);
    if (!admin_token_file.empty()) c.admin_token_file = admin_token_file;
    if (!port_file.empty()) c.port_file = port_file;
    if (!web_root.empty()) c.web_root = web_root;
    for (size_t pos = 0; pos < allowed.size();) {
        auto comma = allowed.find(',', pos);
        if (comma == std::string::npos) comma = allowed.size();
        auto item = allowed.substr(pos, comma - pos);
        if (!item.empty()) c.allowed_types.push_back(item);
        pos = comma + 1;
    }
    return {c, 0};
}

}  // namespace kho::server
