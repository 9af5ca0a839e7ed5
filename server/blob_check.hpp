#pragma once
// Checking a whole blob while it is sent (docs/storage.md, "Damaged blobs").
//
// A blob's name is its SHA-256, and SHA-256 runs at about 1.8 GB/s on one
// core: for a 30 KiB download it was more CPU than everything else the
// server does for it. So the first full download of a blob since the
// server started hashes it with SHA-256 and, in the same pass, with
// XXH3-128 (over 10 GB/s); when the SHA-256 matches, the XXH3 value is a
// checksum of the blob's true bytes and is remembered. Later downloads of
// that blob are checked with XXH3 alone. A flipped byte changes the XXH3
// value as surely as the SHA-256 for everything but a deliberate
// collision, and nobody who could make one can write into the blob
// store. The remembered values are in memory only (a bounded table): a
// restart, or a blob pushed out of the table, goes through SHA-256 again.

#include "core/sha256.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kho::server {

// Blob digest (SHA-256, hex) -> XXH3-128 of its verified bytes. Thread-safe.
class known_checksums {
  public:
    using digest = std::array<std::uint8_t, 32>;
    using checksum = std::array<std::uint8_t, 16>;

    // 131,072 blobs, about 10 MB.
    static constexpr std::size_t default_capacity = std::size_t{1} << 17;
    known_checksums() : known_checksums(default_capacity) {}
    explicit known_checksums(std::size_t capacity);

    std::optional<checksum> find(std::string_view sha256_hex) const;
    void remember(std::string_view sha256_hex, const checksum& value);
    std::size_t size() const;

  private:
    struct digest_hash {
        std::size_t operator()(const digest& d) const noexcept;
    };
    struct shard {
        mutable std::mutex mutex;
        std::unordered_map<digest, checksum, digest_hash> values;
    };
    static constexpr std::size_t shard_count = 16;
    shard& shard_of(const digest& d) const;

    std::size_t per_shard_;
    mutable std::array<shard, shard_count> shards_;
};

// One whole blob, fed in order. mismatch() says whether the bytes are the
// blob's: nothing when they are (and remembers their XXH3 if it was not
// known), else what they were found to be.
class blob_check {
  public:
    blob_check(known_checksums& known, std::string sha256_hex);
    ~blob_check();
    blob_check(const blob_check&) = delete;
    blob_check& operator=(const blob_check&) = delete;

    void update(const void* data, std::size_t size);
    std::optional<std::string> mismatch();

    // Whether this check runs SHA-256 (the blob's checksum was not known).
    bool full() const { return !expected_; }

  private:
    struct xxh_state;
    known_checksums& known_;
    std::string sha256_hex_;
    std::optional<known_checksums::checksum> expected_;
    std::optional<kho::sha256> sha_;  // only when the checksum is not known
    std::unique_ptr<xxh_state> xxh_;
};

}  // namespace kho::server
