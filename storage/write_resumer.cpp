#include "storage/write_resumer.hpp"

#include <sys/statvfs.h>

#include <chrono>

namespace kho::storage {

struct write_resumer::watch {
    std::mutex mutex;  // guards the three below
    bool stopped_by_no_space = false;
    std::uint64_t stops = 0;  // no-space stops seen; a resume clears only its own
    std::condition_variable wake;
    bool closing = false;
};

namespace {

// Called by RocksDB with its own mutex held: flags only, no DB calls.
class stop_listener final : public rocksdb::EventListener {
  public:
    explicit stop_listener(std::shared_ptr<write_resumer::watch> w) : w_(std::move(w)) {}

    void OnBackgroundError(rocksdb::BackgroundErrorReason, rocksdb::Status* error) override {
        if (!error || error->ok()) return;
        if (error->IsNoSpace() && error->severity() < rocksdb::Status::Severity::kFatalError) {
            {
                // The resumer thread never calls RocksDB holding this lock.
                std::lock_guard lock(w_->mutex);
                w_->stopped_by_no_space = true;
                ++w_->stops;
            }
            w_->wake.notify_all();
        }
    }
    // RocksDB's own retry of a no-space stop ignores the free space and can
    // make the stop fatal (see the header): write_resumer retries instead.
    void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status error,
                              bool* auto_recovery) override {
        if (error.IsNoSpace() && auto_recovery) *auto_recovery = false;
    }
    void OnErrorRecoveryEnd(const rocksdb::BackgroundErrorRecoveryInfo& info) override {
        if (!info.new_bg_error.ok()) return;
        std::lock_guard lock(w_->mutex);
        w_->stopped_by_no_space = false;
    }

  private:
    std::shared_ptr<write_resumer::watch> w_;
};

}  // namespace

write_resumer::write_resumer(std::filesystem::path db_dir, std::uint64_t min_free_bytes)
    : dir_(std::move(db_dir)),
      min_free_(min_free_bytes),
      state_(std::make_shared<watch>()),
      listener_(std::make_shared<stop_listener>(state_)) {}

write_resumer::~write_resumer() {
    {
        std::lock_guard lock(state_->mutex);
        state_->closing = true;
    }
    state_->wake.notify_all();
    if (thread_.joinable()) thread_.join();
}

void write_resumer::start(rocksdb::DB* db) {
    thread_ = std::thread([w = state_, db, dir = dir_, min_free = min_free_] {
        auto room = [&] {
            struct statvfs fs {};
            return ::statvfs(dir.c_str(), &fs) == 0 &&
                   static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize >= min_free;
        };
        std::unique_lock lock(w->mutex);
        while (!w->closing) {
            if (!w->stopped_by_no_space) {
                w->wake.wait(lock, [&] { return w->closing || w->stopped_by_no_space; });
                continue;
            }
            w->wake.wait_for(lock, std::chrono::seconds(1), [&] { return w->closing; });
            if (w->closing) break;
            const std::uint64_t stop_seen = w->stops;
            lock.unlock();
            // An error when the disk filled again meanwhile: again in a second.
            bool resumed = room() && db->Resume().ok();
            lock.lock();
            // A new stop while resuming is not cleared: it waits its turn.
            if (resumed && w->stops == stop_seen) w->stopped_by_no_space = false;
        }
    });
}

}  // namespace kho::storage
