#include "tools/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <charconv>
#include <vector>

namespace kho::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace urls = boost::urls;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr std::uint64_t k_max_memory_body = 64u << 20;
constexpr std::size_t k_max_error_body = 1u << 20;
// An upload reuses a kept-alive connection only this soon after its last use,
// so that the server cannot have closed it meanwhile (its idle timeout is far
// longer); a body is never sent twice.
constexpr auto k_upload_reuse_window = std::chrono::seconds(2);

// The peer went away: what a kept-alive connection the server closed looks like.
bool is_disconnect(const error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::error::connection_aborted;
}

std::string describe(const error_code& ec, std::chrono::seconds limit) {
    if (ec == beast::error::timeout)
        return "timed out (nothing happened for " + std::to_string(limit.count()) + " s)";
    if (ec == http::error::end_of_stream || ec == asio::error::eof)
        return "the server closed the connection";
    if (ec == http::error::partial_message)
        return "the server closed the connection before the end of its answer";
    return ec.message();
}

template <class Parser>
http_response head_of(Parser& p) {
    http_response r;
    const auto& msg = p.get();
    r.status = static_cast<int>(msg.result_int());
    for (const auto& f : msg)
        r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    return r;
}

}  // namespace

server_address parse_server_url(std::string_view text) {
    auto parsed = urls::parse_uri(text);
    if (!parsed)
        throw std::invalid_argument("--url is not a valid URL (expected http://host[:port]): " +
                                    std::string(text));
    const urls::url_view& u = *parsed;
    if (u.scheme_id() != urls::scheme::http)
        throw std::invalid_argument(
            "--url must start with http:// (the kho CLI speaks plain HTTP)");
    if (u.has_userinfo())
        throw std::invalid_argument(
            "--url must not contain user info; pass the token with --token");
    if (u.has_query() || u.has_fragment())
        throw std::invalid_argument("--url must not have a query or fragment");
    server_address s;
    switch (u.host_type()) {
        case urls::host_type::ipv4:
        case urls::host_type::name:
            s.host = u.host_address();
            break;
        case urls::host_type::ipv6:
            s.host = u.host_ipv6_address().to_string();
            break;
        default:
            throw std::invalid_argument("--url has no usable host: " + std::string(text));
    }
    if (s.host.empty()) throw std::invalid_argument("--url has no host: " + std::string(text));
    if (u.has_port() && !u.port().empty()) {
        const std::string_view port = u.port();
        unsigned number = 0;
        auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
        if (ec != std::errc() || ptr != port.data() + port.size() || number == 0 || number > 65535)
            throw std::invalid_argument("--url has an invalid port: " + std::string(port));
        s.port = std::to_string(number);
    } else {
        s.port = "80";
    }
    s.authority = u.encoded_host_and_port();
    if (!s.authority.empty() && s.authority.back() == ':') s.authority.pop_back();
    s.base_path = u.encoded_path();
    while (!s.base_path.empty() && s.base_path.back() == '/') s.base_path.pop_back();
    return s;
}

std::optional<std::string> http_response::header(std::string_view name) const {
    for (const auto& [n, v] : headers)
        if (beast::iequals(n, name)) return v;
    return std::nullopt;
}

struct http_client::impl {
    server_address server;
    client_timeouts timeouts;
    asio::io_context ioc;
    std::optional<beast::tcp_stream> stream;
    beast::flat_buffer buffer;
    bool reused = false;  // the open connection has carried a complete exchange
    std::chrono::steady_clock::time_point idle_since;

    // Runs one asynchronous operation to completion under a deadline: the
    // blocking interface with Beast's timeouts.
    template <class Start>
    error_code run(std::chrono::seconds limit, Start&& start) {
        error_code result;
        bool done = false;
        stream->expires_after(limit);
        start([&](error_code ec, auto&&...) {
            result = ec;
            done = true;
        });
        ioc.restart();
        while (!done && ioc.run_one() > 0) {
        }
        return result;
    }

    [[noreturn]] void fail(const std::string& what, const error_code& ec,
                           std::chrono::seconds limit) {
        stream.reset();
        throw transport_error("lost the connection to " + server.authority + " while " + what +
                              ": " + describe(ec, limit));
    }

    // A request on a kept-alive connection may find that the server closed it
    // meanwhile; such a request is sent again once on a new connection.
    // Both return false for "retry"; any other failure throws.
    template <class Request>
    bool sent(Request& req, bool may_retry) {
        auto ec = run(timeouts.io, [&](auto handler) { http::async_write(*stream, req, handler); });
        if (!ec) return true;
        if (may_retry && is_disconnect(ec)) {
            stream.reset();
            return false;
        }
        fail("sending the request", ec, timeouts.io);
    }

    template <class Parser>
    bool answered(const error_code& ec, const Parser& p, bool may_retry) {
        if (!ec) return true;
        if (may_retry && !p.got_some() && is_disconnect(ec)) {
            stream.reset();
            return false;
        }
        fail("reading the answer", ec, timeouts.io);
    }

    void connect() {
        if (stream && stream->socket().is_open()) return;
        stream.reset();
        buffer.clear();
        reused = false;
        tcp::resolver resolver(ioc);
        error_code ec;
        auto endpoints = resolver.resolve(server.host, server.port, ec);
        if (ec) throw transport_error("cannot resolve " + server.host + ": " + ec.message());
        stream.emplace(ioc);
        ec =
            run(timeouts.connect, [&](auto handler) { stream->async_connect(endpoints, handler); });
        if (ec) {
            stream.reset();
            throw transport_error("cannot connect to " + server.authority + ": " +
                                  describe(ec, timeouts.connect));
        }
        stream->socket().set_option(tcp::no_delay(true), ec);
    }

    template <class Request>
    void prepare(Request& req, std::string_view method, const std::string& target,
                 const header_list& headers) {
        req.method_string(method);
        req.target(target);
        req.version(11);
        req.set(http::field::host, server.authority);
        req.set(http::field::user_agent, "kho-cli");
        for (const auto& [n, v] : headers) req.set(n, v);
    }

    void after_exchange(bool keep_alive) {
        if (!keep_alive) {
            stream.reset();
            return;
        }
        reused = true;
        idle_since = std::chrono::steady_clock::now();
    }

    http_response read_small_response(bool head, std::chrono::seconds limit, bool keep_alive_ok) {
        http::response_parser<http::string_body> p;
        p.body_limit(k_max_memory_body);
        p.skip(head);
        auto ec = run(limit, [&](auto handler) { http::async_read(*stream, buffer, p, handler); });
        if (ec) fail("reading the answer", ec, limit);
        auto r = head_of(p);
        r.body = std::move(p.get().body());
        after_exchange(keep_alive_ok && p.get().keep_alive());
        return r;
    }
};

http_client::http_client(server_address server, client_timeouts timeouts)
    : impl_(std::make_unique<impl>()) {
    impl_->server = std::move(server);
    impl_->timeouts = timeouts;
}

http_client::~http_client() = default;

const server_address& http_client::server() const {
    return impl_->server;
}

void http_client::close() {
    impl_->stream.reset();
}

http_response http_client::request(std::string_view method, const std::string& target,
                                   const header_list& headers, const std::string& body) {
    auto& s = *impl_;
    const auto io = s.timeouts.io;
    for (int attempt = 0;; ++attempt) {
        s.connect();
        const bool may_retry = s.reused && attempt == 0;
        http::request<http::string_body> req;
        s.prepare(req, method, target, headers);
        req.body() = body;
        if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
            req.prepare_payload();
        if (!s.sent(req, may_retry)) continue;
        http::response_parser<http::string_body> p;
        p.body_limit(k_max_memory_body);
        p.skip(method == "HEAD");
        auto ec =
            s.run(io, [&](auto handler) { http::async_read(*s.stream, s.buffer, p, handler); });
        if (!s.answered(ec, p, may_retry)) continue;
        auto r = head_of(p);
        r.body = std::move(p.get().body());
        s.after_exchange(p.get().keep_alive());
        return r;
    }
}

http_response http_client::upload(std::string_view method, const std::string& target,
                                  const header_list& headers, std::uint64_t length,
                                  const body_reader& read, const progress_callback& progress) {
    auto& s = *impl_;
    const auto io = s.timeouts.io;
    if (s.stream && std::chrono::steady_clock::now() - s.idle_since > k_upload_reuse_window)
        s.stream.reset();
    s.connect();

    http::request<http::buffer_body> req;
    s.prepare(req, method, target, headers);
    req.content_length(length);
    req.body().data = nullptr;
    req.body().more = length > 0;
    http::request_serializer<http::buffer_body> sr{req};

    try {
        auto ec =
            s.run(io, [&](auto handler) { http::async_write_header(*s.stream, sr, handler); });
        if (ec && !is_disconnect(ec)) s.fail("sending the request", ec, io);
        bool complete = !ec && length == 0;
        std::uint64_t sent = 0;
        std::vector<char> buf(piece_bytes);
        while (!ec && sent < length) {
            // The server may answer before the body is complete (401, 413, 415):
            // stop sending and read its answer.
            error_code avail_ec;
            if (s.stream->socket().available(avail_ec) > 0) break;
            const auto want =
                static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), length - sent));
            const std::size_t n = read(buf.data(), want);
            if (n == 0 || n > want)
                throw std::runtime_error("the body ended after " + std::to_string(sent) + " of " +
                                         std::to_string(length) + " bytes");
            req.body().data = buf.data();
            req.body().size = n;
            req.body().more = sent + n < length;
            ec = s.run(io, [&](auto handler) { http::async_write(*s.stream, sr, handler); });
            if (ec == http::error::need_buffer) ec = {};
            if (ec && !is_disconnect(ec)) s.fail("sending the body", ec, io);
            if (!ec) {
                sent += n;
                if (progress) progress(sent);
            }
        }
        complete = complete || sent == length;
        // After a failed write the answer may still be waiting in our receive buffer.
        return s.read_small_response(false, complete ? s.timeouts.upload_answer : io,
                                     complete && !ec);
    } catch (...) {
        s.stream.reset();
        throw;
    }
}

http_response http_client::download(const std::string& target, const header_list& headers,
                                    const head_handler& on_head) {
    auto& s = *impl_;
    const auto io = s.timeouts.io;
    for (int attempt = 0;; ++attempt) {
        s.connect();
        const bool may_retry = s.reused && attempt == 0;
        http::request<http::empty_body> req;
        s.prepare(req, "GET", target, headers);
        if (!s.sent(req, may_retry)) continue;
        http::response_parser<http::buffer_body> p;
        p.body_limit(boost::none);
        auto ec = s.run(
            io, [&](auto handler) { http::async_read_header(*s.stream, s.buffer, p, handler); });
        if (!s.answered(ec, p, may_retry)) continue;
        try {
            http_response head = head_of(p);
            body_sink sink = on_head(head);
            if (!sink) {
                sink = [&head](std::string_view d) {
                    if (head.body.size() < k_max_error_body)
                        head.body.append(d.substr(0, k_max_error_body - head.body.size()));
                };
            }
            std::vector<char> buf(piece_bytes);
            while (!p.is_done()) {
                p.get().body().data = buf.data();
                p.get().body().size = buf.size();
                ec = s.run(
                    io, [&](auto handler) { http::async_read(*s.stream, s.buffer, p, handler); });
                if (ec == http::error::need_buffer) ec = {};
                if (ec) s.fail("receiving the body", ec, io);
                sink(std::string_view(buf.data(), buf.size() - p.get().body().size));
            }
            s.after_exchange(p.get().keep_alive());
            return head;
        } catch (...) {
            s.stream.reset();
            throw;
        }
    }
}

}  // namespace kho::cli
