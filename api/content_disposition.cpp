#include "api/content_disposition.hpp"

#include "api/http_message.hpp"
#include "core/file_name.hpp"
#include "core/text.hpp"

namespace kho::api {
namespace {

// RFC 8187 attr-char.
bool is_attr_char(unsigned char c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

std::string percent_encode(std::string_view s) {
    constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size() * 3);
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (is_attr_char(c)) {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0x0F];
        }
    }
    return out;
}

// Printable ASCII that is safe inside a quoted-string and that old clients
// will not try to decode or treat as a path.
std::string ascii_fallback(std::string_view name) {
    std::string out = to_ascii(name);
    for (auto& ch : out) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c > 0x7e || ch == '"' || ch == '\\' || ch == '%' || ch == '/') ch = '_';
    }
    // Folding can turn e.g. fullwidth dots into "..": sanitize once more.
    return sanitize_file_name(out);
}

}  // namespace

std::string content_disposition(std::string_view disposition, std::string_view file_name) {
    // Only the two known values, so a caller's mistake cannot inject anything.
    std::string_view type = iequals(disposition, "inline") ? "inline" : "attachment";
    std::string name = sanitize_file_name(file_name);
    std::string out(type);
    out += "; filename=\"";
    out += ascii_fallback(name);
    out += "\"; filename*=UTF-8''";
    out += percent_encode(name);
    return out;
}

}  // namespace kho::api
