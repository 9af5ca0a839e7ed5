#pragma once
// A small blocking HTTP/1.1 client for the kho CLI (plain HTTP only).
//
// Contract:
// - One connection to one server, kept alive between requests. A request that
//   fails on a reused connection before any answer arrived (the server closed
//   it while idle) is sent again once on a new connection; uploads are never
//   sent twice: they start on a new connection when the kept one has been idle.
// - Every network step has a timeout. Network failures throw transport_error
//   with one line naming the server ("cannot connect to 127.0.0.1:8080:
//   Connection refused"). HTTP error statuses are not exceptions: callers look
//   at http_response::status.
// - Bodies are streamed: upload() pulls the body from a reader piece by piece
//   and stops early when the server answers before the body is complete (an
//   early 401/413/415); download() hands each piece to a sink.
// - An exception thrown by a reader or sink closes the connection and passes
//   through unchanged.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kho::cli {

// Where the server is, from "http://host[:port][/prefix]".
struct server_address {
    std::string host;       // for name resolution: "127.0.0.1", "::1", "kho.example"
    std::string port;       // "8080"; "80" when the URL has none
    std::string authority;  // for the Host header: "127.0.0.1:8080", "[::1]:8080"
    std::string base_path;  // percent-encoded prefix without a trailing '/': "" or "/kho"
};

// Parses the --url value with Boost.URL. Throws std::invalid_argument with a
// readable reason for anything but an absolute http URL without user info,
// query or fragment.
server_address parse_server_url(std::string_view url);

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_response {
    int status = 0;
    header_list headers;
    std::string body;  // empty when the body went to a sink
    // First header with this name (case-insensitive).
    std::optional<std::string> header(std::string_view name) const;
};

class transport_error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Fills `buf` with the next piece of an upload body; returns how many bytes
// (0 only at the end).
using body_reader = std::function<std::size_t(char* buf, std::size_t cap)>;
// Receives the next piece of a response body.
using body_sink = std::function<void(std::string_view data)>;
// Called once status and headers are known; returns where the body goes, or
// an empty function to keep it in http_response::body (for error documents).
using head_handler = std::function<body_sink(const http_response& head)>;
// Called with the number of body bytes sent so far.
using progress_callback = std::function<void(std::uint64_t sent)>;

struct client_timeouts {
    std::chrono::seconds connect{10};
    std::chrono::seconds io{60};              // any single read or write
    std::chrono::seconds upload_answer{600};  // the server stores the file before answering
};

class http_client {
  public:
    explicit http_client(server_address server, client_timeouts timeouts = {});
    ~http_client();
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    const server_address& server() const;

    // A request with a small body held in memory (or none). The response body
    // is kept in memory, up to 64 MiB. HEAD responses have no body.
    http_response request(std::string_view method, const std::string& target,
                          const header_list& headers = {}, const std::string& body = {});

    // Sends `length` bytes pulled from `read` as the body, with Content-Length,
    // in pieces of up to `piece_bytes`.
    http_response upload(std::string_view method, const std::string& target,
                         const header_list& headers, std::uint64_t length, const body_reader& read,
                         const progress_callback& progress = {});

    // GET with the response body streamed to the sink `on_head` chooses.
    http_response download(const std::string& target, const header_list& headers,
                           const head_handler& on_head);

    void close();

    static constexpr std::size_t piece_bytes = 1 << 20;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace kho::cli
