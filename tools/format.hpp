#pragma once
// Text helpers for the CLI's human-readable output.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kho::cli {

// Binary units with one decimal: 0 -> "0 B", 1536 -> "1.5 KiB", 5 << 30 -> "5.0 GiB".
std::string human_bytes(std::uint64_t bytes);

// Server-provided text made safe to print on a terminal: valid UTF-8 (ill-formed
// bytes become U+FFFD) with C0/C1 control characters replaced by '?', so that
// a title cannot carry escape sequences. Vietnamese text is kept as it is.
std::string terminal_safe(std::string_view text);

// Shortens to at most `max_chars` code points, ending with "…" when cut.
std::string truncate_chars(std::string_view utf8, std::size_t max_chars);

// The value of an unlabelled Prometheus sample ("kho_blobs 42") in a /metrics
// text; nullopt when the metric is absent or not a non-negative integer.
std::optional<std::uint64_t> metric_value(std::string_view metrics_text, std::string_view name);

}  // namespace kho::cli
