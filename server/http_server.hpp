#pragma once
// The HTTP listener: accepts connections, runs one session coroutine per
// connection on its own strand, bounds the number of connections, and shuts
// down gracefully (stop accepting, let in-flight requests finish up to the
// grace period, close idle keep-alive connections at once).
//
// Beast stays inside server/*.cpp; this header only names Asio's io_context.

#include "core/error.hpp"
#include "server/config.hpp"

#include <cstdint>
#include <functional>
#include <memory>

namespace kho::api {
struct app;
class router;
}  // namespace kho::api

namespace kho::server {

class access_log;
class io_context_pool;

class http_server {
  public:
    // `on_stopped` runs once, after shutdown() when the last connection closed.
    http_server(io_context_pool& pool, api::app& app, const api::router& router,
                const server_config& config, access_log& log, std::function<void()> on_stopped);
    ~http_server();

    // Binds and listens; returns the bound port.
    result<std::uint16_t> listen();
    // Starts accepting (call after listen()).
    void start();
    // Graceful shutdown; safe to call from any thread, more than once.
    void shutdown();

    struct state;

  private:
    std::shared_ptr<state> state_;
};

}  // namespace kho::server
