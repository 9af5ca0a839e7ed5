#include "tests/support/cli_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace kho::test {
namespace {

struct exec_args {
    std::vector<std::string> argv_s, env_s;
    std::vector<char*> argv, envp;
    exec_args(const std::vector<std::string>& args,
              const std::vector<std::pair<std::string, std::string>>& env) {
        argv_s.push_back(KHO_CLI_PATH);
        argv_s.insert(argv_s.end(), args.begin(), args.end());
        env_s = {"PATH=/usr/bin:/bin", "LANG=C.UTF-8"};
        for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
        for (auto& a : argv_s) argv.push_back(a.data());
        argv.push_back(nullptr);
        for (auto& e : env_s) envp.push_back(e.data());
        envp.push_back(nullptr);
    }
};

int exit_code_of(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

cli_result run_kho(const std::vector<std::string>& args, const cli_options& o) {
    exec_args x(args, o.env);
    const std::string dir = o.cwd.string();
    if (o.stdin_text.size() >= 4096) throw std::invalid_argument("stdin_text is too long");
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 ||
        ::pipe2(err_pipe, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe2 failed");
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        if (!dir.empty() && ::chdir(dir.c_str()) != 0) ::_exit(126);
        ::dup2(in_pipe[0], 0);
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        ::execve(x.argv[0], x.argv.data(), x.envp.data());
        ::_exit(127);
    }
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    // Far below a pipe's capacity: the write cannot block.
    if (!o.stdin_text.empty()) (void)!::write(in_pipe[1], o.stdin_text.data(), o.stdin_text.size());
    ::close(in_pipe[1]);

    cli_result r;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string* sinks[2] = {&r.out, &r.err};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    int open_fds = 2;
    while (open_fds > 0 && std::chrono::steady_clock::now() < deadline) {
        if (::poll(fds, 2, 1000) < 0) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            char buf[65536];
            const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                sinks[i]->append(buf, static_cast<size_t>(n));
            } else {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) ::close(f.fd);
    if (open_fds > 0) ::kill(pid, SIGKILL);  // hung: the test fails on the exit code
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.exit_code = exit_code_of(status);
    return r;
}

pid_t spawn_kho(const std::vector<std::string>& args, const std::filesystem::path& out,
                const std::filesystem::path& err) {
    exec_args x(args, {});
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int in = ::open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || in < 0) ::_exit(126);
        ::dup2(in, 0);
        ::dup2(o, 1);
        ::dup2(e, 2);
        ::execve(x.argv[0], x.argv.data(), x.envp.data());
        ::_exit(127);
    }
    return pid;
}

int wait_kho(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
    }
    return exit_code_of(status);
}

}  // namespace kho::test
