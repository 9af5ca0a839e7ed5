#pragma once
// What every kho command shares: the global options, exit codes, the two
// kinds of failure, and the connection to the server.
//
// Exit codes: 0 ok, 1 the operation failed (HTTP error, network, local I/O),
// 2 usage error (bad option, missing token, bad --url). Commands report a
// failure by throwing; main() prints it as one line on stderr.

#include "tools/http_client.hpp"

#include <nlohmann/json_fwd.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace kho::cli {

enum exit_code : int { exit_ok = 0, exit_failure = 1, exit_usage = 2 };

struct global_options {
    std::string url = "http://127.0.0.1:8080";
    std::string token;  // empty: none
    bool json = false;
};

// A mistake on the command line (exit 2).
class usage_error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A failed operation with a message ready to print (exit 1).
class command_error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// One command's view of the server. The constructor checks --url, and the
// token when the command needs one; both are usage errors. Nothing touches
// the network until the first request.
class context {
  public:
    context(const global_options& options, bool needs_token);

    http_client& client() { return client_; }
    const server_address& server() const { return client_.server(); }
    bool json() const { return options_.json; }
    // `extra` plus "Authorization: Bearer <token>".
    header_list auth(header_list extra = {}) const;

  private:
    global_options options_;
    http_client client_;
};

// One line for a failed HTTP answer: the problem+json detail with its code,
// "the asset is in the trash (gone, HTTP 410)", or "HTTP 502 Bad Gateway"
// when the body is not a problem document. Safe to print on a terminal.
std::string describe_failure(const http_response& r);

// The body as JSON; command_error naming `what` when it is not.
nlohmann::json parse_json_body(const http_response& r, std::string_view what);

// JSON for people and scripts: UTF-8 kept as is, ill-formed bytes replaced.
std::string dump_json(const nlohmann::json& j, int indent = 2);

}  // namespace kho::cli
