#pragma once
// What every fuzz target shares: a property check that stops the run with
// the reason on stderr, and a reader that carves parameters off the front
// of the fuzz data so that one input drives both the bytes under test and
// the knobs around them (sizes, chunk lengths, choices).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace kho::fuzz {

// A violated contract is a finding like a crash: print why, then trap so
// that libFuzzer saves the input as a reproducer.
[[noreturn]] inline void property_failed(const char* what, const char* file, int line) {
    std::fprintf(stderr, "\nkho fuzz: property violated at %s:%d: %s\n", file, line, what);
    std::fflush(stderr);
    __builtin_trap();
}

#define KHO_FUZZ_CHECK(cond)                                                  \
    do {                                                                      \
        if (!(cond)) ::kho::fuzz::property_failed(#cond, __FILE__, __LINE__); \
    } while (0)

// Reads parameters from the front of the data; past its end every read
// answers zero, so any input is usable.
class fuzz_reader {
  public:
    fuzz_reader(const std::uint8_t* data, std::size_t size)
        : rest_(reinterpret_cast<const char*>(data), size) {}

    std::uint8_t byte() {
        if (rest_.empty()) return 0;
        auto b = static_cast<std::uint8_t>(rest_.front());
        rest_.remove_prefix(1);
        return b;
    }

    std::uint64_t u64() {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = (v << 8) | byte();
        return v;
    }

    // Up to the next `sep` (dropped), or everything left.
    std::string_view until(char sep) {
        auto at = rest_.find(sep);
        auto out = rest_.substr(0, at);
        rest_.remove_prefix(at == std::string_view::npos ? rest_.size() : at + 1);
        return out;
    }

    std::string_view take(std::size_t n) {
        auto out = rest_.substr(0, n);
        rest_.remove_prefix(out.size());
        return out;
    }

    std::string_view rest() const { return rest_; }
    bool empty() const { return rest_.empty(); }

  private:
    std::string_view rest_;
};

// Properties several targets check on text that leaves kho, written apart
// from kho's own ICU-based helpers so that they can serve as an oracle.

// The code points of `s`; false when it is not well-formed UTF-8 (overlong
// forms, surrogates and values past U+10FFFF included).
inline bool decode_utf8(std::string_view s, std::u32string* out = nullptr) {
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80         ? 1
                        : (c >> 5) == 6  ? 2
                        : (c >> 4) == 14 ? 3
                        : (c >> 3) == 30 ? 4
                                         : 0;
        if (n == 0 || i + n > s.size()) return false;
        std::uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
        for (std::size_t k = 1; k < n; ++k) {
            auto d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3f);
        }
        // Overlong forms, surrogates and values past U+10FFFF.
        static constexpr std::uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[n] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return false;
        if (out) out->push_back(cp);
        i += n;
    }
    return true;
}

inline bool is_valid_utf8(std::string_view s) {
    return decode_utf8(s);
}

// ASCII controls and DEL; C1 controls are checked where UTF-8 is decoded.
// HTTP allows HTAB inside header values (and quoted strings): `allow_tab`.
inline bool has_ascii_control(std::string_view s, bool allow_tab = false) {
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && !(allow_tab && c == '\t')) || c == 0x7f) return true;
    }
    return false;
}

}  // namespace kho::fuzz
