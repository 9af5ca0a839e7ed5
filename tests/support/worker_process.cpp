#include "tests/support/worker_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace kho::test {
namespace fs = std::filesystem;

worker_process::worker_process(worker_options options) : options_(std::move(options)) {
    log_file_ = options_.work_dir.parent_path() / (options_.name + ".log");
    std::vector<std::string> args{KHO_WORKER_PATH,
                                  "--server",
                                  "http://127.0.0.1:" + std::to_string(options_.port),
                                  "--name",
                                  options_.name,
                                  "--work-dir",
                                  options_.work_dir.string(),
                                  "--lease",
                                  std::to_string(options_.lease_seconds)};
    args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    std::vector<std::string> env{"PATH=/usr/bin:/bin", "LANG=C.UTF-8",
                                 "KHO_WORKER_TOKEN=" + options_.token};
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        int log = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (log >= 0) {
            ::dup2(log, 1);
            ::dup2(log, 2);
        }
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
}

worker_process::~worker_process() {
    kill9();
}

void worker_process::signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
}

int worker_process::wait(int seconds) {
    if (pid_ <= 0) return -1;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            kill9();
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
    return status;
}

void worker_process::kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

std::vector<pid_t> worker_process::children() const {
    std::vector<pid_t> out;
    if (pid_ <= 0) return out;
    std::error_code ec;
    // A child belongs to the thread that forked it: look at every thread.
    for (fs::directory_iterator it("/proc/" + std::to_string(pid_) + "/task", ec), end;
         !ec && it != end; it.increment(ec)) {
        std::ifstream in(it->path() / "children");
        pid_t p = 0;
        while (in >> p) out.push_back(p);
    }
    return out;
}

std::string worker_process::log() const {
    std::ifstream in(log_file_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool process_gone(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    if (!in) return true;
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    auto close = stat.rfind(')');
    return close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] == 'Z';
}

}  // namespace kho::test
