#include "core/csv.hpp"

namespace kho {

void append_csv_cell(std::string& out, std::string_view s) {
    if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
        out += s;
        return;
    }
    out += '"';
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

void append_csv_text(std::string& out, std::string_view s) {
    if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
                       s[0] == '\r')) {
        append_csv_cell(out, "'" + std::string(s));
        return;
    }
    append_csv_cell(out, s);
}

void append_csv_row(std::string& out, std::initializer_list<std::string_view> cells) {
    bool first = true;
    for (auto c : cells) {
        if (!first) out += ',';
        first = false;
        append_csv_text(out, c);
    }
    out += "\r\n";
}

}  // namespace kho
