#pragma once
// Runs media jobs: a few slots (threads, never the HTTP I/O threads), each
// taking the next job from the queue and running `kho-worker` on it in a
// child process with resource limits (address space, CPU time, file size,
// descriptors), a wall-clock deadline, no inherited descriptors and, where
// the kernel allows it, no network (server/sandboxed_run.hpp, shared with
// remote workers). The child's outputs become renditions;
// its failure fails only its job.

#include "core/job.hpp"
#include "server/sandboxed_run.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kho::storage {
class asset_store;
class job_queue;
class blob_store;
}  // namespace kho::storage

namespace kho::server {

struct media_options {
    unsigned concurrency = 1;                // Default: one job per core (set by the server)
    std::chrono::seconds timeout{900};       // Default: 15 min wall clock per job
    std::uint64_t max_memory = 4ull << 30;   // Default: 4 GiB address space per worker
    std::uint64_t max_output = 8ull << 30;   // Default: 8 GiB per output file
    std::uint64_t max_pixels = 100'000'000;  // Default: 100 megapixels per image
    std::filesystem::path worker;            // the kho-worker executable
};

class media_supervisor {
  public:
    media_supervisor(storage::job_queue& jobs, storage::asset_store& assets,
                     storage::blob_store& blobs, media_options options);
    ~media_supervisor();
    media_supervisor(const media_supervisor&) = delete;
    media_supervisor& operator=(const media_supervisor&) = delete;

    // Puts jobs a crash left running back in the queue and starts the slots.
    void start();
    // Stops taking jobs, kills running workers (their jobs run again at the
    // next start) and joins the slots.
    void stop();
    // Wakes an idle slot (a job was enqueued).
    void wake();

  private:
    using outcome = sandbox_outcome;
    void slot();
    void run(const job& j);
    outcome spawn(const std::vector<std::string>& args);

    storage::job_queue& jobs_;
    storage::asset_store& assets_;
    storage::blob_store& blobs_;
    media_options options_;
    std::string worker_id_;

    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::uint64_t wakeups_ = 0;
    child_registry children_;  // running workers, killed by stop()
    std::vector<std::thread> threads_;
};

}  // namespace kho::server
