#pragma once
// Request metrics in the Prometheus text format (version 0.0.4).
// Thread-safe: observe() is called from every I/O thread.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace kho::api {

struct gauge_values {
    std::int64_t blob_count = 0;
    std::int64_t blob_bytes = 0;
    std::uint64_t usage_events_lost = 0;  // a counter, kept by the usage store
};

class metrics_registry {
  public:
    static constexpr std::array<double, 13> buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                    1,     2.5,  5,     10,   30,  60};

    // `route` is the route pattern ("/api/v1/assets/{id}"), never the raw
    // path, so that label cardinality stays bounded; it must outlive the
    // registry (patterns live in the router). Unknown methods count as "OTHER".
    void observe(std::string_view route, std::string_view method, int status, double seconds,
                 std::uint64_t bytes_in, std::uint64_t bytes_out);

    void connection_opened() { open_connections_.fetch_add(1); }
    void connection_closed() { open_connections_.fetch_sub(1); }
    std::int64_t open_connections() const { return open_connections_.load(); }

    std::string render(const gauge_values& gauges) const;

  private:
    struct histogram {
        std::array<std::uint64_t, buckets.size()> counts{};
        std::uint64_t count = 0;
        double sum = 0;
    };
    mutable std::mutex mutex_;
    // Keys are views of static or router-owned strings: observing a request
    // allocates nothing after the first request of its kind.
    std::map<std::tuple<std::string_view, std::string_view, int>, std::uint64_t> requests_;
    std::map<std::string_view, histogram> latency_;
    std::uint64_t bytes_in_ = 0;
    std::uint64_t bytes_out_ = 0;
    std::atomic<std::int64_t> open_connections_{0};
};

}  // namespace kho::api
