#pragma once
// Internal to storage/: lifts RocksDB's stop of writes after a full disk
// once space returns, without a restart.
//
// A failed write of RocksDB's log or of a flush stops all writes (its
// "background error"). For no space it is a hard error that RocksDB lifts
// itself: its SstFileManager retries at once and every 5 s, without
// looking at the free space. But in 7.8 a retry made while the disk is
// still full flushes the memtables, cannot create the new log file, and
// that failure ("memtable" reason) is fatal: writes stay refused until a
// restart (the fault-injection test saw exactly this). So kho turns
// RocksDB's own retries off for no-space errors (an EventListener) and
// calls DB::Resume() itself, once a second, only when the file system has
// `min_free_bytes` free again. Other I/O errors are fatal to RocksDB (it
// cannot know what reached its log): those need a restart, which replays
// the log.

#include <rocksdb/db.h>
#include <rocksdb/listener.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

namespace kho::storage {

class write_resumer {
  public:
    // Default: 256 MiB, room for a new log file (RocksDB preallocates
    // about 70 MiB) and the flushes of the memtables.
    static constexpr std::uint64_t default_min_free_bytes = 256ull << 20;
    explicit write_resumer(std::filesystem::path db_dir,
                           std::uint64_t min_free_bytes = default_min_free_bytes);
    ~write_resumer();  // stops the thread; call before closing the DB
    write_resumer(const write_resumer&) = delete;
    write_resumer& operator=(const write_resumer&) = delete;

    // Goes into DBOptions::listeners before DB::Open.
    std::shared_ptr<rocksdb::EventListener> listener() const { return listener_; }
    // Starts watching an open database.
    void start(rocksdb::DB* db);

    // Shared with the listener and the thread.
    struct watch;

  private:
    std::filesystem::path dir_;
    std::uint64_t min_free_;
    std::shared_ptr<watch> state_;
    std::shared_ptr<rocksdb::EventListener> listener_;
    std::thread thread_;
};

}  // namespace kho::storage
