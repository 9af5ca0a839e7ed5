#pragma once
// Resumable (tus) uploads in progress: one record per upload in the
// `uploads` column family and its bytes in <data-dir>/tmp/tus/<id>.part.
//
// Two offsets, each with the SHA-256 state after exactly that many bytes (so
// the digest is known at completion without reading the file again):
// - `offset`: acknowledged bytes. Recorded after every append without
//   waiting for the disk: the bytes and the record are in the kernel, so a
//   crash of the process loses neither.
// - `checkpoint`: bytes known to be on disk (fdatasync, then a synchronous
//   record write), taken every 256 MiB or 10 s and at completion.
// A record written during another boot of the machine (a power failure may
// have lost the page cache) falls back to its checkpoint. The file may be
// longer than the offset in use; it is cut back before the next append.
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

namespace rocksdb {
class WriteBatch;
}

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
    std::uint64_t checkpoint = 0;    // durable bytes
    std::string checkpoint_hash_state;
    unix_ms checkpoint_at = 0;
    std::string boot_id;  // the machine boot during which `offset` was recorded
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
    // Commits a changed record durably (synchronous write); with
    // `checkpoint`, the record's offset also becomes its checkpoint (the
    // caller has made the bytes durable first).
    result<void> save(upload_record& r, bool checkpoint = false);
    // Puts the record into another store's batch (asset_store's commit of
    // the asset the upload became), to commit with it.
    void stage_save(rocksdb::WriteBatch& batch, upload_record& r) const;
    // Records acknowledged progress without waiting for the disk.
    result<void> save_progress(upload_record& r);
    // A checkpoint is due every 256 MiB or 10 s of acknowledged progress.
    bool checkpoint_due(const upload_record& r) const;
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

    // Terminations of the last 10 minutes (in memory), so that a client
    // whose DELETE reached the server but whose answer was lost can repeat
    // it and get 204 again (DELETE is idempotent) instead of a 404.
    void note_terminated(const ulid& id, const std::string& owner);
    bool terminated_by(const ulid& id, const std::string& owner) const;

    const kho::clock& clock() const { return clock_; }
    ulid next_id() { return ids_.next(); }

  private:
    static constexpr std::uint64_t k_checkpoint_bytes = 256u << 20;
    static constexpr unix_ms k_checkpoint_ms = 10000;

    database& db_;
    std::filesystem::path dir_;
    kho::clock clock_;
    ulid_generator ids_;
    std::mutex busy_mutex_;
    std::map<std::string, std::function<void()>> busy_;
    static constexpr unix_ms k_terminated_memory_ms = 600'000;
    static constexpr std::size_t k_terminated_max = 10'000;
    mutable std::mutex terminated_mutex_;
    std::map<std::string, std::pair<std::string, unix_ms>> terminated_;  // id -> owner, when
};

}  // namespace kho::storage
