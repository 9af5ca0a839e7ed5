#pragma once
// The command line of kho-worker's remote mode:
//
//   kho-worker --server URL [--token-file F | --token T] [--name N]
//              [--work-dir D] [--concurrency 1] [--lease 120] [--once]
//
// The token comes from --token-file, else KHO_WORKER_TOKEN, else --token.
// It is never logged; KHO_WORKER_TOKEN is removed from the environment and
// a --token argument is blanked in the process's argument memory once read,
// so that neither reaches the decoding child nor stays in `ps` (the short
// moment before that is why --token-file or the variable are preferred).

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace kho::server {

struct remote_worker_options {
    std::string server;               // http://host[:port][/prefix]
    std::string token;                // an API token of a worker (or admin) account
    std::string name;                 // Default: the host name; shown in the job listing
    std::filesystem::path work_dir;   // Default: a fresh directory under $TMPDIR, removed at exit
    bool own_work_dir = false;        // work_dir was made by us (remove it at exit)
    unsigned concurrency = 1;         // Default: 1 job at a time
    std::chrono::seconds lease{120};  // Default: 120 s lease, renewed every third of it
    bool once = false;                // Default: false; take at most one job, then exit
    std::filesystem::path self;       // this executable, run as each job's sandboxed child
};

struct remote_parse_outcome {
    std::optional<remote_worker_options> options;
    int exit_code = 0;  // when options is empty: 0 (--help) or 2 (usage error)
};

// True when argv asks for the remote mode (has --server).
bool wants_remote_mode(int argc, char** argv);

// Parses argv and the environment. Prints --help and usage errors itself.
remote_parse_outcome parse_remote_worker_options(int argc, char** argv);

}  // namespace kho::server
