#pragma once
// A small blocking HTTP/1.1 client over Boost.Beast for integration tests.
// Keeps one connection alive between requests; reconnects when the server
// closed it. Streaming upload and download so that GiB-sized bodies never sit
// in the test's memory either.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kho::test {

using header_fields = std::vector<std::pair<std::string, std::string>>;

struct http_response {
    int status = 0;
    header_fields headers;
    std::string body;
    std::optional<std::string> header(std::string_view name) const;
};

// Produces the next piece of an upload body into `buf`; returns its size.
using body_generator = std::function<std::size_t(char* buf, std::size_t cap)>;

class http_client {
  public:
    explicit http_client(std::uint16_t port);
    ~http_client();

    http_response request(const std::string& method, const std::string& target,
                          const header_fields& headers = {}, const std::string& body = {});

    // Sends `length` bytes from `gen` with Content-Length (or chunked coding
    // when `length` is nullopt).
    http_response upload(const std::string& method, const std::string& target,
                         const header_fields& headers, std::optional<std::uint64_t> length,
                         const body_generator& gen);

    // Streams the response body into `sink` instead of memory.
    http_response download(const std::string& method, const std::string& target,
                           const header_fields& headers,
                           const std::function<void(std::string_view)>& sink);

    void close();

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// Bearer header with the test admin token.
header_fields auth(header_fields extra = {});

// Sends raw bytes on a new connection and returns everything the server
// answers until it closes the connection or `timeout_ms` passes.
std::string raw_exchange(std::uint16_t port, const std::string& bytes, int timeout_ms = 5000);

// Deterministic pseudo-random bytes: the same seed gives the same stream.
class byte_stream {
  public:
    byte_stream(std::uint64_t seed, std::uint64_t length) : state_(seed | 1), remaining_(length) {}
    std::size_t fill(char* buf, std::size_t cap);

  private:
    std::uint64_t state_;
    std::uint64_t remaining_;
};

// SHA-256 hex of a string.
std::string sha256_hex(std::string_view data);

}  // namespace kho::test
