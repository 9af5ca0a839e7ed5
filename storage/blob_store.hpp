#pragma once
// Content-addressed, immutable blobs. The interface is what the rest of kho
// sees; local_blob_store keeps files under <data-dir>/blobs/sha256/ab/cd/<hex>,
// s3_blob_store (storage/s3_blob_store.hpp) keeps objects in an S3 bucket.
//
// Writing: begin_write() gives a blob_writer that hashes while it writes to
// <data-dir>/tmp/. finish() fsyncs. place() renames the file into its final
// path (or drops it when that content is already stored) and fsyncs the
// directory, so the blob is durable before any metadata refers to it.
// A writer destroyed before place() removes its temporary file: a refused or
// failed upload leaves nothing behind.
//
// Thread safety: all member functions may be called concurrently. Callers
// serialize place()/remove() of the same digest (asset_store holds a lock).

#include "core/error.hpp"
#include "storage/unique_fd.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kho {
class sha256;
}

namespace kho::storage {


struct blob_info {
    std::string sha256;  // lower-case hex
    std::uint64_t size = 0;
};

// Where a remote store's writer sends the bytes (an S3 multipart upload).
// Destroyed before the writer is placed, it discards what it sent.
class blob_sink {
  public:
    virtual ~blob_sink() = default;
    virtual result<void> write(const char* data, size_t size) = 0;
    // Everything is sent and stored (not yet under its digest).
    virtual result<void> finish() = 0;
};

class blob_writer {
  public:
    blob_writer(unique_fd fd, std::filesystem::path tmp_path, std::uint64_t max_size);
    // Wraps a complete, already durable file under tmp/ (a finished resumable
    // upload) so that place() can move it into the store. Removed on
    // destruction unless placed, or kept with `keep_unplaced` (a resumable
    // upload's file: a completion that fails on storage trouble is tried
    // again later, from the same file).
    static blob_writer adopt(std::filesystem::path path, std::uint64_t size,
                             bool keep_unplaced = false);
    // A writer whose bytes go to a remote store's sink.
    blob_writer(std::unique_ptr<blob_sink> sink, std::uint64_t max_size);
    blob_writer(blob_writer&&) noexcept;
    blob_writer& operator=(blob_writer&&) = delete;
    ~blob_writer();

    // Appends and hashes. errc::payload_too_large past max_size (nothing is
    // kept), errc::insufficient_storage on ENOSPC/EDQUOT.
    result<void> write(const char* data, size_t size);
    // Flushes to stable storage and returns the digest. No writes after it.
    result<blob_info> finish();

    std::uint64_t size() const noexcept { return size_; }
    // Empty for a writer with a sink.
    const std::filesystem::path& tmp_path() const noexcept { return tmp_path_; }
    blob_sink* sink() const noexcept { return sink_.get(); }
    // After a successful place(): the file is no longer ours to delete.
    void release() noexcept { released_ = true; }

  private:
    unique_fd fd_;
    std::filesystem::path tmp_path_;
    std::unique_ptr<blob_sink> sink_;
    std::unique_ptr<sha256> hash_;
    std::uint64_t size_ = 0;
    std::uint64_t max_size_;
    bool released_ = false;
    bool finished_ = false;
    bool keep_unplaced_ = false;
};

// Reads a blob's bytes in order (from a remote store, or a local file).
class byte_stream {
  public:
    virtual ~byte_stream() = default;
    // Up to `capacity` bytes; 0 at the end of the range. errc::unavailable
    // when the store fails part-way (after its retries).
    virtual result<std::size_t> read(char* buffer, std::size_t capacity) = 0;
};

// A blob held by a remote store: any range of it can be streamed.
class remote_blob {
  public:
    virtual ~remote_blob() = default;
    virtual result<std::unique_ptr<byte_stream>> open_range(std::uint64_t offset,
                                                            std::uint64_t length) const = 0;
};

// An open blob: a local file (the descriptor may be shared with concurrent
// readers; blobs are immutable, so read it with pread/sendfile at explicit
// offsets only), or an object of a remote store.
struct blob_file {
    std::shared_ptr<unique_fd> fd;
    std::shared_ptr<const remote_blob> remote;
    std::uint64_t size = 0;
};

// Streams [offset, offset + length) of either kind of blob.
result<std::unique_ptr<byte_stream>> open_stream(const blob_file& file, std::uint64_t offset,
                                                 std::uint64_t length);
// Copies a whole blob into a new file at `path` (a media job's input),
// checking that the bytes hash to `sha256_hex`.
result<void> copy_to_file(const blob_file& file, const std::string& sha256_hex,
                          const std::filesystem::path& path);

class blob_store {
  public:
    virtual ~blob_store() = default;
    virtual result<blob_writer> begin_write(std::uint64_t max_size) = 0;
    // The slow part of placing a finished writer, called before any lock is
    // taken: a remote store sends a local file (a finished resumable upload,
    // a media job's output) here. Nothing to do for local files.
    virtual result<void> stage(blob_writer&, const blob_info&) { return ok(); }
    // Makes a finished writer's content durable under its digest. Returns true
    // when the content was new, false when it was already stored.
    virtual result<bool> place(blob_writer& writer, const blob_info& info) = 0;
    // Puts a finished writer's content under its digest even when a blob of
    // that name is stored: the stored one is damaged (damage_registry), and
    // good bytes of the same digest repair it. Atomic: a reader sees the old
    // file or the new one. Callers hold the digest's lock, as for place().
    virtual result<void> replace(blob_writer& writer, const blob_info& info) = 0;
    virtual result<blob_file> open_read(const std::string& sha256_hex) const = 0;
    // Drops whatever the store keeps about an open blob (a cached descriptor
    // or size), so that the next open_read sees the file as it is now: a
    // blob restored from a backup as a new file, or one that went missing.
    virtual void forget(const std::string& /*sha256_hex*/) const {}
    virtual bool exists(const std::string& sha256_hex) const = 0;
    virtual result<void> remove(const std::string& sha256_hex) = 0;
    virtual void for_each(const std::function<void(const blob_info&)>& fn) const = 0;
    // Removes every leftover temporary file (start-up recovery). Returns how many.
    virtual std::size_t clean_tmp() = 0;
    // Where local files for media jobs and resumable uploads go.
    virtual const std::filesystem::path& tmp_dir() const noexcept = 0;
    // The blob as a file of this machine, when the store keeps it so.
    virtual std::optional<std::filesystem::path> local_path(const std::string&) const {
        return std::nullopt;
    }
    // A URL that lets anyone holding it GET the blob until `expires_in`
    // seconds from now, served with these headers (a redirect download).
    // errc::unprocessable when the store cannot sign URLs (local files).
    struct presign_options {
        std::uint32_t expires_in = 300;
        std::string content_disposition;
        std::string content_type;
    };
    virtual result<std::string> presign_get(const std::string& sha256_hex,
                                            const presign_options& options) const;
    // "local" or "s3", for logs and /metrics.
    virtual std::string_view kind() const noexcept = 0;
};

class local_blob_store final : public blob_store {
  public:
    // Creates blobs/ and tmp/ under `data_dir` when missing.
    static result<std::unique_ptr<local_blob_store>> open(const std::filesystem::path& data_dir);

    result<blob_writer> begin_write(std::uint64_t max_size) override;
    result<bool> place(blob_writer& writer, const blob_info& info) override;
    result<void> replace(blob_writer& writer, const blob_info& info) override;
    result<blob_file> open_read(const std::string& sha256_hex) const override;
    void forget(const std::string& sha256_hex) const override;
    bool exists(const std::string& sha256_hex) const override;
    result<void> remove(const std::string& sha256_hex) override;
    void for_each(const std::function<void(const blob_info&)>& fn) const override;
    std::size_t clean_tmp() override;
    const std::filesystem::path& tmp_dir() const noexcept override { return tmp_dir_; }
    std::optional<std::filesystem::path> local_path(const std::string& sha256_hex) const override;
    std::string_view kind() const noexcept override { return "local"; }

    std::filesystem::path path_of(const std::string& sha256_hex) const;

  private:
    // Renames the writer's file to its digest's path and makes that durable.
    // `fresh`: nothing was stored under the name before, so a failure after
    // the rename removes the file again rather than leave a name whose
    // directory entry may not survive a power cut (a later upload of the
    // same bytes would deduplicate against it and never fsync it).
    result<void> put(blob_writer& writer, const blob_info& info, bool fresh);
    local_blob_store(std::filesystem::path blobs, std::filesystem::path tmp)
        : blobs_dir_(std::move(blobs)), tmp_dir_(std::move(tmp)) {}
    std::filesystem::path blobs_dir_;  // <data>/blobs/sha256
    std::filesystem::path tmp_dir_;    // <data>/tmp

    // Recently opened blobs, like nginx's open_file_cache: a small download
    // otherwise spends half its system calls on open, fstat and close.
    // Bounded: when full it is emptied (descriptors close once unused).
    static constexpr std::size_t k_open_files = 256;
    mutable std::mutex open_files_mutex_;
    mutable std::unordered_map<std::string, blob_file> open_files_;
};

// Removes direct-upload leftovers and cut-short media job folders from a
// local tmp/ directory (resumable uploads stay). Returns how many.
std::size_t clean_local_tmp(const std::filesystem::path& tmp_dir);

// fsync of a directory, so that a rename or create inside it is durable.
result<void> fsync_dir(const std::filesystem::path& dir);

}  // namespace kho::storage
