#include "api/metrics.hpp"

#include <sstream>

namespace kho::api {
namespace {

std::string escape_label(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

// A static spelling of the method, so that a key never points into a request.
std::string_view known_method(std::string_view m) {
    static constexpr std::string_view methods[] = {"GET",   "HEAD",   "POST",   "PUT",
                                                   "PATCH", "DELETE", "OPTIONS"};
    for (auto known : methods)
        if (known == m) return known;
    return "OTHER";
}

}  // namespace

void metrics_registry::observe(std::string_view route, std::string_view method, int status,
                               double seconds, std::uint64_t bytes_in, std::uint64_t bytes_out) {
    std::lock_guard lock(mutex_);
    ++requests_[{route, known_method(method), status}];
    auto& h = latency_[route];
    for (size_t i = 0; i < buckets.size(); ++i)
        if (seconds <= buckets[i]) ++h.counts[i];
    ++h.count;
    h.sum += seconds;
    bytes_in_ += bytes_in;
    bytes_out_ += bytes_out;
}

std::string metrics_registry::render(const gauge_values& gauges) const {
    std::ostringstream out;
    std::lock_guard lock(mutex_);
    out << "# HELP kho_http_requests_total HTTP requests by route, method and status.\n"
           "# TYPE kho_http_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
        const auto& [route, method, status] = key;
        out << "kho_http_requests_total{route=\"" << escape_label(route) << "\",method=\""
            << escape_label(method) << "\",status=\"" << status << "\"} " << n << '\n';
    }
    out << "# HELP kho_http_request_duration_seconds Time from request header to last byte sent.\n"
           "# TYPE kho_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_) {
        auto label = escape_label(route);
        for (size_t i = 0; i < buckets.size(); ++i)
            out << "kho_http_request_duration_seconds_bucket{route=\"" << label << "\",le=\""
                << buckets[i] << "\"} " << h.counts[i] << '\n';
        out << "kho_http_request_duration_seconds_bucket{route=\"" << label << "\",le=\"+Inf\"} "
            << h.count << '\n';
        out << "kho_http_request_duration_seconds_sum{route=\"" << label << "\"} " << h.sum << '\n';
        out << "kho_http_request_duration_seconds_count{route=\"" << label << "\"} " << h.count
            << '\n';
    }
    out << "# HELP kho_http_received_bytes_total Request body bytes received.\n"
           "# TYPE kho_http_received_bytes_total counter\n"
        << "kho_http_received_bytes_total " << bytes_in_ << '\n'
        << "# HELP kho_http_sent_bytes_total Response body bytes sent.\n"
           "# TYPE kho_http_sent_bytes_total counter\n"
        << "kho_http_sent_bytes_total " << bytes_out_ << '\n'
        << "# HELP kho_http_open_connections Connections currently open.\n"
           "# TYPE kho_http_open_connections gauge\n"
        << "kho_http_open_connections " << open_connections_.load() << '\n'
        << "# HELP kho_blobs Referenced blobs stored.\n"
           "# TYPE kho_blobs gauge\n"
        << "kho_blobs " << gauges.blob_count << '\n'
        << "# HELP kho_blob_bytes Bytes of referenced blobs stored.\n"
           "# TYPE kho_blob_bytes gauge\n"
        << "kho_blob_bytes " << gauges.blob_bytes << '\n'
        << "# HELP kho_usage_events_lost_total Download events not recorded (full disk or queue).\n"
           "# TYPE kho_usage_events_lost_total counter\n"
        << "kho_usage_events_lost_total " << gauges.usage_events_lost << '\n';
    return out.str();
}

}  // namespace kho::api
