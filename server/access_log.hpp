#pragma once
// One JSON line per request: time, method, path, status, bytes in and out,
// duration, user, client, request id. Thread-safe. Never logged: request
// bodies, headers (so no Authorization or cookies), and the secret part of
// share link tokens in paths.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace kho::server {

struct access_entry {
    std::string_view method;
    std::string_view target;
    std::string_view route;
    int status = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    double duration_ms = 0;
    std::string_view user;
    std::string_view client;
    std::string_view request_id;
    bool aborted = false;  // the response could not be sent completely
};

// The target as logged: share link tokens cut to their first 8 characters.
std::string redact_target(std::string_view target);

class access_log {
  public:
    // destination: "-" (stdout), "off", or a file path (appended).
    explicit access_log(const std::string& destination);
    void write(const access_entry& e);

  private:
    std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace kho::server
