#include "core/units_csv.hpp"

#include "core/csv.hpp"
#include "core/text.hpp"

#include <array>
#include <optional>
#include <unordered_map>

namespace kho {
namespace {

enum class column { code, name, parent_code, province, level };

constexpr std::array<std::string_view, 5> k_column_names{"code", "name", "parent_code", "province",
                                                         "level"};

std::string_view name_of(column c) {
    return k_column_names[static_cast<std::size_t>(c)];
}

std::string_view trim_view(std::string_view s) {
    auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

// A cell as it may appear inside an error sentence (see unit.cpp).
std::string in_quotes(std::string_view value) {
    std::string v = to_valid_utf8(value);
    constexpr std::size_t max = 60;
    if (v.size() > max) {
        std::size_t cut = max;
        while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xc0) == 0x80) --cut;
        v.resize(cut);
        v += "\xE2\x80\xA6";  // …
    }
    return "\"" + v + "\"";
}

// Line breaks typed inside a cell (Alt+Enter) become spaces.
std::string join_lines(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r') {
            if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
            out += ' ';
        } else if (s[i] == '\n') {
            out += ' ';
        } else {
            out += s[i];
        }
    }
    return out;
}

// One RFC 4180 record and where it starts.
struct record {
    enum class problem { none, unterminated_quote, text_after_quote };
    std::size_t line = 0;
    std::vector<std::string> fields;
    problem trouble = problem::none;
    std::size_t trouble_field = 0;  // index of the field with the problem
};

bool is_blank(const record& r) {
    if (r.trouble != record::problem::none) return false;
    for (const auto& f : r.fields)
        if (!trim_view(f).empty()) return false;
    return true;
}

// Reads records one by one, counting physical lines (CRLF, LF and CR each end
// one), including those inside quoted fields.
class reader {
  public:
    explicit reader(std::string_view text) : text_(text) {}

    bool next(record& r) {
        if (pos_ >= text_.size()) return false;
        r.line = line_;
        r.fields.clear();
        r.trouble = record::problem::none;
        for (;;) {
            std::string field;
            if (pos_ < text_.size() && text_[pos_] == '"') {
                if (!read_quoted(field)) {
                    r.fields.push_back(std::move(field));
                    r.trouble = record::problem::unterminated_quote;
                    r.trouble_field = r.fields.size() - 1;
                    return true;
                }
                if (pos_ < text_.size() && !is_separator(text_[pos_])) {
                    r.fields.push_back(std::move(field));
                    r.trouble = record::problem::text_after_quote;
                    r.trouble_field = r.fields.size() - 1;
                    skip_line();
                    return true;
                }
            } else {
                auto end = text_.find_first_of(",\r\n", pos_);
                if (end == std::string_view::npos) end = text_.size();
                field.assign(text_.substr(pos_, end - pos_));
                pos_ = end;
            }
            r.fields.push_back(std::move(field));
            if (pos_ >= text_.size()) return true;
            if (text_[pos_] == ',') {
                ++pos_;
                continue;
            }
            end_line();
            return true;
        }
    }

  private:
    static bool is_separator(char c) { return c == ',' || c == '\r' || c == '\n'; }

    // pos_ is on the opening quote. False when the closing quote is missing.
    bool read_quoted(std::string& field) {
        ++pos_;
        while (pos_ < text_.size()) {
            char c = text_[pos_];
            if (c == '"') {
                if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
                    field += '"';
                    pos_ += 2;
                    continue;
                }
                ++pos_;
                return true;
            }
            field += c;
            ++pos_;
            if (c == '\n' || (c == '\r' && (pos_ >= text_.size() || text_[pos_] != '\n'))) ++line_;
        }
        return false;
    }

    // pos_ is on CR or LF.
    void end_line() {
        if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
        ++pos_;
        ++line_;
    }

    void skip_line() {
        auto end = text_.find_first_of("\r\n", pos_);
        if (end == std::string_view::npos) {
            pos_ = text_.size();
            return;
        }
        pos_ = end;
        end_line();
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
};

std::string column_label(const std::vector<column>& columns, std::size_t i) {
    if (i < columns.size()) return "column \"" + std::string(name_of(columns[i])) + "\"";
    return "column " + std::to_string(i + 1);
}

std::string describe(const record& r, const std::vector<column>& columns) {
    auto label = column_label(columns, r.trouble_field);
    if (r.trouble == record::problem::unterminated_quote)
        return "the quoted value in " + label +
               " has no closing quote, so the rest of the file was read as part of it";
    return label +
           " has text after its closing quote; put the whole value in quotes and "
           "double every quote inside it (\"\")";
}

// The header's columns, or errors (on the header's line).
std::vector<column> read_header(const record& r, std::vector<csv_row_error>& errors) {
    std::vector<column> columns;
    if (r.trouble != record::problem::none) {
        errors.push_back({r.line, "the header row is malformed: " + describe(r, {})});
        return columns;
    }
    std::array<bool, k_column_names.size()> seen{};
    for (const auto& raw : r.fields) {
        std::string name(trim_view(raw));
        for (auto& ch : name)
            if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        std::optional<std::size_t> index;
        for (std::size_t i = 0; i < k_column_names.size(); ++i)
            if (k_column_names[i] == name) index = i;
        if (!index) {
            errors.push_back({r.line, "the header names an unknown column " +
                                          in_quotes(trim_view(raw)) +
                                          "; the columns are code, name, parent_code, province "
                                          "and level"});
            continue;
        }
        if (seen[*index]) {
            errors.push_back({r.line, "the header names the column \"" + name + "\" twice"});
            continue;
        }
        seen[*index] = true;
        columns.push_back(static_cast<column>(*index));
    }
    for (column required : {column::code, column::name})
        if (!seen[static_cast<std::size_t>(required)])
            errors.push_back({r.line, "the header has no \"" + std::string(name_of(required)) +
                                          "\" column; the first row must name the columns, "
                                          "e.g. code,name,parent_code,province,level"});
    return columns;
}

// Checks one data record; adds a row or errors.
void read_row(const record& r, const std::vector<column>& columns,
              std::unordered_map<std::string, std::size_t>& first_line_of_code,
              units_csv_parse& out) {
    if (r.trouble != record::problem::none) {
        out.errors.push_back({r.line, describe(r, columns)});
        return;
    }
    if (r.fields.size() != columns.size()) {
        out.errors.push_back({r.line, "the row has " + std::to_string(r.fields.size()) +
                                          " values but the header names " +
                                          std::to_string(columns.size()) + " columns"});
        return;
    }
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (!is_valid_utf8(r.fields[i])) {
            out.errors.push_back({r.line, column_label(columns, i) + " value " +
                                              in_quotes(r.fields[i]) +
                                              " is not valid UTF-8; save the file as "
                                              "\"CSV UTF-8\""});
            return;
        }
    }
    std::size_t errors_before = out.errors.size();
    unit u;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        const auto& f = r.fields[i];
        switch (columns[i]) {
            case column::code:
                u.code = trim_view(f);
                break;
            case column::name:
                u.name = join_lines(f);
                break;
            case column::parent_code:
                u.parent_code = trim_view(f);
                break;
            case column::province:
                u.province = join_lines(f);
                break;
            case column::level: {
                auto level = parse_education_level(trim_view(f));
                if (level)
                    u.level = *level;
                else
                    out.errors.push_back({r.line, level.error().detail});
                break;
            }
        }
    }
    if (!u.code.empty()) {
        auto [it, inserted] = first_line_of_code.emplace(u.code, r.line);
        if (!inserted)
            out.errors.push_back({r.line, "code " + in_quotes(u.code) +
                                              " already appears on line " +
                                              std::to_string(it->second)});
    }
    auto valid = validate(std::move(u));
    if (!valid) out.errors.push_back({r.line, valid.error().detail});
    if (valid && out.errors.size() == errors_before)
        out.rows.push_back({r.line, std::move(*valid)});
}

}  // namespace

units_csv_parse parse_units_csv(std::string_view text) {
    units_csv_parse out;
    if (text.substr(0, csv_bom.size()) == csv_bom) text.remove_prefix(csv_bom.size());
    reader rd(text);
    record r;
    bool have_header = false;
    while (rd.next(r)) {
        if (!is_blank(r)) {
            have_header = true;
            break;
        }
    }
    if (!have_header) {
        out.errors.push_back({1,
                              "the file is empty; its first row must name the columns, e.g. "
                              "code,name,parent_code,province,level"});
        return out;
    }
    auto columns = read_header(r, out.errors);
    if (!out.errors.empty()) return out;

    std::unordered_map<std::string, std::size_t> first_line_of_code;
    std::size_t data_rows = 0;
    while (rd.next(r)) {
        if (is_blank(r)) continue;
        if (++data_rows > max_csv_rows) {
            out.rows.clear();
            out.errors.assign({{r.line, "the file has more than " + std::to_string(max_csv_rows) +
                                            " rows; split it into smaller files"}});
            return out;
        }
        if (out.errors.size() >= max_csv_errors) {
            out.errors.resize(max_csv_errors);
            out.errors.push_back({r.line, "stopped after " + std::to_string(max_csv_errors) +
                                              " errors; the rows from this line on were not "
                                              "checked"});
            return out;
        }
        read_row(r, columns, first_line_of_code, out);
    }
    if (out.errors.size() > max_csv_errors) out.errors.resize(max_csv_errors);
    return out;
}

std::string format_units_csv(const std::vector<unit>& units) {
    std::string out(csv_bom);
    out += "code,name,parent_code,province,level\r\n";
    for (const auto& u : units) {
        append_csv_cell(out, u.code);
        out += ',';
        append_csv_cell(out, u.name);
        out += ',';
        append_csv_cell(out, u.parent_code);
        out += ',';
        append_csv_cell(out, u.province);
        out += ',';
        append_csv_cell(out, to_string(u.level));
        out += "\r\n";
    }
    return out;
}

}  // namespace kho
