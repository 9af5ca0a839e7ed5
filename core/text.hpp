#pragma once
// Text helpers that know Vietnamese. Folding uses ICU's transliterator
// "NFD; [:Nonspacing Mark:] Remove; Latin-ASCII", so "Nghị quyết Đào tạo"
// becomes "Nghi quyet Dao tao". Thread-safe (one transliterator per thread).

#include "core/error.hpp"

#include <string>
#include <string_view>

namespace kho {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool is_valid_utf8(std::string_view s) noexcept;

// Replaces ill-formed sequences with U+FFFD.
std::string to_valid_utf8(std::string_view s);

// Diacritic-free ASCII rendering that keeps case: "Áp phích" -> "Ap phich".
// Characters with no ASCII rendering become '_'.
std::string to_ascii(std::string_view utf8);

// Search key: to_ascii, then lower case. "Nghị Quyết" -> "nghi quyet".
std::string fold_for_search(std::string_view utf8);

// A text field from a client, trimmed: errc::invalid_parameter (naming
// `field`) when it is not valid UTF-8, holds control characters (line breaks
// and tabs only where `allow_newlines`) or is longer than `max_bytes`.
result<std::string> clean_text(std::string_view field, std::string_view value, size_t max_bytes,
                               bool allow_newlines);

}  // namespace kho
