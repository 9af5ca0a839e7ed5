#pragma once
// Runs the real kho-worker (KHO_WORKER_PATH) in remote mode against a test
// server: `kho-worker --server http://127.0.0.1:<port> --name N --work-dir D
// --lease S`, with the token in KHO_WORKER_TOKEN and its log in D/../<N>.log.
// kill9() simulates a machine that vanishes.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kho::test {

struct worker_options {
    std::uint16_t port = 0;
    std::string token;
    std::string name;
    std::filesystem::path work_dir;
    int lease_seconds = 10;
    std::vector<std::string> extra_args;  // e.g. {"--once"}
};

class worker_process {
  public:
    explicit worker_process(worker_options options);
    ~worker_process();  // SIGKILL and reap if still running
    worker_process(const worker_process&) = delete;
    worker_process& operator=(const worker_process&) = delete;

    pid_t pid() const { return pid_; }
    bool running() const { return pid_ > 0; }
    // Sends a signal without waiting.
    void signal(int sig) const;
    // Waits up to `seconds` for the exit; its status (as from waitpid), or
    // -1 when it did not exit (then it is killed).
    int wait(int seconds);
    void kill9();
    // The worker's own children (its sandboxed jobs), from /proc.
    std::vector<pid_t> children() const;
    std::string log() const;

  private:
    worker_options options_;
    std::filesystem::path log_file_;
    pid_t pid_ = -1;
};

// Whether a process is gone (or a zombie nobody reaped yet).
bool process_gone(pid_t pid);

}  // namespace kho::test
