#pragma once
// The S3 store with the old local directory behind it. New blobs go to S3;
// a blob not (yet) in S3 is read from <data-dir>/blobs. migrate() moves the
// local blobs into the bucket while the server keeps serving: each object
// is sent with its SHA-256 checked on the way (a local file that no longer
// matches its name is left where it is and reported), and only then is the
// local file removed. A migration cut short resumes where it stopped: what
// is already in the bucket is not sent again.

#include "core/clock.hpp"
#include "storage/blob_store.hpp"
#include "storage/s3_blob_store.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kho::storage {

struct migration_status {
    std::string state = "idle";  // idle, running, done, failed
    std::uint64_t total = 0;     // local blobs found when it started
    std::uint64_t moved = 0;     // sent and removed locally
    std::uint64_t already = 0;   // already in the bucket (removed locally)
    std::uint64_t bytes = 0;     // bytes sent
    std::uint64_t failed = 0;
    std::vector<std::string> errors;  // the first 100
    unix_ms started_at = 0, finished_at = 0;
};

class migrating_blob_store final : public blob_store {
  public:
    migrating_blob_store(std::unique_ptr<s3_blob_store> s3, std::unique_ptr<local_blob_store> local);
    ~migrating_blob_store() override;

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
    const std::filesystem::path& tmp_dir() const noexcept override { return s3_->tmp_dir(); }
    std::optional<std::filesystem::path> local_path(const std::string& sha256_hex) const override;
    result<std::string> presign_get(const std::string& sha256_hex,
                                    const presign_options& options) const override;
    std::string_view kind() const noexcept override { return "s3"; }

    // Starts moving the local blobs in the background. errc::conflict when
    // a migration is running.
    result<void> start_migration(kho::clock clk = {});
    // Runs a migration to its end on the calling thread.
    migration_status migrate(kho::clock clk = {});
    migration_status status() const;

  private:
    std::unique_ptr<s3_blob_store> s3_;
    std::unique_ptr<local_blob_store> local_;
    mutable std::mutex mutex_;
    migration_status status_;
    std::thread worker_;
    std::atomic<bool> stopping_{false};
};

}  // namespace kho::storage
