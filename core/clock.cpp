#include "core/clock.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace kho {

clock::clock()
    : source_([] {
          return std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
              .count();
      }) {}

std::string format_rfc3339(unix_ms t) {
    std::time_t secs = static_cast<std::time_t>(t / 1000);
    int ms = static_cast<int>(t % 1000);
    if (ms < 0) {
        ms += 1000;
        --secs;
    }
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    return buf;
}

namespace {

bool read_digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

// "YYYY-MM-DD" at the start of s -> days since the epoch.
std::optional<std::int64_t> read_date(std::string_view s) {
    int y = 0, m = 0, d = 0;
    if (s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
    if (!read_digits(s, 0, 4, y) || !read_digits(s, 5, 2, m) || !read_digits(s, 8, 2, d))
        return std::nullopt;
    std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(m)},
                                    std::chrono::day{unsigned(d)}};
    if (!ymd.ok()) return std::nullopt;
    return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

}  // namespace

std::optional<unix_ms> parse_date_at_offset(std::string_view s, int offset_minutes) {
    if (s.size() != 10) return std::nullopt;
    auto days = read_date(s);
    if (!days) return std::nullopt;
    return *days * 86'400'000 - std::int64_t(offset_minutes) * 60'000;
}

std::optional<unix_ms> parse_rfc3339(std::string_view s) {
    auto days = read_date(s);
    if (!days || s.size() < 20 || (s[10] != 'T' && s[10] != 't')) return std::nullopt;
    int hh = 0, mm = 0, ss = 0;
    if (!read_digits(s, 11, 2, hh) || s[13] != ':' || !read_digits(s, 14, 2, mm) ||
        s[16] != ':' || !read_digits(s, 17, 2, ss))
        return std::nullopt;
    if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
    if (ss == 60) ss = 59;  // a leap second is held at :59
    std::size_t pos = 19;
    int ms = 0;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        int digits = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (digits < 3) ms = ms * 10 + (s[pos] - '0');
            ++digits;
            ++pos;
        }
        if (digits == 0) return std::nullopt;
        for (int i = digits; i < 3; ++i) ms *= 10;
    }
    if (pos >= s.size()) return std::nullopt;
    int offset = 0;
    if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
        int oh = 0, om = 0;
        if (!read_digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !read_digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
            return std::nullopt;
        offset = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
    std::int64_t secs = *days * 86400 + hh * 3600 + mm * 60 + ss - std::int64_t(offset) * 60;
    return secs * 1000 + ms;
}

}  // namespace kho
