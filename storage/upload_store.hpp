#pragma once
// Resumable (tus) uploads in progress: one record per upload in the
// `uploads` column family and its bytes in <data-dir>/tmp/tus/<id>.part.
// The record's offset is the number of bytes known to be durable; the file
// may be longer after a crash (bytes written but not yet acknowledged), and
// is cut back to the offset before the next append. The record also keeps the
// SHA-256 state at that offset, so the digest is known at completion without
// reading the file again.
//
// Thread safety: all member functions may be called concurrently; claim()
// gives one request at a time the right to append to an upload.

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ulid.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kho::storage {

class database;

struct upload_record {
    enum class concat_kind { none, partial, final };

    ulid id;
    std::string owner;
    std::optional<std::uint64_t> length;  // nothing while deferred
    std::uint64_t offset = 0;
    std::string metadata;  // Upload-Metadata as received
    concat_kind concat = concat_kind::none;
    std::vector<std::string> parts;  // ids of the partial uploads of a final one
    std::string hash_state;          // resumable_sha256 state at `offset`
    unix_ms created_at = 0;
    unix_ms expires_at = 0;
    std::optional<std::string> asset_id;  // set once the upload became an asset/version
    std::optional<std::uint32_t> version;
};

class upload_store {
  public:
    upload_store(database& db, std::filesystem::path tmp_dir, kho::clock clk = {});

    // Creates the record and its empty file.
    result<upload_record> create(upload_record r);
    result<upload_record> get(const ulid& id) const;
    // Commits a changed record (synchronous write).
    result<void> save(const upload_record& r);
    // Records progress after the appended bytes were made durable, without
    // waiting for the log to reach the disk: losing this write to a power
    // failure only makes the upload resume from an older offset, whose
    // bytes and digest state are both on disk. (A process crash loses
    // nothing: the write has reached the kernel.)
    result<void> save_progress(const upload_record& r);
    // Removes the record and the file.
    result<void> remove(const ulid& id);
    // Every record (for limits, expiry and recovery).
    std::vector<upload_record> all() const;

    // Removes expired records (a finished upload's record is kept until then
    // so that clients can still ask what it became) with their files, and
    // files that have no record (a crash between creating the file and
    // committing its record). Returns how many uploads were removed.
    std::size_t sweep();

    std::filesystem::path file_of(const ulid& id) const;
    const std::filesystem::path& dir() const { return dir_; }

    // One writer per upload: false when another request holds it. The
    // holder leaves `interrupt` for a newer request to abort it with.
    bool claim(const ulid& id, std::function<void()> interrupt = {});
    void release(const ulid& id);
    // Aborts the request holding the upload (its connection is closed; it
    // saves what it received and releases). Thread-safe.
    void interrupt(const ulid& id);

    const kho::clock& clock() const { return clock_; }
    ulid next_id() { return ids_.next(); }

  private:
    database& db_;
    std::filesystem::path dir_;
    kho::clock clock_;
    ulid_generator ids_;
    std::mutex busy_mutex_;
    std::map<std::string, std::function<void()>> busy_;
};

}  // namespace kho::storage
