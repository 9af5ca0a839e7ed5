#pragma once
// Time in kho: milliseconds since the Unix epoch (UTC) as a plain integer,
// and a clock that tests can replace.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kho {

using unix_ms = std::int64_t;

// Returns the current time. The default reads std::chrono::system_clock;
// tests install a manual clock to step across boundaries.
class clock {
  public:
    using source = std::function<unix_ms()>;
    clock();
    explicit clock(source src) : source_(std::move(src)) {}
    unix_ms now() const { return source_(); }

  private:
    source source_;
};

// RFC 3339 UTC with millisecond precision: "2026-11-26T05:02:12.345Z".
std::string format_rfc3339(unix_ms t);

// Parses an RFC 3339 date-time with a "Z" or numeric offset and optional
// fractional seconds ("2026-12-01T00:00:00+07:00"). Nothing for anything else.
std::optional<unix_ms> parse_rfc3339(std::string_view s);

// Parses a calendar date "YYYY-MM-DD" as the start of that day at the given
// UTC offset in minutes. Nothing for anything else.
std::optional<unix_ms> parse_date_at_offset(std::string_view s, int offset_minutes);

}  // namespace kho
