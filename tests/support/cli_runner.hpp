#pragma once
// Runs the kho command-line client (KHO_CLI_PATH) as a child process for
// integration tests, with an environment of only PATH, LANG and what the
// test gives (so a KHO_TOKEN of the person running the tests never leaks
// in), and collects its exit code and both output streams.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace kho::test {

struct cli_result {
    int exit_code = -1;  // 128 + signal when killed
    std::string out;
    std::string err;
};

struct cli_options {
    std::vector<std::pair<std::string, std::string>> env;  // added to PATH and LANG
    std::filesystem::path cwd;                             // empty: the test's
    std::string stdin_text;                                // a line or two at most
};

// Runs `kho args...` to completion (killed after two minutes).
cli_result run_kho(const std::vector<std::string>& args, const cli_options& o = {});

// Starts `kho args...` with its output going to files, for tests that stop
// it midway. Wait with wait_kho().
pid_t spawn_kho(const std::vector<std::string>& args, const std::filesystem::path& out,
                const std::filesystem::path& err);
int wait_kho(pid_t pid);

}  // namespace kho::test
