#include "tools/format.hpp"

#include "core/text.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace kho::cli {

std::string human_bytes(std::uint64_t bytes) {
    static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) return std::to_string(bytes) + " B";
    double value = static_cast<double>(bytes);
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < std::size(units)) {
        value /= 1024.0;
        ++unit;
    }
    char out[32];
    std::snprintf(out, sizeof out, "%.1f %s", value, units[unit]);
    return out;
}

std::string terminal_safe(std::string_view text) {
    const std::string valid = to_valid_utf8(text);
    std::string out;
    out.reserve(valid.size());
    for (std::size_t i = 0; i < valid.size(); ++i) {
        const auto c = static_cast<unsigned char>(valid[i]);
        if (c < 0x20 || c == 0x7f) {
            out += '?';
        } else if (c == 0xC2 && i + 1 < valid.size() &&
                   static_cast<unsigned char>(valid[i + 1]) <= 0x9F) {
            out += '?';  // U+0080..U+009F, the C1 controls (0x9B is CSI)
            ++i;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

std::string truncate_chars(std::string_view utf8, std::size_t max_chars) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < utf8.size(); ++i) {
        if ((static_cast<unsigned char>(utf8[i]) & 0xC0) == 0x80) continue;  // continuation byte
        if (chars == max_chars) {
            std::string out(utf8.substr(0, i));
            // Make room for the ellipsis by dropping the last character.
            auto cut = out.size();
            while (cut > 0 && (static_cast<unsigned char>(out[cut - 1]) & 0xC0) == 0x80) --cut;
            if (cut > 0) out.resize(cut - 1);
            return out + "\u2026";
        }
        ++chars;
    }
    return std::string(utf8);
}

std::optional<std::uint64_t> metric_value(std::string_view text, std::string_view name) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.size() <= name.size() || line.substr(0, name.size()) != name ||
            line[name.size()] != ' ')
            continue;
        std::string_view value = line.substr(name.size() + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        // An optional timestamp may follow the value.
        value = value.substr(0, value.find(' '));
        double v = 0;
        auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (ec != std::errc() || ptr != value.data() + value.size() || !std::isfinite(v) || v < 0)
            return std::nullopt;
        return static_cast<std::uint64_t>(std::llround(v));
    }
    return std::nullopt;
}

}  // namespace kho::cli
