#pragma once
// The persistent media job queue. A job is enqueued in the same WriteBatch
// that creates its version, so no version is ever left without its job.
// Workers claim a job with a lease; a job whose lease ran out (its worker
// died) is taken again; a failure is retried with exponential back-off and,
// after max_attempts, left failed with its error (dead letter) until an
// admin retries it.
//
// Keys (docs/storage.md): `jobs`: job id (16 raw ULID bytes) -> record;
// `job_index`:
//   'p' + not_before (u64 BE) + id      pending, in run order
//   'r' + lease_until (u64 BE) + id     running, by lease end
//   'a' + asset id + version (u32 BE) + id
//   's' + state name + 0x00 + id        for listings by state
//
// Thread safety: all member functions may be called concurrently; state
// changes are serialized by one mutex (the queue is small and changes are
// rare next to the work they stand for).

#include "core/asset.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/job.hpp"
#include "core/ulid.hpp"

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rocksdb {
class WriteBatch;
}

namespace kho::storage {

class database;

struct job_queue_options {
    int max_attempts = 4;                   // Default: 4 runs, then failed
    unix_ms base_backoff_ms = 10'000;       // Default: 10 s after the first failure, doubling
    unix_ms max_backoff_ms = 3'600'000;     // Default: at most an hour
};

struct job_filter {
    std::optional<job_state> state;
    std::optional<ulid> asset;
};

struct job_page {
    std::vector<job> items;  // newest first
    std::optional<std::string> next_cursor;
};

class job_queue {
  public:
    job_queue(database& db, kho::clock clk = {}, job_queue_options options = {});

    // Adds a job for a new version to `batch` when its type has renditions.
    // Returns the job (not yet committed) or nothing. Call notify() after the
    // batch is committed.
    std::optional<job> enqueue(rocksdb::WriteBatch& batch, const ulid& asset,
                               const asset_version& v);

    // Wakes whoever waits for work (set by the worker supervisor).
    void set_listener(std::function<void()> fn);
    void notify();

    // Takes the next runnable job (pending, not_before reached) and holds it
    // for `lease_ms`. Nothing when none is runnable.
    result<std::optional<job>> claim(const std::string& worker, unix_ms lease_ms);

    // Moves a claimed job's lease end to now + `lease_ms` (a remote
    // worker's heartbeat). errc::conflict when the caller's lease is gone:
    // the job was taken over, finished or failed meanwhile. A lease that ran
    // out but was not reclaimed yet is still the caller's and is renewed.
    result<job> extend_lease(const job& claimed, unix_ms lease_ms);

    // Marks a claimed job done, in the caller's batch (the batch that
    // commits its renditions). errc::conflict when the caller's lease is gone.
    result<void> complete(rocksdb::WriteBatch& batch, const job& claimed);
    // Records a failed run: back to pending after a back-off, or failed for
    // good when `retryable` is false or attempts are used up.
    result<job> fail(const job& claimed, std::string error, bool retryable);

    // Running jobs whose lease ended go back to pending. Returns how many.
    std::size_t reclaim_expired();
    // At start: no local worker runs yet, so every running job held by one
    // is pending again. Jobs leased by remote workers (worker names starting
    // with k_remote_worker_prefix) keep their lease: those workers may well
    // still be at work, and reclaim_expired() takes the job back if not.
    std::size_t requeue_running();

    // How the names of remote workers' leases start ("remote:...").
    static constexpr std::string_view k_remote_worker_prefix = "remote:";

    // An admin's retry of a failed job: pending now, attempts reset.
    // errc::conflict unless it is failed.
    result<job> retry(const ulid& id);

    result<job> get(const ulid& id) const;
    result<job_page> list(const job_filter& f, const std::optional<std::string>& cursor,
                          std::size_t limit) const;
    std::vector<job> for_version(const ulid& asset, std::uint32_t version) const;
    // Removes every job of an asset (a purge), in the caller's batch.
    void remove_for_asset(rocksdb::WriteBatch& batch, const ulid& asset) const;

    const job_queue_options& options() const noexcept { return options_; }
    kho::clock& clock() noexcept { return clock_; }

  private:
    result<job> load(const ulid& id) const;
    void put(rocksdb::WriteBatch& batch, const job* before, const job& after) const;

    database& db_;
    kho::clock clock_;
    job_queue_options options_;
    ulid_generator ids_;
    mutable std::mutex mutex_;
    std::function<void()> listener_;
};

}  // namespace kho::storage
