#include "tests/support/http_client.hpp"

#include "core/sha256.hpp"

#include "tests/support/server_process.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstring>
#include <stdexcept>

namespace kho::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::optional<std::string> http_response::header(std::string_view name) const {
    for (const auto& [n, v] : headers)
        if (beast::iequals(n, name)) return v;
    return std::nullopt;
}

struct http_client::impl {
    asio::io_context ioc;
    std::uint16_t port;
    std::optional<beast::tcp_stream> stream;
    beast::flat_buffer buffer;

    void connect() {
        if (stream && stream->socket().is_open()) return;
        stream.emplace(ioc);
        buffer.clear();
        stream->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        stream->expires_never();
    }

    template <class Header>
    void fill_headers(Header& h, const header_fields& fields) {
        h.set(http::field::host, "127.0.0.1");
        for (const auto& [n, v] : fields) h.insert(n, v);
    }

    template <class Parser>
    http_response finish(Parser& p) {
        http_response r;
        auto& msg = p.get();
        r.status = static_cast<int>(msg.result_int());
        for (const auto& f : msg)
            r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        if (!msg.keep_alive()) stream.reset();
        return r;
    }

    http_response read_response(bool head) {
        http::response_parser<http::string_body> p;
        p.body_limit(boost::none);
        p.skip(head);
        http::read(*stream, buffer, p);
        auto r = finish(p);
        r.body = std::move(p.get().body());
        return r;
    }
};

http_client::http_client(std::uint16_t port) : impl_(std::make_unique<impl>()) {
    impl_->port = port;
}
http_client::~http_client() = default;

void http_client::close() {
    impl_->stream.reset();
}

http_response http_client::request(const std::string& method, const std::string& target,
                                   const header_fields& headers, const std::string& body) {
    for (int attempt = 0;; ++attempt) {
        try {
            impl_->connect();
            http::request<http::string_body> req;
            req.method_string(method);
            req.target(target);
            req.version(11);
            impl_->fill_headers(req, headers);
            req.body() = body;
            if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
                req.prepare_payload();
            http::write(*impl_->stream, req);
            return impl_->read_response(method == "HEAD");
        } catch (const boost::system::system_error&) {
            // A kept-alive connection the server closed meanwhile: retry once.
            impl_->stream.reset();
            if (attempt > 0) throw;
        }
    }
}

http_response http_client::upload(const std::string& method, const std::string& target,
                                  const header_fields& headers, std::optional<std::uint64_t> length,
                                  const body_generator& gen) {
    impl_->stream.reset();  // a fresh connection: an early answer may close it
    impl_->connect();
    http::request<http::empty_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    impl_->fill_headers(req, headers);
    if (length)
        req.set(http::field::content_length, std::to_string(*length));
    else
        req.set(http::field::transfer_encoding, "chunked");
    http::request_serializer<http::empty_body> sr{req};
    http::write_header(*impl_->stream, sr);
    std::vector<char> buf(1 << 20);
    boost::system::error_code ec;
    for (;;) {
        std::size_t n = gen(buf.data(), buf.size());
        if (n == 0) break;
        if (length) {
            asio::write(impl_->stream->socket(), asio::buffer(buf.data(), n), ec);
        } else {
            char size_line[32];
            int len = std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
            std::vector<asio::const_buffer> parts{asio::buffer(size_line, static_cast<size_t>(len)),
                                                  asio::buffer(buf.data(), n),
                                                  asio::buffer("\r\n", 2)};
            asio::write(impl_->stream->socket(), parts, ec);
        }
        if (ec) break;  // the server answered early and closed: read its answer
    }
    if (!length && !ec) asio::write(impl_->stream->socket(), asio::buffer("0\r\n\r\n", 5), ec);
    return impl_->read_response(false);
}

http_response http_client::download(const std::string& method, const std::string& target,
                                    const header_fields& headers,
                                    const std::function<void(std::string_view)>& sink) {
    impl_->connect();
    http::request<http::empty_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    impl_->fill_headers(req, headers);
    http::write(*impl_->stream, req);
    http::response_parser<http::buffer_body> p;
    p.body_limit(boost::none);
    p.skip(method == "HEAD");
    http::read_header(*impl_->stream, impl_->buffer, p);
    std::vector<char> buf(1 << 20);
    while (!p.is_done()) {
        p.get().body().data = buf.data();
        p.get().body().size = buf.size();
        boost::system::error_code ec;
        http::read(*impl_->stream, impl_->buffer, p, ec);
        if (ec == http::error::need_buffer) ec = {};
        if (ec) throw boost::system::system_error(ec);
        sink(std::string_view(buf.data(), buf.size() - p.get().body().size));
    }
    return impl_->finish(p);
}

header_fields auth(header_fields extra) {
    extra.emplace_back("Authorization", std::string("Bearer ") + admin_token);
    return extra;
}

std::string raw_exchange(std::uint16_t port, const std::string& bytes, int timeout_ms) {
    asio::io_context ioc;
    beast::tcp_stream s(ioc);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    s.expires_after(std::chrono::milliseconds(timeout_ms));
    boost::system::error_code ec;
    asio::write(s, asio::buffer(bytes), ec);
    std::string out;
    char buf[8192];
    for (;;) {
        auto n = s.read_some(asio::buffer(buf), ec);
        out.append(buf, n);
        if (ec) break;
    }
    return out;
}

std::size_t byte_stream::fill(char* buf, std::size_t cap) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(cap, remaining_));
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        // xorshift64*: fast and good enough to defeat accidental dedup.
        state_ ^= state_ >> 12;
        state_ ^= state_ << 25;
        state_ ^= state_ >> 27;
        std::uint64_t v = state_ * 2685821657736338717ull;
        std::memcpy(buf + i, &v, 8);
    }
    for (; i < n; ++i) {
        state_ ^= state_ << 13;
        buf[i] = static_cast<char>(state_ >> 7);
    }
    remaining_ -= n;
    return n;
}

std::string sha256_hex(std::string_view data) {
    return kho::sha256::hex_of(data);
}

}  // namespace kho::test
