#pragma once
// Time-ordered 128-bit identifiers (ULID: 48-bit Unix milliseconds + 80 random
// bits), written as 26 Crockford base32 characters. The 16 raw bytes sort in
// creation order, so "newest first" is a reverse range scan over keys.
// Thread-safe: ulid_generator is monotonic across threads (two ids made in the
// same millisecond still sort in the order they were made).

#include "core/error.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace kho {

struct ulid {
    std::array<std::uint8_t, 16> bytes{};

    std::string to_string() const;
    std::string_view raw() const {
        return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
    }
    std::uint64_t unix_ms() const;

    // Accepts exactly 26 Crockford base32 characters (case-insensitive).
    static result<ulid> parse(std::string_view text);
    static result<ulid> from_raw(std::string_view raw);

    auto operator<=>(const ulid&) const = default;
};

class ulid_generator {
  public:
    ulid next(std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

  private:
    std::mutex mutex_;
    ulid last_{};
};

}  // namespace kho
