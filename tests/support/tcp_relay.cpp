#include "tests/support/tcp_relay.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace kho::test {

tcp_relay::tcp_relay(std::uint16_t target_port) : target_(target_port) {
    listen_on(0);
}

tcp_relay::~tcp_relay() {
    cut();
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(mutex_);
        threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
    for (int s : sockets_) ::close(s);
}

void tcp_relay::listen_on(std::uint16_t port) {
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s, 64) != 0) {
        ::close(s);
        throw std::runtime_error("tcp_relay: cannot listen");
    }
    socklen_t len = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    std::lock_guard lock(mutex_);
    listener_ = s;
    threads_.emplace_back([this, s] { accept_loop(s); });
}

void tcp_relay::accept_loop(int listener) {
    for (;;) {
        int in = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (in < 0) return;  // cut(): the listener was shut down
        int out = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(target_);
        if (::connect(out, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(in);
            ::close(out);
            continue;
        }
        std::lock_guard lock(mutex_);
        if (listener_ != listener) {  // cut meanwhile
            ::close(in);
            ::close(out);
            return;
        }
        sockets_.push_back(in);
        sockets_.push_back(out);
        threads_.emplace_back([this, in, out] { pump(in, out); });
        threads_.emplace_back([this, in, out] { pump(out, in); });
    }
}

void tcp_relay::pump(int from, int to) {
    char buf[65536];
    for (;;) {
        auto n = ::read(from, buf, sizeof buf);
        if (n <= 0) break;
        for (ssize_t done = 0; done < n;) {
            auto w = ::send(to, buf + done, static_cast<size_t>(n - done), MSG_NOSIGNAL);
            if (w <= 0) return;
            done += w;
        }
    }
    ::shutdown(to, SHUT_WR);
}

void tcp_relay::cut() {
    std::lock_guard lock(mutex_);
    if (listener_ >= 0) {
        ::shutdown(listener_, SHUT_RDWR);
        ::close(listener_);
        listener_ = -1;
    }
    for (int s : sockets_) ::shutdown(s, SHUT_RDWR);
}

void tcp_relay::restore() {
    listen_on(port_);
}

}  // namespace kho::test
