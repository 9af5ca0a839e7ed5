#pragma once
// Time in kho: milliseconds since the Unix epoch (UTC) as a plain integer,
// and a clock that tests can replace.

#include <cstdint>
#include <functional>
#include <string>

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

}  // namespace kho
