#pragma once
// Runs one media job's `kho-worker` child in a sandbox: resource limits
// (address space, CPU time, file size, descriptors, no core dumps), a
// wall-clock deadline, no inherited descriptors, /dev/null as stdin, killed
// with its parent thread and, where the kernel allows unprivileged
// namespaces, no network. Shared by the server's local workers
// (media_supervisor) and by remote workers (kho-worker --server), so that a
// job gets the same isolation wherever it runs.
//
// Thread safety: run_sandboxed may be called from several threads at once;
// each call waits for its own child.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace kho::server {

struct sandbox_limits {
    std::chrono::seconds timeout{900};      // Default: 15 min wall clock
    std::uint64_t max_memory = 4ull << 30;  // Default: 4 GiB address space
    std::uint64_t max_output = 8ull << 30;  // Default: 8 GiB per output file
};

struct sandbox_outcome {
    int status = 0;  // waitpid status; 127 << 8 when the child could not start
    bool timed_out = false;
    std::string out, err;  // the first 64 KiB of each stream
};

// The children running under one owner, so that a stop can kill them all.
// Once kill_all() was called no new child starts (run_sandboxed answers
// status 127 at once): a stop never races a fork.
class child_registry {
  public:
    void kill_all();
    bool stopped() const;

  private:
    friend sandbox_outcome run_sandboxed(const std::vector<std::string>&, const sandbox_limits&,
                                         child_registry&);
    mutable std::mutex mutex_;
    bool stopped_ = false;
    std::set<pid_t> pids_;
};

// Starts args[0] (an absolute path) with `args`, collects its output until
// it exits or the deadline passes (then SIGKILL), and reaps it.
sandbox_outcome run_sandboxed(const std::vector<std::string>& args, const sandbox_limits& limits,
                              child_registry& children);

// A sentence for a child that did not finish cleanly: killed at the
// deadline, died of a signal, or exited with a status.
std::string describe_exit(int status, bool timed_out, std::chrono::seconds timeout);

}  // namespace kho::server
