#include "tests/support/server_process.hpp"

#include "tests/support/http_client.hpp"
#include "storage/s3_client.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace kho::test {
namespace fs = std::filesystem;

fs::path make_temp_dir(const std::string& prefix) {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    return tmpl;
}

server_process::server_process(server_options options) : options_(std::move(options)) {
    if (options_.data_dir.empty()) {
        options_.data_dir = make_temp_dir("kho-it") / "data";
        owns_dir_ = true;
    }
    port_file_ = options_.data_dir.parent_path() / "port";
    log_file_ = options_.data_dir.parent_path() / "server.log";
    try {
        start();
    } catch (...) {
        // The destructor will not run: remove the directory made above.
        if (owns_dir_) {
            std::error_code ec;
            fs::remove_all(options_.data_dir.parent_path(), ec);
        }
        throw;
    }
}

server_process::~server_process() {
    if (pid_ > 0) stop();
    if (owns_dir_ && s3_backend() && !options_.local_blobs) {
        // The bucket goes with the data directory, so that repeated runs
        // do not fill the test object store.
        try {
            auto s3 = test_bucket(options_.data_dir);
            if (auto uploads = s3.list_multipart(""))
                for (const auto& u : *uploads) (void)s3.abort_multipart(u.key, u.upload_id);
            std::vector<std::string> keys;
            (void)s3.list("", [&](const storage::s3_object& o) { keys.push_back(o.key); });
            for (const auto& k : keys) (void)s3.remove(k);
        } catch (...) {
        }
    }
    if (owns_dir_) {
        std::error_code ec;
        fs::remove_all(options_.data_dir.parent_path(), ec);
    }
}

void server_process::start() {
    std::error_code ec;
    fs::remove(port_file_, ec);
    std::vector<std::string> args{KHO_SERVER_PATH,
                                  "--data-dir",
                                  options_.data_dir.string(),
                                  "--listen",
                                  "127.0.0.1:0",
                                  "--port-file",
                                  port_file_.string(),
                                  "--access-log",
                                  (options_.data_dir.parent_path() / "access.log").string(),
                                  "--threads",
                                  "2",
                                  "--shutdown-grace",
                                  "5"};
    const auto s3 = options_.local_blobs ? std::nullopt : s3_backend();
    if (s3) {
        // The same suite against the S3 backend (a Ceph RGW started by
        // tests/s3/start-s3.sh): one bucket per data directory.
        args.insert(args.end(), {"--blob-store", "s3", "--s3-endpoint", s3->endpoint,
                                 "--s3-bucket", bucket_for(options_.data_dir)});
    }
    args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        int log = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (log >= 0) {
            ::dup2(log, 1);
            ::dup2(log, 2);
        }
        ::setenv("KHO_ADMIN_TOKEN", admin_token, 1);
        ::setenv("KHO_ADMIN_PASSWORD", admin_password, 1);
        if (s3) {
            ::setenv("KHO_S3_ACCESS_KEY", s3->access_key.c_str(), 1);
            ::setenv("KHO_S3_SECRET_KEY", s3->secret_key.c_str(), 1);
        }
        for (const auto& [k, v] : options_.env) ::setenv(k.c_str(), v.c_str(), 1);
        // A leak report at exit must not change the exit status seen by tests
        // that check graceful shutdown; leaks are checked by the unit tests.
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("kho-server exited at start:\n" + log());
        }
        std::ifstream in(port_file_);
        unsigned port = 0;
        if (in >> port && port > 0) {
            port_ = static_cast<std::uint16_t>(port);
            try {
                http_client c(port_);
                if (c.request("GET", "/readyz").status == 200) return;
            } catch (...) {
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("kho-server did not become ready:\n" + log());
}

int server_process::stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    return status;
}

void server_process::kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

long server_process::peak_rss_kib() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

std::string server_process::log() const {
    std::ifstream in(log_file_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::optional<s3_endpoint> s3_backend() {
    const char* env_file = std::getenv("KHO_TEST_S3_ENV");
    if (!env_file || !*env_file) return std::nullopt;
    std::ifstream in(env_file);
    if (!in) throw std::runtime_error(std::string("the S3 test endpoint is not running (no ") + env_file + ")");
    s3_endpoint e;
    std::string line;
    while (std::getline(in, line)) {
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        auto k = line.substr(0, eq), v = line.substr(eq + 1);
        if (k == "S3_ENDPOINT") e.endpoint = v;
        if (k == "S3_ACCESS_KEY") e.access_key = v;
        if (k == "S3_SECRET_KEY") e.secret_key = v;
    }
    if (e.endpoint.empty() || e.access_key.empty())
        throw std::runtime_error(std::string("incomplete S3 test settings in ") + env_file);
    return e;
}

std::string bucket_for(const std::filesystem::path& data_dir) {
    auto h = std::hash<std::string>{}(std::filesystem::absolute(data_dir).string());
    char buf[32];
    std::snprintf(buf, sizeof buf, "kho-t-%016zx", h);
    return buf;
}

std::size_t stored_blob_count(const std::filesystem::path& data_dir) {
    if (s3_backend()) {
        auto s3 = test_bucket(data_dir);
        std::size_t n = 0;
        auto listed = s3.list("blobs/", [&](const storage::s3_object&) { ++n; });
        if (!listed) throw std::runtime_error("cannot list the test bucket: " + listed.error().detail);
        return n;
    }
    std::size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(data_dir / "blobs"))
        if (e.is_regular_file()) ++n;
    return n;
}

std::size_t multipart_uploads_left(const std::filesystem::path& data_dir) {
    auto s3 = test_bucket(data_dir);
    auto u = s3.list_multipart("");
    if (!u) throw std::runtime_error("cannot list multipart uploads: " + u.error().detail);
    return u->size();
}

storage::s3_client test_bucket(const std::filesystem::path& data_dir) {
    auto e = s3_backend();
    if (!e) throw std::runtime_error("not an S3 test run");
    storage::s3_config c;
    c.endpoint = e->endpoint;
    c.bucket = bucket_for(data_dir);
    c.access_key = e->access_key;
    c.secret_key = e->secret_key;
    c.retries = 1;
    return storage::s3_client(std::move(c));
}

}  // namespace kho::test
