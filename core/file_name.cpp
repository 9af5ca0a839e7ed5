#include "core/file_name.hpp"

#include "core/text.hpp"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <climits>

namespace kho {
namespace {

// Characters that must not survive into a stored name: C0/C1 controls, DEL,
// and the bidirectional overrides used to disguise extensions
// ("invoice\u202Efdp.exe" displays as "invoiceexe.pdf").
bool is_forbidden(UChar32 c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) ||
           (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f || c == 0xfeff;
}

std::string strip_forbidden(std::string_view valid_utf8) {
    std::string out;
    out.reserve(valid_utf8.size());
    const auto* p = reinterpret_cast<const std::uint8_t*>(valid_utf8.data());
    int32_t i = 0;
    const auto n = static_cast<int32_t>(valid_utf8.size());
    while (i < n) {
        int32_t start = i;
        UChar32 c;
        U8_NEXT(p, i, n, c);
        if (c >= 0 && !is_forbidden(c))
            out.append(
                valid_utf8.substr(static_cast<size_t>(start), static_cast<size_t>(i - start)));
    }
    return out;
}

// Spaces and dots at either end are trouble on some file system or other.
std::string trim_dots_spaces(const std::string& s) {
    auto first = s.find_first_not_of(" .");
    if (first == std::string::npos) return {};
    auto last = s.find_last_not_of(" .");
    return s.substr(first, last - first + 1);
}

// Cuts at most `max` bytes without splitting a UTF-8 sequence.
std::string utf8_prefix(const std::string& s, size_t max) {
    if (s.size() <= max) return s;
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    return s.substr(0, cut);
}

}  // namespace

std::string sanitize_file_name(std::string_view name) {
    if (auto slash = name.find_last_of("/\\"); slash != std::string_view::npos)
        name = name.substr(slash + 1);
    std::string out = trim_dots_spaces(strip_forbidden(to_valid_utf8(name)));
    constexpr size_t max_bytes = 255;
    if (out.size() > max_bytes) {
        // Shorten the stem and keep a short extension, so "….pdf" stays a PDF.
        std::string ext;
        if (auto dot = out.find_last_of('.'); dot != std::string::npos && out.size() - dot <= 16)
            ext = out.substr(dot);
        out = trim_dots_spaces(
                  utf8_prefix(out.substr(0, out.size() - ext.size()), max_bytes - ext.size())) +
              ext;
        out = trim_dots_spaces(out);
    }
    return out.empty() ? "file" : out;
}

std::string file_extension(std::string_view name) {
    auto dot = name.find_last_of('.');
    if (dot == std::string_view::npos || dot + 1 == name.size()) return {};
    std::string ext(name.substr(dot + 1));
    for (auto& ch : ext)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    return ext;
}

std::string file_name_key(std::string_view name) {
    std::string out;
    if (std::all_of(name.begin(), name.end(), [](char c) { return (c & 0x80) == 0; })) {
        // ASCII: case folding is lower-casing, and NFKC changes nothing.
        out.assign(name);
        for (auto& ch : out)
            if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        return out;
    }
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* fold = icu::Normalizer2::getNFKCCasefoldInstance(status);
    const auto n = static_cast<int32_t>(std::min<std::size_t>(name.size(), INT32_MAX));
    auto src = icu::UnicodeString::fromUTF8(icu::StringPiece(name.data(), n));
    if (U_SUCCESS(status)) {
        auto folded = fold->normalize(src, status);
        if (U_SUCCESS(status)) {
            folded.toUTF8String(out);
            return out;
        }
    }
    // ICU's data is part of the library; without it, fall back to the name.
    src.toUTF8String(out);
    return out;
}

}  // namespace kho
