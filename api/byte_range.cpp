#include "api/byte_range.hpp"

#include "api/http_message.hpp"

#include <algorithm>
#include <limits>

namespace kho::api {
namespace {

constexpr bool is_ows(char c) noexcept {
    return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

// 1*DIGIT; nothing on an empty string, a non-digit or uint64 overflow.
std::optional<std::uint64_t> parse_number(std::string_view s) noexcept {
    if (s.empty()) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        auto digit = static_cast<std::uint64_t>(c - '0');
        if (n > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
        n = n * 10 + digit;
    }
    return n;
}

struct range_spec {
    std::optional<std::uint64_t> first;  // empty for a suffix range
    std::uint64_t second = 0;            // last-pos, or the suffix length
    bool open_ended = false;             // "first-"
};

std::optional<range_spec> parse_spec(std::string_view s) noexcept {
    auto dash = s.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    auto left = s.substr(0, dash);
    auto right = s.substr(dash + 1);
    range_spec spec;
    if (left.empty()) {
        auto len = parse_number(right);
        if (!len) return std::nullopt;
        spec.second = *len;
        return spec;
    }
    spec.first = parse_number(left);
    if (!spec.first) return std::nullopt;
    if (right.empty()) {
        spec.open_ended = true;
        return spec;
    }
    auto last = parse_number(right);
    if (!last || *last < *spec.first) return std::nullopt;
    spec.second = *last;
    return spec;
}

// The satisfiable part of a spec, if any.
std::optional<byte_range> resolve(const range_spec& spec, std::uint64_t size) noexcept {
    if (size == 0) return std::nullopt;
    if (!spec.first) {
        if (spec.second == 0) return std::nullopt;
        return byte_range{size - std::min(spec.second, size), size - 1};
    }
    if (*spec.first >= size) return std::nullopt;
    std::uint64_t last = spec.open_ended ? size - 1 : std::min(spec.second, size - 1);
    return byte_range{*spec.first, last};
}

}  // namespace

range_result evaluate_range(std::string_view header, std::uint64_t size, std::size_t max_ranges) {
    constexpr std::string_view unit = "bytes";
    range_result full;
    header = trim_ows(header);
    if (header.size() <= unit.size() || !iequals(header.substr(0, unit.size()), unit) ||
        header[unit.size()] != '=')
        return full;

    std::vector<range_spec> specs;
    std::string_view rest = header.substr(unit.size() + 1);
    for (;;) {
        auto comma = rest.find(',');
        auto spec = parse_spec(trim_ows(rest.substr(0, comma)));
        if (!spec) return full;
        specs.push_back(*spec);
        if (specs.size() > max_ranges) {
            range_result refused;
            refused.outcome = range_result::kind::refused;
            return refused;
        }
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
    }

    range_result out;
    for (const auto& spec : specs)
        if (auto r = resolve(spec, size)) out.ranges.push_back(*r);
    if (out.ranges.empty()) {
        out.outcome = range_result::kind::unsatisfiable;
        return out;
    }

    std::sort(out.ranges.begin(), out.ranges.end(),
              [](const byte_range& a, const byte_range& b) { return a.first < b.first; });
    std::vector<byte_range> merged{out.ranges.front()};
    for (std::size_t i = 1; i < out.ranges.size(); ++i) {
        const auto& r = out.ranges[i];
        if (r.first <= merged.back().last) {  // overlaps
            range_result refused;
            refused.outcome = range_result::kind::refused;
            return refused;
        }
        // last < size, so last + 1 cannot overflow.
        if (r.first == merged.back().last + 1)
            merged.back().last = r.last;
        else
            merged.push_back(r);
    }
    out.ranges = std::move(merged);
    out.outcome = range_result::kind::partial;
    return out;
}

}  // namespace kho::api
