#include "server/session.hpp"

#include "api/app.hpp"
#include "api/conditional.hpp"
#include "api/damage_report.hpp"
#include "api/dispatch.hpp"
#include "api/problem.hpp"
#include "api/request_framing.hpp"
#include "server/session_env.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <functional>

namespace kho::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr std::size_t k_body_chunk = 256 * 1024;
constexpr std::size_t k_read_buffer = 64 * 1024;
constexpr std::size_t k_sendfile_chunk = 4u << 20;
constexpr std::size_t k_remote_chunk = 1u << 20;
// A verified download (file_segment::verify_sha256) keeps this much back
// until the digest matches, and hashes what sendfile sent in pieces of
// k_hash_chunk read again with pread (from the page cache sendfile filled).
constexpr std::size_t k_verify_tail = 64 * 1024;
constexpr std::size_t k_hash_chunk = 1u << 20;

bool is_timeout_or_closed(const boost::system::error_code& ec) {
    return ec == beast::error::timeout || ec == asio::error::operation_aborted ||
           ec == asio::error::eof || ec == http::error::end_of_stream ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::error::bad_descriptor;
}

}  // namespace

struct session::impl {
    session_env& env;
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    std::string client;
    std::atomic<bool> idle{true};
    std::atomic<bool> stop_requested{false};
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;

    impl(session_env& e, tcp::socket s) : env(e), stream(std::move(s)) {
        // Beast sizes each socket read by the buffer's free capacity; without
        // this, bodies arrive 512 bytes per system call.
        buffer.reserve(k_read_buffer);
        boost::system::error_code ec;
        auto ep = stream.socket().remote_endpoint(ec);
        if (!ec) client = ep.address().to_string();
    }

    asio::awaitable<bool> write_response(api::response& resp, bool keep_alive, bool head_only,
                                         const std::string& request_id);
    asio::awaitable<bool> send_file(const api::file_segment& seg);
    // sendfile of [offset, offset + length); `sent` sees each piece sent.
    asio::awaitable<bool> send_range(int fd, std::uint64_t offset, std::uint64_t length,
                                     const std::function<bool(off_t, std::size_t)>& sent);
    asio::awaitable<bool> send_verified(const api::file_segment& seg);
    asio::awaitable<bool> send_remote(const api::file_segment& seg);
    asio::awaitable<bool> send_all(const char* data, std::size_t size);
    // The bytes of `seg` do not hash to its digest: reset the connection, so
    // that the client sees an error and a short body, and report the blob.
    void abort_damaged(const api::file_segment& seg, const std::string& detail);
    asio::awaitable<bool> send_more(std::string_view bytes);
    asio::awaitable<void> lingering_close();
    // Reads until the buffer holds a whole request header block and checks
    // its raw bytes; header_limit past --max-header-bytes.
    asio::awaitable<std::pair<boost::system::error_code, std::optional<std::string>>> read_header_block();
    // `resp` is a const reference: g++ 12 may destroy a temporary bound to
    // a by-value coroutine parameter twice. The callers' temporaries live
    // until their co_await completes.
    asio::awaitable<void> send_simple(const api::response& resp);
};

// Streams the request body out of Beast's parser in chunks of up to 256 KiB.
class socket_body_source final : public api::body_source {
  public:
    socket_body_source(session::impl& s, http::request_parser<http::buffer_body>& p,
                       std::weak_ptr<session> owner)
        : s_(s), parser_(p), owner_(std::move(owner)) {
        auto expect = p.get()[http::field::expect];
        expect_continue_ = beast::iequals(expect, "100-continue");
    }

    asio::awaitable<result<std::string_view>> next() override {
        if (expect_continue_) {
            // The route accepted the request: now ask the client for the body.
            expect_continue_ = false;
            static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
            s_.stream.expires_after(s_.env.config.io_timeout);
            auto [ec, n] = co_await asio::async_write(s_.stream, asio::buffer(cont), use_tuple);
            if (ec) co_return make_error(errc::unavailable, "the client went away");
        }
        if (parser_.is_done()) co_return std::string_view{};
        // Allocated on first use only (most requests have no body), and not
        // zero-filled: it is always written before it is read.
        if (!buf_) buf_.reset(new char[k_body_chunk]);
        parser_.get().body().data = buf_.get();
        parser_.get().body().size = k_body_chunk;
        s_.stream.expires_after(s_.env.config.io_timeout);
        auto [ec, n] = co_await http::async_read(s_.stream, s_.buffer, parser_, use_tuple);
        if (ec == http::error::need_buffer) ec = {};
        if (ec == http::error::body_limit)
            co_return make_error(errc::payload_too_large,
                                 "the body is larger than this resource takes (" +
                                     std::to_string(limit_) + " bytes)");
        if (ec == beast::error::timeout)
            co_return make_error(errc::unavailable, "the client sent no data for too long");
        if (ec == http::error::partial_message || is_timeout_or_closed(ec))
            co_return make_error(errc::bad_request, "the body ended before its declared end");
        if (ec) co_return make_error(errc::bad_request, "malformed body: " + ec.message());
        std::size_t got = k_body_chunk - parser_.get().body().size;
        s_.bytes_in += got;
        body_bytes_ += got;
        if (got == 0 && !parser_.is_done()) co_return make_error(errc::bad_request, "empty read");
        // A client that trickles a few bytes just often enough to dodge the
        // I/O timeout (slow body, "R-U-Dead-Yet") would hold the connection
        // for ever: after a grace period its average rate must reach the
        // minimum.
        if (auto min_rate = s_.env.config.min_body_rate; min_rate > 0) {
            auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - body_started_).count();
            auto grace = static_cast<double>(s_.env.config.io_timeout.count());
            if (elapsed > grace && static_cast<double>(body_bytes_) < elapsed * static_cast<double>(min_rate))
                co_return make_error(errc::unavailable,
                                     "the client sends the body slower than " + std::to_string(min_rate) +
                                         " bytes per second");
        }
        co_return std::string_view(buf_.get(), got);
    }

    std::optional<std::uint64_t> declared_length() const override {
        auto len = parser_.content_length();
        if (len) return *len;
        return std::nullopt;
    }

    std::function<void()> interrupter() const override {
        return [owner = owner_] {
            if (auto s = owner.lock()) s->force_close();
        };
    }

    void limit(std::uint64_t max_bytes) override {
        limit_ = max_bytes;
        if (!parser_.is_done()) parser_.body_limit(max_bytes);
    }

  private:
    session::impl& s_;
    http::request_parser<http::buffer_body>& parser_;
    std::unique_ptr<char[]> buf_;
    std::weak_ptr<session> owner_;
    bool expect_continue_ = false;
    std::uint64_t limit_ = 0;
    std::uint64_t body_bytes_ = 0;
    std::chrono::steady_clock::time_point body_started_ = std::chrono::steady_clock::now();
};

session::session(session_env& env, tcp::socket socket)
    : impl_(std::make_unique<impl>(env, std::move(socket))) {
    env.app.metrics.connection_opened();
}

asio::any_io_executor session::impl_executor() const {
    return impl_->stream.get_executor();
}

session::~session() {
    impl_->env.app.metrics.connection_closed();
}

void session::stop_if_idle() {
    auto self = shared_from_this();
    asio::dispatch(impl_->stream.get_executor(), [self] {
        self->impl_->stop_requested = true;
        if (self->impl_->idle) self->impl_->stream.cancel();
    });
}

void session::force_close() {
    auto self = shared_from_this();
    asio::dispatch(impl_->stream.get_executor(), [self] {
        self->impl_->stop_requested = true;
        boost::system::error_code ec;
        self->impl_->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        self->impl_->stream.socket().close(ec);
    });
}

asio::awaitable<void> session::impl::send_simple(const api::response& resp) {
    api::response copy = resp;
    co_await write_response(copy, false, false, "");
}

// A remote store's object: each read blocks on the store, so it runs on
// the remote I/O pool; the socket writes stay on this session's thread.
// A store failure part-way closes the connection: the client sees a short
// body, never a complete-looking one with a gap.
asio::awaitable<bool> session::impl::send_remote(const api::file_segment& seg) {
    auto pool = env.app.remote_io;
    if (!pool) co_return false;
    using stream_ptr = std::unique_ptr<storage::byte_stream>;
    auto opened = co_await asio::co_spawn(
        pool,
        [&seg]() -> asio::awaitable<result<stream_ptr>> {
            co_return seg.remote->open_range(seg.offset, seg.length);
        },
        asio::use_awaitable);
    if (!opened) {
        spdlog::warn("download: cannot read from the object store: {}", opened.error().detail);
        co_return false;
    }
    stream_ptr in = std::move(*opened);
    // Two buffers: with a digest to check, a chunk is sent only once the
    // next one has been read, so the last one is still here when the
    // stream ends and the digest is known.
    std::unique_ptr<char[]> buf(new char[k_remote_chunk]), held(new char[k_remote_chunk]);
    std::size_t held_size = 0;
    const bool verify = !seg.verify_sha256.empty();
    std::optional<blob_check> check;
    if (verify) check.emplace(env.checksums, seg.verify_sha256);
    std::uint64_t sent = 0;
    auto send = [&](const char* data, std::size_t n) -> asio::awaitable<bool> {
        if (!co_await send_all(data, n)) co_return false;
        sent += n;
        co_return true;
    };
    for (;;) {
        auto n = co_await asio::co_spawn(
            pool,
            [&in, &buf]() -> asio::awaitable<result<std::size_t>> {
                co_return in->read(buf.get(), k_remote_chunk);
            },
            asio::use_awaitable);
        if (!n) {
            spdlog::warn("download: the object store failed part-way: {}", n.error().detail);
            co_return false;
        }
        if (*n == 0) break;
        if (!verify) {
            if (!co_await send(buf.get(), *n)) co_return false;
            continue;
        }
        check->update(buf.get(), *n);
        if (held_size > 0 && !co_await send(held.get(), held_size)) co_return false;
        std::swap(buf, held);
        held_size = *n;
    }
    if (verify) {
        if (auto wrong = check->mismatch()) {
            abort_damaged(seg, "the object's bytes do not match: " + *wrong);
            co_return false;
        }
        if (held_size > 0 && !co_await send(held.get(), held_size)) co_return false;
    }
    co_return sent == seg.length;
}

asio::awaitable<bool> session::impl::send_all(const char* data, std::size_t size) {
    stream.expires_after(env.config.io_timeout);
    auto [ec, written] = co_await asio::async_write(stream, asio::buffer(data, size), use_tuple);
    if (ec) co_return false;
    bytes_out += size;
    co_return true;
}

void session::impl::abort_damaged(const api::file_segment& seg, const std::string& detail) {
    auto& sock = stream.socket();
    // SO_LINGER 0: close sends RST. The client (and any proxy) sees a
    // broken transfer rather than a body that merely ends early.
    ::linger reset{1, 0};
    ::setsockopt(sock.native_handle(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    boost::system::error_code ec;
    sock.close(ec);
    api::report_damaged_blob(env.app, seg.verify_sha256, detail);
}

asio::awaitable<bool> session::impl::send_file(const api::file_segment& seg) {
    if (seg.remote) co_return co_await send_remote(seg);
    auto& sock = stream.socket();
    if (!sock.native_non_blocking()) {
        boost::system::error_code ec;
        sock.native_non_blocking(true, ec);
        if (ec) co_return false;
    }
    if (!seg.verify_sha256.empty()) co_return co_await send_verified(seg);
    co_return co_await send_range(seg.fd->get(), seg.offset, seg.length,
                                  [this](off_t, std::size_t n) {
                                      bytes_out += n;
                                      return true;
                                  });
}

asio::awaitable<bool> session::impl::send_range(int fd, std::uint64_t from, std::uint64_t length,
                                                const std::function<bool(off_t, std::size_t)>& sent) {
    auto& sock = stream.socket();
    off_t offset = static_cast<off_t>(from);
    std::uint64_t remaining = length;
    asio::steady_timer watchdog(stream.get_executor());
    while (remaining > 0) {
        auto want = static_cast<size_t>(std::min<std::uint64_t>(remaining, k_sendfile_chunk));
        const off_t at = offset;
        ssize_t n = ::sendfile(sock.native_handle(), fd, &offset, want);
        if (n > 0) {
            remaining -= static_cast<std::uint64_t>(n);
            if (!sent(at, static_cast<std::size_t>(n))) co_return false;
            continue;
        }
        if (n == 0) co_return false;  // the file is shorter than its metadata says
        if (errno == EINTR) continue;
        if (errno != EAGAIN) co_return false;
        // The socket buffer is full: wait until the client reads, but not forever.
        watchdog.expires_after(env.config.io_timeout);
        watchdog.async_wait([&sock](boost::system::error_code wec) {
            if (!wec) sock.cancel();
        });
        auto [wait_ec] = co_await sock.async_wait(tcp::socket::wait_write, use_tuple);
        watchdog.cancel();
        if (wait_ec) co_return false;
    }
    co_return true;
}

// A whole blob: everything but the last k_verify_tail bytes goes out with
// sendfile (zero copy), and the same bytes are read again with pread (from
// the page cache) and hashed; the tail is read, hashed and sent only when
// the digest matches the blob's name (or, once a download has verified the
// blob since the start, its remembered XXH3: server/blob_check.hpp). Bit
// rot under the file is thus never delivered as a complete, good-looking
// download.
asio::awaitable<bool> session::impl::send_verified(const api::file_segment& seg) {
    const int fd = seg.fd->get();
    blob_check check(env.checksums, seg.verify_sha256);
    // No bigger than the file: a small download's buffer comes from the
    // heap, not a mapping made and unmade per request (main.cpp maps 1 MiB
    // blocks on their own).
    const auto buf_size = static_cast<std::size_t>(std::min<std::uint64_t>(k_hash_chunk, seg.length));
    std::unique_ptr<char[]> buf(new char[buf_size]);
    bool read_failed = false;
    auto hash_range = [&](off_t at, std::size_t n) {
        while (n > 0) {
            ssize_t got = ::pread(fd, buf.get(), std::min(n, buf_size), at);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                read_failed = true;
                return false;
            }
            check.update(buf.get(), static_cast<std::size_t>(got));
            at += got;
            n -= static_cast<std::size_t>(got);
        }
        return true;
    };
    const std::uint64_t tail = std::min<std::uint64_t>(seg.length, k_verify_tail);
    const std::uint64_t head = seg.length - tail;
    if (head > 0 && !co_await send_range(fd, seg.offset, head, [&](off_t at, std::size_t n) {
            bytes_out += n;
            return hash_range(at, n);
        })) {
        struct stat st {};
        if (read_failed)
            abort_damaged(seg, "the file cannot be read back");
        else if (::fstat(fd, &st) == 0 &&
                 static_cast<std::uint64_t>(st.st_size) < seg.offset + seg.length)
            abort_damaged(seg, "the file is shorter than recorded");
        co_return false;
    }
    const auto tail_at = static_cast<off_t>(seg.offset + head);
    std::size_t have = 0;
    while (have < tail) {
        ssize_t got = ::pread(fd, buf.get() + have, static_cast<std::size_t>(tail) - have,
                              tail_at + static_cast<off_t>(have));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            abort_damaged(seg, got == 0 ? "the file is shorter than recorded"
                                        : "the file cannot be read back");
            co_return false;
        }
        have += static_cast<std::size_t>(got);
    }
    check.update(buf.get(), have);
    if (auto wrong = check.mismatch()) {
        abort_damaged(seg, *wrong);
        co_return false;
    }
    co_return co_await send_all(buf.get(), have);
}

namespace {

// "Date:" changes once a second; format it once a second per thread.
const std::string& http_date_now() {
    thread_local std::time_t cached_second = 0;
    thread_local std::string cached;
    std::time_t now = std::time(nullptr);
    if (now != cached_second) {
        cached_second = now;
        cached = api::format_http_date(now);
    }
    return cached;
}

// Header values come from kho's own code, but a CR or LF must never reach
// the wire whatever a bug upstream does (response splitting).
void append_field(std::string& out, std::string_view name, std::string_view value) {
    out.append(name);
    out.append(": ");
    auto at = out.size();
    out.append(value);
    for (auto i = out.find_first_of("\r\n", at); i != std::string::npos;
         i = out.find_first_of("\r\n", i))
        out[i] = ' ';
    out.append("\r\n");
}

}  // namespace

asio::awaitable<bool> session::impl::write_response(api::response& resp, bool keep_alive,
                                                    bool head_only, const std::string& request_id) {
    const bool no_body = resp.status == 204 || resp.status == 304;
    const std::uint64_t length = resp.content_length();
    std::string head;
    head.reserve(512);
    head.append("HTTP/1.1 ");
    head.append(std::to_string(resp.status));
    head += ' ';
    head.append(api::reason_phrase(resp.status));
    head.append("\r\n");
    for (const auto& [name, value] : resp.headers.fields()) append_field(head, name, value);
    append_field(head, "Server", "kho");
    append_field(head, "Date", http_date_now());
    if (!request_id.empty()) append_field(head, "X-Request-Id", request_id);
    if (!no_body) append_field(head, "Content-Length", std::to_string(length));
    if (!keep_alive) append_field(head, "Connection", "close");
    head.append("\r\n");

    const bool send_body = !head_only && !no_body;
    bool only_bytes = true;
    for (const auto& seg : resp.body) only_bytes &= std::holds_alternative<std::string>(seg);

    // A body kho built (JSON, problems) goes out with the header in one
    // gather write.
    if (!send_body || only_bytes) {
        std::vector<asio::const_buffer> buffers{asio::buffer(head)};
        if (send_body)
            for (const auto& seg : resp.body)
                buffers.push_back(asio::buffer(std::get<std::string>(seg)));
        stream.expires_after(env.config.io_timeout);
        auto [ec, n] = co_await asio::async_write(stream, buffers, use_tuple);
        if (ec) co_return false;
        if (send_body) bytes_out += length;
        co_return true;
    }

    // With file segments: bytes are sent with MSG_MORE so that the kernel
    // packs them with the file data that sendfile adds next; a small
    // download is two system calls, one packet and no copy through user
    // space.
    if (!co_await send_more(head)) co_return false;
    for (const auto& seg : resp.body) {
        if (const auto* bytes = std::get_if<std::string>(&seg)) {
            if (!co_await send_more(*bytes)) co_return false;
            bytes_out += bytes->size();
        } else if (!co_await send_file(std::get<api::file_segment>(seg))) {
            co_return false;
        }
    }
    co_return true;
}

asio::awaitable<bool> session::impl::send_more(std::string_view bytes) {
    auto& sock = stream.socket();
    if (!sock.native_non_blocking()) {
        boost::system::error_code ec;
        sock.native_non_blocking(true, ec);
        if (ec) co_return false;
    }
    ssize_t n;
    do {
        n = ::send(sock.native_handle(), bytes.data(), bytes.size(), MSG_MORE | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN) co_return false;
    if (n > 0) bytes.remove_prefix(static_cast<std::size_t>(n));
    if (bytes.empty()) co_return true;
    // The socket buffer is full: finish with an ordinary asynchronous write.
    stream.expires_after(env.config.io_timeout);
    auto [ec, written] = co_await asio::async_write(stream, asio::buffer(bytes), use_tuple);
    co_return !ec;
}

// After answering a request whose body we did not read (an early 413, 415 or
// 401), closing at once would make the kernel send RST and the client could
// lose our answer. Half-close and drain for a while instead, like nginx's
// lingering close.
asio::awaitable<void> session::impl::lingering_close() {
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    std::vector<char> sink(64 * 1024);
    std::uint64_t drained = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (drained < (64u << 20) && std::chrono::steady_clock::now() < deadline) {
        stream.expires_at(deadline);
        auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
        if (rec) break;
        drained += n;
    }
    stream.socket().close(ec);
}

asio::awaitable<std::pair<boost::system::error_code, std::optional<std::string>>>
session::impl::read_header_block() {
    const std::size_t limit = env.config.max_header_bytes;
    for (;;) {
        auto data = buffer.cdata();
        std::string_view bytes(static_cast<const char*>(data.data()), data.size());
        // Empty lines before a request line are allowed (RFC 9112 §2.2).
        std::size_t skip = 0;
        while (skip + 1 < bytes.size() && bytes[skip] == '\r' && bytes[skip + 1] == '\n') skip += 2;
        if (skip > 0 && skip == bytes.size()) {
            buffer.consume(skip);
            continue;
        }
        if (auto end = api::header_block_end(bytes.substr(skip))) {
            buffer.consume(skip);
            co_return std::pair{boost::system::error_code{},
                                api::framing_problem(bytes.substr(skip, *end))};
        }
        if (bytes.size() > limit) co_return std::pair{make_error_code(http::error::header_limit), std::nullopt};
        auto space = buffer.prepare(k_read_buffer);
        auto [ec, n] = co_await stream.async_read_some(space, use_tuple);
        if (ec) co_return std::pair{ec, std::nullopt};
        buffer.commit(n);
    }
}

asio::awaitable<void> session::run(std::shared_ptr<session> self) {
    auto& s = *self->impl_;
    const auto& cfg = s.env.config;
    bool first = true;
    for (;;) {
        http::request_parser<http::buffer_body> parser;
        parser.header_limit(cfg.max_header_bytes);
        parser.body_limit(std::max<std::uint64_t>(cfg.max_upload_bytes, cfg.max_json_bytes));
        s.idle = true;
        if (s.stop_requested || s.env.app.stopping) break;
        s.stream.expires_after(first ? cfg.header_timeout : cfg.idle_timeout);
        // The whole header block first, so that its raw bytes can be checked
        // for what Beast's parser tolerates (request_framing.hpp); then
        // Beast parses it from the buffer.
        auto [raw_ec, problem] = co_await s.read_header_block();
        if (raw_ec == http::error::header_limit) {
            s.idle = false;
            co_await s.send_simple(api::problem_response(
                errc::header_too_large,
                "the request header is larger than " + std::to_string(cfg.max_header_bytes) + " bytes"));
            co_await s.lingering_close();
            break;
        }
        if (raw_ec) break;  // closed or timed out before a complete header
        if (problem) {
            s.idle = false;
            co_await s.send_simple(api::problem_response(errc::bad_request, "malformed request: " + *problem));
            co_await s.lingering_close();
            break;
        }
        auto [ec, n] = co_await http::async_read_header(s.stream, s.buffer, parser, use_tuple);
        s.idle = false;
        first = false;
        if (ec) {
            if (ec == http::error::body_limit) {
                co_await s.send_simple(
                    api::problem_response(errc::payload_too_large,
                                          "the declared body is larger than this server accepts"));
                co_await s.lingering_close();
            } else if (ec == http::error::header_limit) {
                co_await s.send_simple(api::problem_response(
                    errc::header_too_large, "the request header is larger than " +
                                                std::to_string(cfg.max_header_bytes) + " bytes"));
                co_await s.lingering_close();
            } else if (!is_timeout_or_closed(ec) && ec != http::error::partial_message) {
                co_await s.send_simple(
                    api::problem_response(errc::bad_request, "malformed request: " + ec.message()));
                co_await s.lingering_close();
            }
            break;
        }

        auto& msg = parser.get();
        // Only "chunked" alone is understood: another coding would store
        // encoded bytes, and "chunked" not last leaves the body length
        // undefined (a request-smuggling vector). Refuse and close.
        if (auto te = msg.find(http::field::transfer_encoding); te != msg.end()) {
            auto value = te->value();
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
                value.remove_prefix(1);
            while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
                value.remove_suffix(1);
            if (!beast::iequals(value, "chunked") ||
                msg.count(http::field::transfer_encoding) > 1) {
                co_await s.send_simple(api::problem_response(
                    errc::bad_request, "only the chunked transfer coding is supported"));
                co_await s.lingering_close();
                break;
            }
        }

        auto started = std::chrono::steady_clock::now();
        s.bytes_in = s.bytes_out = 0;
        api::request req;
        req.method = std::string(msg.method_string());
        req.target = std::string(msg.target());
        for (const auto& f : msg) req.headers.add(f.name_string(), std::string(f.value()));
        req.client_address = s.client;
        req.request_id = std::to_string(++s.env.request_counter);
        socket_body_source body(s, parser, self);
        req.body = &body;

        auto result = co_await api::dispatch(s.env.app, s.env.router, req);
        bool head_only = req.method == "HEAD";
        bool body_consumed = parser.is_done();
        // HTTP/1.0 clients get one request per connection.
        bool keep_alive = msg.keep_alive() && msg.version() >= 11 && !result.resp.close &&
                          body_consumed && !s.stop_requested && !s.env.app.stopping;
        bool sent = co_await s.write_response(result.resp, keep_alive, head_only, req.request_id);
        if (result.resp.on_sent && !head_only && result.resp.status != 304)
            result.resp.on_sent(s.bytes_out, sent);

        double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        s.env.app.metrics.observe(result.route, req.method, result.resp.status, seconds, s.bytes_in,
                                  s.bytes_out);
        s.env.log.write({req.method, req.target, result.route, result.resp.status, s.bytes_in,
                         s.bytes_out, seconds * 1000.0, result.user, s.client, req.request_id,
                         !sent});
        if (!sent) break;
        if (!keep_alive) {
            if (!body_consumed) co_await s.lingering_close();
            break;
        }
    }
    boost::system::error_code ec;
    s.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    s.stream.socket().close(ec);
}

}  // namespace kho::server
