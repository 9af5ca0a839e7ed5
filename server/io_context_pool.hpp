#pragma once
// One io_context per I/O thread, each run by exactly one thread. A connection
// lives on one context for its whole life, so its handlers never migrate
// between threads: no strands, no cross-thread wake-ups, no lock contention
// inside Asio's scheduler (each context gets concurrency hint 1).

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace kho::server {

class io_context_pool {
  public:
    explicit io_context_pool(unsigned threads) {
        for (unsigned i = 0; i < threads; ++i) {
            contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
            guards_.emplace_back(boost::asio::make_work_guard(*contexts_.back()));
        }
    }

    boost::asio::io_context& first() { return *contexts_.front(); }
    // Round-robin over the contexts, for new connections.
    boost::asio::io_context& next() {
        return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
    }

    // Runs every context on its own thread (the first on the caller's) and
    // returns when all have run out of work after release().
    void run() {
        std::vector<std::thread> threads;
        for (size_t i = 1; i < contexts_.size(); ++i)
            threads.emplace_back([ctx = contexts_[i].get()] { ctx->run(); });
        contexts_.front()->run();
        for (auto& t : threads) t.join();
    }

    // Lets the contexts stop once their remaining work is done. Thread-safe.
    void release() {
        for (auto& g : guards_) g.reset();
    }

  private:
    using guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
    std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
    std::vector<guard> guards_;
    std::atomic<size_t> next_{0};
};

}  // namespace kho::server
