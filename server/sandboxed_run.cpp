#include "server/sandboxed_run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace kho::server {
namespace {

constexpr std::size_t k_max_captured = 64 * 1024;

void set_limit(int resource, rlim_t value) {
    rlimit rl{value, value};
    (void)::setrlimit(resource, &rl);
}

void close_pipe(int (&p)[2]) {
    ::close(p[0]);
    ::close(p[1]);
}

}  // namespace

void child_registry::kill_all() {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    for (pid_t pid : pids_) ::kill(pid, SIGKILL);
}

bool child_registry::stopped() const {
    std::lock_guard lock(mutex_);
    return stopped_;
}

sandbox_outcome run_sandboxed(const std::vector<std::string>& args, const sandbox_limits& limits,
                              child_registry& children) {
    sandbox_outcome result;
    result.status = 127 << 8;
    if (args.empty()) return result;
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) return result;
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        close_pipe(out_pipe);
        return result;
    }
    std::vector<std::string> argv_store = args;
    std::vector<char*> argv;
    for (auto& a : argv_store) argv.push_back(a.data());
    argv.push_back(nullptr);
    const auto cpu_seconds = static_cast<rlim_t>(limits.timeout.count() + 5);

    std::unique_lock lock(children.mutex_);
    if (children.stopped_) {
        close_pipe(out_pipe);
        close_pipe(err_pipe);
        return result;
    }
    pid_t pid = ::fork();
    if (pid == 0) {
        // Child: only async-signal-safe calls until exec.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        // A parent may block signals for a thread of its own to take them
        // (kho-worker --server); the decoder starts with none blocked.
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) ::dup2(devnull, 0);
        ::close_range(3, ~0U, 0);
        // No network where unprivileged namespaces are allowed.
        (void)::unshare(CLONE_NEWUSER | CLONE_NEWNET);
#if !defined(__SANITIZE_ADDRESS__)
        // (AddressSanitizer reserves terabytes of address space up front.)
        set_limit(RLIMIT_AS, limits.max_memory);
#endif
        set_limit(RLIMIT_CPU, cpu_seconds);
        set_limit(RLIMIT_FSIZE, limits.max_output);
        set_limit(RLIMIT_NOFILE, 256);
        set_limit(RLIMIT_CORE, 0);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    if (pid > 0) children.pids_.insert(pid);
    lock.unlock();
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (pid < 0) {
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        return result;
    }
    result.status = 0;

    auto deadline = std::chrono::steady_clock::now() + limits.timeout;
    std::array<pollfd, 2> fds{pollfd{out_pipe[0], POLLIN, 0}, pollfd{err_pipe[0], POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int open_fds = 2;
    char buf[8192];
    while (open_fds > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
        if (left <= 0) {
            result.timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
        int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<long>(left, 1000)));
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            auto got = ::read(fds[i].fd, buf, sizeof buf);
            if (got > 0) {
                if (sinks[i]->size() < k_max_captured)
                    sinks[i]->append(buf, static_cast<std::size_t>(got));
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) ::close(f.fd);
    while (::waitpid(pid, &result.status, 0) < 0 && errno == EINTR) {
    }
    std::lock_guard relock(children.mutex_);
    children.pids_.erase(pid);
    return result;
}

std::string describe_exit(int status, bool timed_out, std::chrono::seconds timeout) {
    if (timed_out)
        return "the job took longer than " + std::to_string(timeout.count()) + " s and was stopped";
    if (WIFSIGNALED(status))
        return std::string("the worker died (") + ::strsignal(WTERMSIG(status)) +
               "); the file may be damaged or too large to decode";
    return "the worker failed with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace kho::server
