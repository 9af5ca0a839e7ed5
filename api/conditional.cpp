#include "api/conditional.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <vector>

namespace kho::api {
namespace {

using namespace std::chrono;

constexpr std::array<std::string_view, 7> short_days{"Sun", "Mon", "Tue", "Wed",
                                                     "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> long_days{"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                    "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Year 0000 to 9999, the range a four-digit year can express.
constexpr std::int64_t min_date = -62167219200;
constexpr std::int64_t max_date = 253402300799;

bool is_day_name(std::string_view s, const std::array<std::string_view, 7>& names) {
    return std::find(names.begin(), names.end(), s) != names.end();
}

std::optional<unsigned> parse_month(std::string_view s) {
    auto it = std::find(months.begin(), months.end(), s);
    if (it == months.end()) return std::nullopt;
    return static_cast<unsigned>(it - months.begin()) + 1;
}

// Exactly s.size() digits (leading spaces allowed when `pad` is true).
std::optional<int> parse_digits(std::string_view s, bool pad = false) {
    if (s.empty()) return std::nullopt;
    int n = 0;
    bool seen_digit = false;
    for (char c : s) {
        if (pad && c == ' ' && !seen_digit) continue;
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
        seen_digit = true;
    }
    if (!seen_digit) return std::nullopt;
    return n;
}

// "hh:mm:ss" as seconds since midnight. 60 is accepted for a leap second.
std::optional<std::int64_t> parse_time(std::string_view s) {
    if (s.size() != 8 || s[2] != ':' || s[5] != ':') return std::nullopt;
    auto h = parse_digits(s.substr(0, 2));
    auto m = parse_digits(s.substr(3, 2));
    auto sec = parse_digits(s.substr(6, 2));
    if (!h || !m || !sec || *h > 23 || *m > 59 || *sec > 60) return std::nullopt;
    return *h * 3600 + *m * 60 + *sec;
}

std::optional<std::int64_t> to_unix(std::optional<int> year, std::optional<unsigned> month,
                                    std::optional<int> day, std::optional<std::int64_t> time) {
    if (!year || !month || !day || !time) return std::nullopt;
    year_month_day ymd{std::chrono::year{*year}, std::chrono::month{*month},
                       std::chrono::day{static_cast<unsigned>(*day)}};
    if (!ymd.ok()) return std::nullopt;
    return sys_days{ymd}.time_since_epoch().count() * std::int64_t{86400} + *time;
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<std::int64_t> parse_imf(std::string_view s) {
    if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
        s.substr(25) != " GMT" || !is_day_name(s.substr(0, 3), short_days))
        return std::nullopt;
    return to_unix(parse_digits(s.substr(12, 4)), parse_month(s.substr(8, 3)),
                   parse_digits(s.substr(5, 2)), parse_time(s.substr(17, 8)));
}

// "Sunday, 06-Nov-94 08:49:37 GMT"
std::optional<std::int64_t> parse_rfc850(std::string_view s) {
    auto comma = s.find(", ");
    if (comma == std::string_view::npos || !is_day_name(s.substr(0, comma), long_days))
        return std::nullopt;
    s = s.substr(comma + 2);
    if (s.size() != 22 || s[2] != '-' || s[6] != '-' || s[9] != ' ' || s.substr(18) != " GMT")
        return std::nullopt;
    // A fixed pivot keeps the function pure: 70-99 are 19xx, 00-69 are 20xx.
    auto yy = parse_digits(s.substr(7, 2));
    if (yy) *yy += *yy < 70 ? 2000 : 1900;
    return to_unix(yy, parse_month(s.substr(3, 3)), parse_digits(s.substr(0, 2)),
                   parse_time(s.substr(10, 8)));
}

// "Sun Nov  6 08:49:37 1994"
std::optional<std::int64_t> parse_asctime(std::string_view s) {
    if (s.size() != 24 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[19] != ' ' ||
        !is_day_name(s.substr(0, 3), short_days))
        return std::nullopt;
    return to_unix(parse_digits(s.substr(20, 4)), parse_month(s.substr(4, 3)),
                   parse_digits(s.substr(8, 2), true), parse_time(s.substr(11, 8)));
}

// One entity-tag from a list: W/"..." or "...".
struct entity_tag {
    bool weak = false;
    std::string_view opaque;  // including the quotes
};

std::optional<entity_tag> parse_tag(std::string_view s) {
    entity_tag t;
    if (s.starts_with("W/")) {
        t.weak = true;
        s.remove_prefix(2);
    }
    if (s.size() < 2 || s.front() != '"' || s.back() != '"') return std::nullopt;
    for (char ch : s.substr(1, s.size() - 2)) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x21 || c == '"' || c == 0x7f) return std::nullopt;
    }
    t.opaque = s;
    return t;
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Whether any field value in If-Match / If-None-Match matches the current tag.
// A malformed list matches nothing, which makes If-Match fail and
// If-None-Match pass: both the safe outcome.
bool list_matches(const std::vector<std::string_view>& values, const validators& v, bool strong) {
    auto current = parse_tag(v.etag);
    bool matched = false;
    for (auto value : values) {
        value = trim_ows(value);
        if (value == "*") {
            matched = true;
            continue;
        }
        while (!value.empty()) {
            if (value.front() == ',') {  // empty list elements are allowed
                value = trim_ows(value.substr(1));
                continue;
            }
            // Commas may appear inside an opaque tag, so split after the closing quote.
            auto open = value.find('"');
            auto close = open == std::string_view::npos ? open : value.find('"', open + 1);
            if (close == std::string_view::npos) return false;
            auto tag = parse_tag(trim_ows(value.substr(0, close + 1)));
            if (!tag) return false;
            if (current && tag->opaque == current->opaque &&
                (!strong || (!tag->weak && !current->weak)))
                matched = true;
            value = trim_ows(value.substr(close + 1));
            if (!value.empty() && value.front() != ',') return false;
        }
    }
    return matched;
}

// A date header counts only when it appears once and parses.
std::optional<std::int64_t> single_date(const header_list& h, std::string_view name) {
    auto values = h.get_all(name);
    if (values.size() != 1) return std::nullopt;
    return parse_http_date(values.front());
}

}  // namespace

std::string format_http_date(std::int64_t unix_seconds) {
    sys_seconds tp{seconds{std::clamp(unix_seconds, min_date, max_date)}};
    auto days = floor<std::chrono::days>(tp);
    year_month_day ymd{days};
    hh_mm_ss hms{tp - days};
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d GMT",
                  short_days[weekday{days}.c_encoding()].data(), static_cast<unsigned>(ymd.day()),
                  months[static_cast<unsigned>(ymd.month()) - 1].data(),
                  static_cast<int>(ymd.year()), static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
    return buf;
}

std::optional<std::int64_t> parse_http_date(std::string_view text) {
    text = trim_ows(text);
    if (auto t = parse_imf(text)) return t;
    if (auto t = parse_rfc850(text)) return t;
    return parse_asctime(text);
}

precondition evaluate_preconditions(const header_list& h, std::string_view method,
                                    const validators& v) {
    const bool get_or_head = method == "GET" || method == "HEAD";

    if (auto if_match = h.get_all("If-Match"); !if_match.empty()) {
        if (!list_matches(if_match, v, true)) return precondition::precondition_failed;
    } else if (auto since = single_date(h, "If-Unmodified-Since")) {
        if (v.last_modified > *since) return precondition::precondition_failed;
    }

    if (auto if_none = h.get_all("If-None-Match"); !if_none.empty()) {
        if (list_matches(if_none, v, false))
            return get_or_head ? precondition::not_modified : precondition::precondition_failed;
    } else if (get_or_head) {
        if (auto since = single_date(h, "If-Modified-Since"); since && v.last_modified <= *since)
            return precondition::not_modified;
    }
    return precondition::proceed;
}

bool if_range_allows(const header_list& h, const validators& v) {
    auto values = h.get_all("If-Range");
    if (values.empty()) return true;
    if (values.size() != 1) return false;
    auto value = trim_ows(values.front());
    if (value.starts_with('"') || value.starts_with("W/")) {
        auto tag = parse_tag(value);
        auto current = parse_tag(v.etag);
        return tag && current && !tag->weak && !current->weak && tag->opaque == current->opaque;
    }
    auto date = parse_http_date(value);
    return date && *date == v.last_modified;
}

std::optional<std::uint64_t> revision_of_etag(std::string_view v) {
    if (v.size() < 4 || v.front() != '"' || v.back() != '"' || v[1] != 'r') return std::nullopt;
    std::uint64_t rev = 0;
    auto [ptr, ec] = std::from_chars(v.data() + 2, v.data() + v.size() - 1, rev);
    if (ec != std::errc() || (ptr != v.data() + v.size() - 1 && *ptr != '-')) return std::nullopt;
    return rev;
}

}  // namespace kho::api
