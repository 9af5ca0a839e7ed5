#include "tools/disposition.hpp"

#include "core/file_name.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/url/pct_string_view.hpp>

#include <utility>
#include <vector>

namespace kho::cli {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Splits "type; a=1; b=\"x;y\"" into its parameters (the type is skipped);
// semicolons inside quoted strings do not split.
std::vector<std::pair<std::string_view, std::string_view>> parameters(std::string_view header) {
    std::vector<std::pair<std::string_view, std::string_view>> out;
    std::vector<std::string_view> pieces;
    bool quoted = false;
    std::size_t start = 0;
    for (std::size_t i = 0; i < header.size(); ++i) {
        const char c = header[i];
        if (quoted && c == '\\') {
            ++i;
        } else if (c == '"') {
            quoted = !quoted;
        } else if (c == ';' && !quoted) {
            pieces.push_back(header.substr(start, i - start));
            start = i + 1;
        }
    }
    pieces.push_back(header.substr(start));
    for (std::size_t i = 1; i < pieces.size(); ++i) {
        auto eq = pieces[i].find('=');
        if (eq == std::string_view::npos) continue;
        out.emplace_back(trim(pieces[i].substr(0, eq)), trim(pieces[i].substr(eq + 1)));
    }
    return out;
}

std::string unquote(std::string_view v) {
    if (v.size() < 2 || v.front() != '"' || v.back() != '"') return std::string(v);
    std::string out;
    for (std::size_t i = 1; i + 1 < v.size(); ++i) {
        if (v[i] == '\\' && i + 2 < v.size()) ++i;
        out += v[i];
    }
    return out;
}

std::string latin1_to_utf8(std::string_view s) {
    std::string out;
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x80) {
            out += ch;
        } else {
            out += static_cast<char>(0xC0 | (c >> 6));
            out += static_cast<char>(0x80 | (c & 0x3F));
        }
    }
    return out;
}

// charset'language'percent-encoded (RFC 8187).
std::optional<std::string> decode_ext_value(std::string_view v) {
    const auto q1 = v.find('\'');
    if (q1 == std::string_view::npos) return std::nullopt;
    const auto q2 = v.find('\'', q1 + 1);
    if (q2 == std::string_view::npos) return std::nullopt;
    const auto charset = v.substr(0, q1);
    auto encoded = boost::urls::make_pct_string_view(v.substr(q2 + 1));
    if (!encoded) return std::nullopt;
    std::string decoded = encoded->decode();
    if (boost::beast::iequals(charset, "UTF-8")) return decoded;
    if (boost::beast::iequals(charset, "ISO-8859-1")) return latin1_to_utf8(decoded);
    return std::nullopt;
}

}  // namespace

std::optional<std::string> disposition_file_name(std::string_view header) {
    std::optional<std::string> plain, extended;
    for (const auto& [name, value] : parameters(header)) {
        if (boost::beast::iequals(name, "filename*")) {
            if (auto d = decode_ext_value(value)) extended = std::move(d);
        } else if (boost::beast::iequals(name, "filename")) {
            plain = unquote(value);
        }
    }
    auto chosen = extended ? extended : plain;
    if (!chosen || chosen->empty()) return std::nullopt;
    return kho::sanitize_file_name(*chosen);
}

}  // namespace kho::cli
