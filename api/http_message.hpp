#pragma once
// kho's own view of an HTTP exchange, free of Beast types, so that handlers
// are plain functions that tests can call without a socket.
//
// A request's body is pulled in chunks through body_source (the server
// session implements it over the socket; tests implement it over a string).
// A response's body is a list of segments: bytes kho built, or a range of a
// stored blob: an open file that the session sends with sendfile(2), or an
// object of a remote store that it streams. HEAD is answered by the
// GET handler; the session sends the headers and drops the body.

#include "core/error.hpp"
#include "core/policy.hpp"
#include "storage/token_store.hpp"
#include "storage/blob_store.hpp"
#include "storage/unique_fd.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kho::api {

bool iequals(std::string_view a, std::string_view b) noexcept;

class header_list {
  public:
    // First value of a header (case-insensitive name), if present.
    std::optional<std::string_view> get(std::string_view name) const;
    // Every value of a header, in order.
    std::vector<std::string_view> get_all(std::string_view name) const;
    void set(std::string_view name, std::string value);  // replaces
    void add(std::string_view name, std::string value);  // appends
    void erase(std::string_view name);
    const auto& fields() const noexcept { return fields_; }

  private:
    std::vector<std::pair<std::string, std::string>> fields_;
};

class body_source {
  public:
    virtual ~body_source() = default;
    // The next chunk of the request body, or an empty view at its end. The
    // view stays valid until the next call. Errors: payload_too_large (over
    // the route's limit), bad_request (malformed chunked coding), unavailable
    // (the client went away or timed out).
    virtual boost::asio::awaitable<result<std::string_view>> next() = 0;
    // The declared length, when the request has Content-Length.
    virtual std::optional<std::uint64_t> declared_length() const = 0;
    // The most the route accepts; reading past it fails with payload_too_large.
    virtual void limit(std::uint64_t max_bytes) = 0;
    // A callable that any thread may use to abort this request's connection
    // (a newer request taking over a resumable upload from a stale one).
    virtual std::function<void()> interrupter() const { return {}; }
};

// The authenticated caller of a request.
struct principal {
    std::string id;  // user id
    std::string username;
    kho::actor actor;               // what the policy needs
    storage::credential credential;  // how they authenticated
};

struct request {
    std::string method;  // "GET", ...
    std::string target;  // as received: "/api/v1/assets?limit=10"
    std::string path;    // percent-decoded path
    std::string query;   // raw query string without '?'
    header_list headers;
    body_source* body = nullptr;  // never null while a handler runs
    std::string client_address;
    std::string request_id;
    std::vector<std::string> path_params;         // filled by the router
    std::optional<api::principal> principal;  // filled by authentication
    std::string cookie_session;               // the session cookie's value, if sent
};

struct file_segment {
    std::shared_ptr<storage::unique_fd> fd;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    // Set instead of `fd` for a remote store's object.
    std::shared_ptr<const storage::remote_blob> remote;
    // The SHA-256 (hex) the bytes must hash to, when the segment is a whole
    // stored blob. The session then hashes what it sends and holds the last
    // piece back until the digest matches; on a mismatch it aborts the
    // connection (the client sees a short body, never a complete wrong one)
    // and reports the blob (api/damage_report.hpp). Empty: sent as is (a
    // range of a blob cannot be checked without reading all of it).
    std::string verify_sha256;
};

// [offset, offset + length) of a stored blob, local or remote.
file_segment segment_of(const storage::blob_file& file, std::uint64_t offset, std::uint64_t length);

using body_segment = std::variant<std::string, file_segment>;

struct response {
    int status = 200;
    header_list headers;
    std::vector<body_segment> body;
    bool close = false;  // close the connection after sending
    // Called by the session once the body has gone out (not for HEAD, 204
    // or 304) with the body bytes sent and whether all were: downloads
    // record their usage here.
    std::function<void(std::uint64_t bytes_sent, bool all_sent)> on_sent;
    // A 200 or 206 of a stored representation: its byte the body starts at.
    std::uint64_t first_byte = 0;
    // A 302 to the object store for a stored representation (a redirect
    // download): the representation's size.
    std::optional<std::uint64_t> redirected_size;

    std::uint64_t content_length() const;
    void set_body(std::string bytes, std::string content_type);
};

// Reads the whole body into memory, for small JSON bodies only. Bodies are
// capped by the route's limit before this is called.
boost::asio::awaitable<result<std::string>> read_body(request& req, std::size_t max_bytes);

}  // namespace kho::api
