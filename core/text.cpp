#include "core/text.hpp"

#include <unicode/translit.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <memory>

namespace kho {
namespace {

icu::Transliterator* ascii_transliterator() {
    thread_local std::unique_ptr<icu::Transliterator> t = [] {
        UErrorCode status = U_ZERO_ERROR;
        std::unique_ptr<icu::Transliterator> tr(icu::Transliterator::createInstance(
            "NFD; [:Nonspacing Mark:] Remove; Latin-ASCII; NFC", UTRANS_FORWARD, status));
        if (U_FAILURE(status)) tr.reset();
        return tr;
    }();
    return t.get();
}

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
    int32_t i = 0;
    const auto n = static_cast<int32_t>(s.size());
    while (i < n) {
        UChar32 c;
        U8_NEXT(p, i, n, c);
        if (c < 0) return false;
    }
    return true;
}

std::string to_valid_utf8(std::string_view s) {
    if (is_valid_utf8(s)) return std::string(s);
    std::string out;
    out.reserve(s.size());
    const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
    int32_t i = 0;
    const auto n = static_cast<int32_t>(s.size());
    while (i < n) {
        int32_t start = i;
        UChar32 c;
        U8_NEXT(p, i, n, c);
        if (c < 0)
            out += "\xEF\xBF\xBD";
        else
            out.append(s.substr(static_cast<size_t>(start), static_cast<size_t>(i - start)));
    }
    return out;
}

std::string to_ascii(std::string_view utf8) {
    bool ascii = true;
    for (char ch : utf8) ascii &= static_cast<unsigned char>(ch) < 0x80;
    if (ascii) return std::string(utf8);
    auto ustr = icu::UnicodeString::fromUTF8(
        icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
    if (auto* t = ascii_transliterator()) t->transliterate(ustr);
    std::string converted;
    ustr.toUTF8String(converted);
    // Whatever is still not ASCII (one or more bytes per character) becomes one '_'.
    std::string out;
    out.reserve(converted.size());
    bool in_non_ascii = false;
    for (char ch : converted) {
        bool non_ascii = static_cast<unsigned char>(ch) >= 0x80;
        if (non_ascii && !in_non_ascii) out += '_';
        if (!non_ascii) out += ch;
        in_non_ascii = non_ascii;
    }
    return out;
}

std::string fold_for_search(std::string_view utf8) {
    std::string s = to_ascii(utf8);
    for (auto& ch : s)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    return s;
}

namespace {

std::string trim(std::string_view s) {
    auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    auto last = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(first, last - first + 1));
}

}  // namespace

result<std::string> clean_text(std::string_view field, std::string_view value, size_t max_bytes,
                               bool allow_newlines) {
    if (!is_valid_utf8(value))
        return make_error(errc::invalid_parameter, std::string(field) + " is not valid UTF-8");
    std::string v = trim(value);
    if (v.size() > max_bytes)
        return make_error(errc::invalid_parameter, std::string(field) + " is longer than " +
                                                       std::to_string(max_bytes) + " bytes");
    for (char ch : v) {
        auto c = static_cast<unsigned char>(ch);
        bool newline = ch == '\n' || ch == '\r' || ch == '\t';
        if ((c < 0x20 && !(allow_newlines && newline)) || c == 0x7f)
            return make_error(errc::invalid_parameter,
                              std::string(field) + " contains control characters");
    }
    return v;
}

}  // namespace kho
