#pragma once
// Blobs as objects of an S3 bucket (Ceph RGW, MinIO, AWS S3), with the same
// guarantees as local_blob_store: content-addressed, immutable, deduplicated,
// and durable before any metadata refers to them.
//
// Keys: `blobs/sha256/ab/cd/<hex>` for stored blobs; `tmp/<random>` while an
// upload's digest is not yet known.
//
// Writing: begin_write() gives a writer whose bytes go into a multipart
// upload of a tmp/ key (parts of `part_size`, one part uploading on a
// background thread while the next fills, so memory is two parts per
// upload). finish() completes it. place() copies tmp/ to the final key on
// the server side (or drops it when the content is already stored) and
// deletes the tmp/ object. A writer destroyed before place() aborts its
// multipart upload or deletes its tmp/ object; clean_tmp() at start-up
// aborts every multipart upload and deletes every tmp/ object left by a
// crash. Local files (finished resumable uploads, media outputs) are sent
// by stage(), before place() takes any lock.
//
// Reading: open_read() asks for the object's size (cached; blobs never
// change) and returns a handle whose ranges are streamed with ranged GETs.

#include "storage/blob_store.hpp"
#include "storage/s3_client.hpp"

#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace kho::storage {

class s3_blob_store final : public blob_store {
  public:
    // Checks (and creates) the bucket. `tmp_dir` is a local directory for
    // resumable uploads and media jobs (<data-dir>/tmp).
    static result<std::unique_ptr<s3_blob_store>> open(s3_config config,
                                                       const std::filesystem::path& data_dir);
    ~s3_blob_store() override;

    result<blob_writer> begin_write(std::uint64_t max_size) override;
    result<void> stage(blob_writer& writer, const blob_info& info) override;
    result<bool> place(blob_writer& writer, const blob_info& info) override;
    result<void> replace(blob_writer& writer, const blob_info& info) override;
    result<blob_file> open_read(const std::string& sha256_hex) const override;
    void forget(const std::string& sha256_hex) const override;
    bool exists(const std::string& sha256_hex) const override;
    result<void> remove(const std::string& sha256_hex) override;
    void for_each(const std::function<void(const blob_info&)>& fn) const override;
    std::size_t clean_tmp() override;
    const std::filesystem::path& tmp_dir() const noexcept override { return tmp_dir_; }
    result<std::string> presign_get(const std::string& sha256_hex,
                                    const presign_options& options) const override;
    std::string_view kind() const noexcept override { return "s3"; }

    static std::string key_of(const std::string& sha256_hex);
    s3_client& client() const noexcept { return *client_; }
    // Sends a local file to the bucket as the blob `info` (kho migrate-blobs).
    // `overwrite`: even when an object of that name exists (a damaged one).
    result<bool> put_file(const std::filesystem::path& path, const blob_info& info,
                          bool overwrite = false);

  private:
    s3_blob_store(std::unique_ptr<s3_client> client, std::filesystem::path tmp);
    result<std::optional<std::uint64_t>> size_of(const std::string& hex) const;

    std::unique_ptr<s3_client> client_;
    std::filesystem::path tmp_dir_;
    // Sizes of blobs seen lately (HEAD answers); emptied when full.
    static constexpr std::size_t k_cached_sizes = 4096;
    mutable std::mutex sizes_mutex_;
    mutable std::unordered_map<std::string, std::uint64_t> sizes_;
};

}  // namespace kho::storage
