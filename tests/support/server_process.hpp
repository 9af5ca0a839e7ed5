#pragma once
// Runs the real kho-server binary for integration tests: a fresh data
// directory under /tmp, an ephemeral loopback port, a known admin token.
// Restart keeps the data directory; kill9() simulates a crash.

#include <sys/types.h>
#include "storage/s3_client.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kho::test {

inline constexpr const char* admin_token = "kho_test_admin_token_0123456789abcdefXYZ";
// The first admin's ("admin") password (KHO_ADMIN_PASSWORD).
inline constexpr const char* admin_password = "Mật khẩu quản trị Bộ GDĐT 2026";

struct server_options {
    std::vector<std::string> extra_args;                   // e.g. {"--max-upload-bytes", "1000"}
    std::filesystem::path data_dir;                        // empty: a new temporary directory
    std::vector<std::pair<std::string, std::string>> env;  // extra environment
    bool local_blobs = false;  // keep blobs on local disk even in an S3 run
};

inline server_options with_args(std::vector<std::string> args) {
    server_options o;
    o.extra_args = std::move(args);
    return o;
}

class server_process {
  public:
    explicit server_process(server_options options = {});
    ~server_process();  // SIGTERM, wait, remove the temporary directory
    server_process(const server_process&) = delete;
    server_process& operator=(const server_process&) = delete;

    void start();
    // SIGTERM and wait for exit; returns the exit status (as from waitpid).
    int stop();
    // SIGKILL and reap.
    void kill9();
    void restart() {
        stop();
        start();
    }

    std::uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }
    const std::filesystem::path& data_dir() const { return options_.data_dir; }
    // For the next start(): the server's arguments and blob store.
    server_options& options() { return options_; }
    bool running() const { return pid_ > 0; }
    // Peak resident set size of the server so far (VmHWM), in KiB.
    long peak_rss_kib() const;
    // What the server printed on stderr so far.
    std::string log() const;

  private:
    server_options options_;
    bool owns_dir_ = false;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::filesystem::path port_file_, log_file_;
};

// Set when the suite runs against the S3 backend (KHO_TEST_S3_ENV = the
// s3.env of tests/s3/start-s3.sh): every server then keeps its blobs in a
// bucket of its own.
struct s3_endpoint {
    std::string endpoint, access_key, secret_key;
};
std::optional<s3_endpoint> s3_backend();
// The bucket of the server whose data directory this is.
std::string bucket_for(const std::filesystem::path& data_dir);
// A client of that bucket (an S3 run only).
storage::s3_client test_bucket(const std::filesystem::path& data_dir);
// Unfinished multipart uploads in that bucket (an S3 run only).
std::size_t multipart_uploads_left(const std::filesystem::path& data_dir);
// How many blobs the server stores: files under <data-dir>/blobs, or
// objects under blobs/ in its bucket.
std::size_t stored_blob_count(const std::filesystem::path& data_dir);

// A unique empty directory under /tmp; removed by the caller.
std::filesystem::path make_temp_dir(const std::string& prefix);

}  // namespace kho::test
