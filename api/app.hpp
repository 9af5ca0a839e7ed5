#pragma once
// What handlers need from the rest of kho, wired once by the server.

#include "api/metrics.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "storage/backup.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace kho {
class login_throttle;
}

namespace kho::storage {
class asset_store;
class audit_log;
class blob_store;
class catalog_index;
class comment_store;
class job_queue;
class press_kit_store;
class link_keys;
class remote_jobs;
class share_link_store;
class token_store;
class unit_store;
class upload_store;
class usage_store;
class user_store;
}  // namespace kho::storage

namespace kho::api {

struct api_limits {
    // Default: 8 GiB. Largest original accepted by an upload.
    std::uint64_t max_upload_bytes = 8ull << 30;
    // Default: 1 MiB. Largest JSON request body.
    std::size_t max_json_bytes = 1u << 20;
    // Default: empty = kho's built-in list (core/media_types). "*" accepts any
    // sniffed type (kind "other"); meant for trusted bulk imports and tests.
    std::vector<std::string> allowed_types;
    // Default: 24 h. An incomplete resumable upload is removed this long
    // after its creation.
    std::chrono::seconds upload_expiry{24 * 3600};
    // Default: 20. Incomplete resumable uploads one user may hold at once.
    std::size_t max_incomplete_uploads = 20;
    // Default: 64 GiB. Declared bytes of one user's incomplete uploads.
    std::uint64_t max_incomplete_bytes = 64ull << 30;
    // Default: 32 MiB. Largest CSV document (a unit import).
    std::size_t max_document_bytes = 32u << 20;
    // Default: false. Mark the session cookie Secure even without
    // X-Forwarded-Proto: https (kho behind a TLS-terminating proxy).
    bool secure_cookies = false;
    // Default: false. Answer authorized downloads of stored files with a
    // 302 to a presigned URL of the object store (--downloads redirect).
    bool redirect_downloads = false;
    // Default: 300 s. Lifetime of those URLs.
    std::chrono::seconds presign_expiry{300};
    // The media limits of the server's local workers (server/media_supervisor),
    // handed to remote workers with each job so that they apply the same.
    // Default: 100 000 000 pixels per image.
    std::uint64_t media_max_pixels = 100'000'000;
    // Default: 900 s wall clock per job.
    std::chrono::seconds media_timeout{900};
    // Default: 4 GiB address space per worker process.
    std::uint64_t media_max_memory = 4ull << 30;
    // Default: 8 GiB per output file; also the largest rendition upload.
    std::uint64_t media_max_output = 8ull << 30;
};

struct app {
    storage::asset_store& assets;
    storage::blob_store& blobs;
    storage::token_store& tokens;
    storage::upload_store& uploads;
    storage::user_store& users;
    storage::unit_store& units;
    storage::audit_log& audit;
    storage::comment_store& comments;
    storage::job_queue& jobs;
    storage::catalog_index& catalog;
    storage::usage_store& usage;
    storage::press_kit_store& press_kits;
    storage::share_link_store& links;
    storage::link_keys& link_keys;
    kho::login_throttle& throttle;
    kho::clock clock;  // the time that policy decisions (validity windows) use
    metrics_registry& metrics;
    boost::asio::any_io_executor blocking;  // bounded pool for fsync, RocksDB writes
    api_limits limits;
    // Online backup into a directory of this machine (wired by the server,
    // which owns the database).
    std::function<result<storage::backup_report>(const std::filesystem::path&)> backup;
    // Media jobs leased to remote workers (wired by the server; null: the
    // /api/v1/worker routes answer 503).
    storage::remote_jobs* remote = nullptr;
    std::atomic<bool> ready{false};
    std::atomic<bool> stopping{false};
    // Threads that stream a remote store's objects into responses (reads
    // from S3 block); unset with the local store.
    boost::asio::any_io_executor remote_io{};
};

// Runs `fn` on the blocking pool and resumes the calling coroutine with its
// result. Keeps fsync and synchronous RocksDB commits off the I/O threads.
template <class F>
auto run_blocking(app& a, F&& fn) -> boost::asio::awaitable<decltype(fn())> {
    using R = decltype(fn());
    co_return co_await boost::asio::co_spawn(
        a.blocking, [&fn]() -> boost::asio::awaitable<R> { co_return fn(); },
        boost::asio::use_awaitable);
}

}  // namespace kho::api
