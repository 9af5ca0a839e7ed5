#include "server/http_server.hpp"

#include "api/app.hpp"
#include "api/problem.hpp"
#include "server/io_context_pool.hpp"
#include "server/session.hpp"
#include "server/session_env.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <mutex>
#include <unordered_map>

namespace kho::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct http_server::state : std::enable_shared_from_this<http_server::state> {
    io_context_pool& pool;
    session_env env;
    tcp::acceptor acceptor;
    asio::steady_timer grace_timer;
    std::mutex mutex;
    std::unordered_map<session*, std::weak_ptr<session>> sessions;
    std::atomic<bool> shutting_down{false};
    std::function<void()> on_stopped;
    std::atomic<bool> stopped_reported{false};

    state(io_context_pool& p, api::app& app, const api::router& router, const server_config& config,
          access_log& log, std::function<void()> stopped)
        : pool(p),
          env{app, router, config, log},
          acceptor(p.first()),
          grace_timer(p.first()),
          on_stopped(std::move(stopped)) {}

    // Called with `mutex` held.
    void report_stopped_locked() {
        if (!stopped_reported.exchange(true)) {
            grace_timer.cancel();
            if (on_stopped) on_stopped();
        }
    }

    std::size_t count() {
        std::lock_guard lock(mutex);
        return sessions.size();
    }

    void on_session_end(session* s) {
        std::lock_guard lock(mutex);
        sessions.erase(s);
        if (shutting_down && sessions.empty()) report_stopped_locked();
    }

    asio::awaitable<void> accept_loop() {
        auto self = shared_from_this();
        for (;;) {
            tcp::socket socket(pool.next());
            auto [ec] = co_await acceptor.async_accept(socket, asio::as_tuple(asio::use_awaitable));
            if (ec) {
                if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
                // EMFILE and friends: back off briefly instead of spinning.
                spdlog::warn("accept failed: {}", ec.message());
                asio::steady_timer t(pool.first(), std::chrono::milliseconds(50));
                co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
                continue;
            }
            socket.set_option(tcp::no_delay(true), ec);
            if (count() >= env.config.max_connections) {
                refuse(std::move(socket));
                continue;
            }
            auto s = std::make_shared<session>(env, std::move(socket));
            {
                std::lock_guard lock(mutex);
                sessions.emplace(s.get(), s);
            }
            auto executor = s->impl_executor();
            asio::co_spawn(executor, session::run(s), [self, raw = s.get()](std::exception_ptr e) {
                if (e) {
                    try {
                        std::rethrow_exception(e);
                    } catch (const std::exception& ex) {
                        spdlog::error("session ended by exception: {}", ex.what());
                    }
                }
                self->on_session_end(raw);
            });
        }
    }

    // Over the connection limit: a short 503 and close, without a session.
    void refuse(tcp::socket socket) {
        auto resp =
            api::problem_response(errc::unavailable, "the server is at its connection limit");
        auto text = std::make_shared<std::string>(
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\n"
            "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
            std::to_string(resp.content_length()) + "\r\n\r\n" +
            std::get<std::string>(resp.body.front()));
        auto sock = std::make_shared<tcp::socket>(std::move(socket));
        asio::async_write(*sock, asio::buffer(*text), [sock, text](auto, auto) {
            boost::system::error_code ec;
            sock->shutdown(tcp::socket::shutdown_both, ec);
            sock->close(ec);
        });
    }
};

http_server::http_server(io_context_pool& pool, api::app& app, const api::router& router,
                         const server_config& config, access_log& log,
                         std::function<void()> on_stopped)
    : state_(std::make_shared<state>(pool, app, router, config, log, std::move(on_stopped))) {}

http_server::~http_server() = default;

result<std::uint16_t> http_server::listen() {
    const auto& listen = state_->env.config.listen;
    auto colon = listen.rfind(':');
    std::string host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) return make_error(errc::invalid_parameter, "--listen: bad address " + host);
    unsigned long port = 0;
    try {
        port = std::stoul(listen.substr(colon + 1));
    } catch (...) {
        port = 70000;
    }
    if (port > 65535) return make_error(errc::invalid_parameter, "--listen: bad port");
    tcp::endpoint ep(address, static_cast<std::uint16_t>(port));
    auto& acc = state_->acceptor;
    acc.open(ep.protocol(), ec);
    if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acc.bind(ep, ec);
    if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return make_error(errc::unavailable, "cannot listen on " + listen + ": " + ec.message());
    return acc.local_endpoint().port();
}

void http_server::start() {
    asio::co_spawn(state_->acceptor.get_executor(), state_->accept_loop(), asio::detached);
}

void http_server::shutdown() {
    auto st = state_;
    if (st->shutting_down.exchange(true)) return;
    asio::post(st->acceptor.get_executor(), [st] {
        boost::system::error_code ec;
        st->acceptor.close(ec);
    });
    std::vector<std::shared_ptr<session>> live;
    {
        std::lock_guard lock(st->mutex);
        for (auto& [raw, weak] : st->sessions)
            if (auto s = weak.lock()) live.push_back(std::move(s));
        if (st->sessions.empty()) {
            st->report_stopped_locked();
            return;
        }
    }
    for (auto& s : live) s->stop_if_idle();
    // In-flight requests get the grace period; then every connection closes.
    st->grace_timer.expires_after(st->env.config.shutdown_grace);
    st->grace_timer.async_wait([st](boost::system::error_code ec) {
        if (ec) return;
        std::vector<std::shared_ptr<session>> remaining;
        {
            std::lock_guard lock(st->mutex);
            for (auto& [raw, weak] : st->sessions)
                if (auto s = weak.lock()) remaining.push_back(std::move(s));
        }
        if (!remaining.empty())
            spdlog::warn("closing {} connections still busy after the grace period",
                         remaining.size());
        for (auto& s : remaining) s->force_close();
    });
}

}  // namespace kho::server
