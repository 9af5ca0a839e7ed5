#pragma once
// A TCP relay on an ephemeral loopback port to another port, for tests that
// take a dependency away while the server runs: cut() closes every relayed
// connection and refuses new ones; restore() listens again on the same port.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace kho::test {

class tcp_relay {
  public:
    explicit tcp_relay(std::uint16_t target_port);
    ~tcp_relay();
    tcp_relay(const tcp_relay&) = delete;
    tcp_relay& operator=(const tcp_relay&) = delete;

    std::uint16_t port() const { return port_; }
    void cut();
    void restore();

  private:
    void listen_on(std::uint16_t port);
    void accept_loop(int listener);
    void pump(int from, int to);

    std::uint16_t target_;
    std::uint16_t port_ = 0;
    std::mutex mutex_;
    int listener_ = -1;
    std::vector<int> sockets_;
    std::vector<std::thread> threads_;
};

}  // namespace kho::test
