#pragma once
// A blocking client for the S3 operations kho needs, on libcurl. Requests
// are signed by libcurl (CURLOPT_AWS_SIGV4) with x-amz-content-sha256:
// UNSIGNED-PAYLOAD; presigned URLs by storage/sigv4.
//
// Contract:
// - Thread-safe. At most `max_connections` requests run at once (callers
//   wait for a slot); connections are kept alive and reused.
// - A request that fails with a transport error, 500/502/503/504, 408 or
//   429 is retried with exponential back-off (100 ms doubling, `retries`
//   times). What still fails is errc::unavailable ("the object store at …
//   is unreachable"), which the API answers with 503. A 404 is
//   errc::not_found; any other refusal is errc::internal with S3's code.
// - Bodies stream: uploads read from a callback (a memory buffer or a file
//   at an offset), downloads hand pieces to the caller; nothing holds a
//   whole object in memory.
// - The secret key never appears in logs or errors.

#include "core/error.hpp"
#include "storage/blob_store.hpp"
#include "storage/sigv4.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kho::storage {

struct s3_config {
    std::string endpoint;  // "http://127.0.0.1:7480", "https://s3.example.vn"
    std::string region = "us-east-1";
    std::string bucket;
    std::string access_key;
    std::string secret_key;
    bool path_style = true;                  // else virtual-host: bucket.host
    std::uint64_t part_size = 16ull << 20;   // multipart part size (5 MiB .. 5 GiB)
    unsigned max_connections = 32;
    unsigned retries = 4;
    std::chrono::seconds connect_timeout{10};
    std::chrono::seconds stall_timeout{60};  // no byte for this long: the request fails
};

// Checks a configuration: endpoint URL, bucket name, keys, part size.
result<void> validate(const s3_config& c);

struct s3_object {
    std::string key;
    std::uint64_t size = 0;
};

struct s3_multipart {
    std::string key;
    std::string upload_id;
    std::string initiated;  // ISO 8601, as S3 reports it
};

class s3_client {
  public:
    explicit s3_client(s3_config config);
    ~s3_client();
    s3_client(const s3_client&) = delete;
    s3_client& operator=(const s3_client&) = delete;

    const s3_config& config() const noexcept { return config_; }

    // Creates the bucket when it does not exist yet.
    result<void> ensure_bucket();
    // The object's size, or nothing when there is no such object.
    result<std::optional<std::uint64_t>> head(const std::string& key);
    result<void> remove(const std::string& key);

    // Uploads `size` bytes read by `read_at(offset, buffer, n)` (which fills
    // exactly n bytes or fails) as one object: one PUT up to the part size,
    // a multipart upload above it.
    using reader = std::function<result<void>(std::uint64_t offset, char* buffer, std::size_t n)>;
    result<void> put(const std::string& key, std::uint64_t size, const reader& read_at);

    result<std::string> create_multipart(const std::string& key);
    // Returns the part's ETag.
    result<std::string> upload_part(const std::string& key, const std::string& upload_id,
                                    int part_number, std::string_view bytes);
    result<void> complete_multipart(const std::string& key, const std::string& upload_id,
                                    const std::vector<std::string>& etags);
    result<void> abort_multipart(const std::string& key, const std::string& upload_id);
    // Every unfinished multipart upload under `prefix`.
    result<std::vector<s3_multipart>> list_multipart(const std::string& prefix);

    // A server-side copy (parts of up to 1 GiB above 5 GiB).
    result<void> copy(const std::string& from, const std::string& to, std::uint64_t size);

    // Calls `fn` for every object under `prefix`, in key order.
    result<void> list(const std::string& prefix, const std::function<void(const s3_object&)>& fn);

    // Streams [offset, offset + length) of an object. A connection lost
    // part-way is resumed from the next byte (within the retry budget).
    result<std::unique_ptr<byte_stream>> get(const std::string& key, std::uint64_t offset,
                                             std::uint64_t length);

    // A presigned GET URL for the object (storage/sigv4).
    std::string presign_get(const std::string& key, std::uint32_t expires_in,
                            const std::vector<std::pair<std::string, std::string>>& params,
                            std::int64_t now) const;

    // The URL of a key ("" for the bucket itself); `query` already encoded.
    std::string url(const std::string& key, const std::string& query = {}) const;

    // One request, for the implementation's helpers (public for s3_stream).
    struct exchange;
    result<long> perform(exchange& x);

    // Waits for and releases a connection slot.
    void acquire_slot();
    void release_slot();

  private:
    s3_config config_;
    std::string scheme_, host_;  // from the endpoint ("http", "127.0.0.1:7480")
    std::mutex mutex_;
    std::condition_variable slot_free_;
    unsigned in_use_ = 0;
    std::vector<void*> idle_handles_;  // CURL* kept for connection reuse
    // One connection cache for every request and every download stream
    // (a CURLSH sharing CURL_LOCK_DATA_CONNECT): a proxied download reuses a
    // kept-alive connection to the store instead of opening a new one.
    void* share_ = nullptr;
    std::mutex share_locks_[8];
    friend class s3_stream;
    friend void share_lock(void*, int, int, void*);
    friend void share_unlock(void*, int, void*);
    void* take_handle();
    void return_handle(void* h);
};

}  // namespace kho::storage
