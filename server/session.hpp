#pragma once
// Internal to server/: one connection. Reads a request header, hands the
// request to api::dispatch with a body_source that streams the body from the
// socket, writes the response (file segments with sendfile(2)), logs it, and
// loops while keep-alive holds. Every wait has a deadline.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <memory>

namespace kho::server {

struct session_env;  // defined in http_server.cpp

class session : public std::enable_shared_from_this<session> {
  public:
    session(session_env& env, boost::asio::ip::tcp::socket socket);
    ~session();

    // Serves the connection until it closes. Takes ownership through `self`
    // (a coroutine's parameters live in its frame, so the session lives as
    // long as the coroutine, wherever and whenever it starts).
    static boost::asio::awaitable<void> run(std::shared_ptr<session> self);
    // From any thread: close the connection if it waits for a request; an
    // in-flight request finishes and then the connection closes.
    void stop_if_idle();
    // From any thread: close now.
    void force_close();
    // The strand this connection runs on.
    boost::asio::any_io_executor impl_executor() const;

    struct impl;

  private:
    std::unique_ptr<impl> impl_;
};

}  // namespace kho::server
