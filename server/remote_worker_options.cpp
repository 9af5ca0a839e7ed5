#include "server/remote_worker_options.hpp"

#include "tools/http_client.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string_view>

namespace kho::server {
namespace {

namespace fs = std::filesystem;

std::string trimmed(std::string s) {
    while (!s.empty() &&
           (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
        s.pop_back();
    std::size_t start = 0;
    while (start < s.size() && (s[start] == ' ' || s[start] == '\t')) ++start;
    return s.substr(start);
}

// The host name as a worker name: [A-Za-z0-9._-], at most 64 characters.
std::string default_name() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "worker";
    std::string out;
    for (const char* p = host; *p && out.size() < 64; ++p) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        out += ok ? c : '-';
    }
    return out;
}

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    return true;
}

// Overwrites the value of --token in the process's argument memory, which
// is what `ps` and /proc/<pid>/cmdline show.
void blank_token_argument(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--token" && i + 1 < argc) {
            std::memset(argv[i + 1], 'x', std::strlen(argv[i + 1]));
        } else if (a.starts_with("--token=")) {
            std::memset(argv[i] + 8, 'x', a.size() - 8);
        }
    }
}

int usage(const std::string& why) {
    std::cerr << "kho-worker: " << why << "\n(see kho-worker --server URL --help)\n";
    return 2;
}

}  // namespace

bool wants_remote_mode(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--server" || a.starts_with("--server=")) return true;
    }
    return false;
}

remote_parse_outcome parse_remote_worker_options(int argc, char** argv) {
    remote_worker_options o;
    CLI::App cli{
        "kho-worker --server: a remote media worker. Takes media jobs from a kho server over its "
        "API, makes their renditions in a sandboxed child process and sends them back."};
    cli.option_defaults()->always_capture_default();
    std::string token_arg, token_file, work_dir;
    std::int64_t lease = o.lease.count();
    cli.add_option("--server", o.server, "the kho server, http://host[:port]")->required();
    cli.add_option("--token-file", token_file, "file whose first line is the API token");
    cli.add_option("--token", token_arg,
                   "API token (prefer --token-file or KHO_WORKER_TOKEN: arguments are visible "
                   "to other users of this machine)");
    cli.add_option("--name", o.name, "this worker's name in the job listing (default: host name)");
    cli.add_option("--work-dir", work_dir,
                   "directory for job files, one per worker process (default: a new one under "
                   "$TMPDIR, removed at exit)");
    cli.add_option("--concurrency", o.concurrency, "jobs run at once")->check(CLI::Range(1u, 64u));
    cli.add_option("--lease", lease, "seconds a job stays leased without a heartbeat")
        ->check(CLI::Range(std::int64_t{10}, std::int64_t{3600}));
    cli.add_flag("--once", o.once, "take at most one job, then exit");
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        blank_token_argument(argc, argv);
        return {std::nullopt, cli.exit(e)};
    }
    blank_token_argument(argc, argv);
    o.lease = std::chrono::seconds(lease);

    try {
        (void)cli::parse_server_url(o.server);
    } catch (const std::invalid_argument& e) {
        return {std::nullopt, usage(std::string(e.what()).replace(0, 5, "--server"))};
    }
    if (!token_file.empty()) {
        std::ifstream in(token_file);
        std::string line;
        if (!in || !std::getline(in, line))
            return {std::nullopt, usage("cannot read the token file " + token_file)};
        o.token = trimmed(line);
    } else if (const char* env = std::getenv("KHO_WORKER_TOKEN"); env && *env) {
        o.token = trimmed(env);
    } else {
        o.token = trimmed(token_arg);
    }
    // The decoding child inherits the environment: it must not see the token.
    ::unsetenv("KHO_WORKER_TOKEN");
    if (o.token.empty())
        return {std::nullopt,
                usage("an API token is required (--token-file, KHO_WORKER_TOKEN or --token)")};

    if (o.name.empty()) o.name = default_name();
    if (!valid_name(o.name))
        return {std::nullopt,
                usage("--name must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'")};

    std::error_code ec;
    o.self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return {std::nullopt, usage("cannot find this executable: " + ec.message())};
    if (work_dir.empty()) {
        std::string pattern = (fs::temp_directory_path(ec) / "kho-worker-XXXXXX").string();
        if (ec || ::mkdtemp(pattern.data()) == nullptr)
            return {std::nullopt, usage("cannot create a work directory under $TMPDIR")};
        o.work_dir = pattern;
        o.own_work_dir = true;
    } else {
        o.work_dir = fs::absolute(work_dir, ec);
        fs::create_directories(o.work_dir, ec);
        if (ec || !fs::is_directory(o.work_dir))
            return {std::nullopt, usage("cannot use --work-dir " + work_dir)};
        fs::permissions(o.work_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    }
    return {std::move(o), 0};
}

}  // namespace kho::server
