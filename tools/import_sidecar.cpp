#include "tools/import_sidecar.hpp"

#include "core/text.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace kho::cli {
namespace {

const char* const k_columns[] = {"file", "title",    "description", "tags",
                                 "kind", "campaign", "language"};

bool set_field(upload_options& o, const std::string& key, const std::string& value) {
    if (key == "title")
        o.title = value;
    else if (key == "description")
        o.description = value;
    else if (key == "tags")
        o.tags = value;
    else if (key == "kind")
        o.kind = value;
    else if (key == "campaign")
        o.campaign = value;
    else if (key == "language")
        o.language = value;
    else
        return false;
    return true;
}

// RFC 4180 records; quoted fields may hold commas, quotes ("") and newlines.
std::vector<std::vector<std::string>> csv_records(std::string_view text, std::string& error) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false, was_quoted = false;
    size_t line = 1;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                if (c == '\n') ++line;
                field += c;
            }
            continue;
        }
        if (c == '"' && field.empty() && !was_quoted) {
            quoted = was_quoted = true;
        } else if (c == ',') {
            row.push_back(std::move(field));
            field.clear();
            was_quoted = false;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
            row.push_back(std::move(field));
            field.clear();
            was_quoted = false;
            if (!(row.size() == 1 && row[0].empty())) rows.push_back(std::move(row));
            row.clear();
            ++line;
        } else if (was_quoted) {
            error = "line " + std::to_string(line) + ": text after a closing quote";
            return {};
        } else {
            field += c;
        }
    }
    if (quoted) {
        error = "a quoted field is not closed";
        return {};
    }
    if (!field.empty() || !row.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace

sidecar parse_csv_sidecar(std::string_view text) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    if (!is_valid_utf8(text)) throw usage_error("the CSV sidecar is not valid UTF-8");
    std::string error;
    auto rows = csv_records(text, error);
    if (!error.empty()) throw usage_error("CSV sidecar: " + error);
    if (rows.empty()) return {};
    const auto& header = rows.front();
    int file_col = -1;
    for (size_t i = 0; i < header.size(); ++i) {
        bool known = false;
        for (const char* c : k_columns) known |= header[i] == c;
        if (!known) throw usage_error("CSV sidecar: unknown column \"" + header[i] + "\"");
        if (header[i] == "file") file_col = static_cast<int>(i);
    }
    if (file_col < 0) throw usage_error("CSV sidecar: the header needs a \"file\" column");
    sidecar out;
    std::string problems;
    for (size_t r = 1; r < rows.size(); ++r) {
        const auto& row = rows[r];
        if (row.size() != header.size()) {
            problems += "\n  row " + std::to_string(r + 1) + ": " + std::to_string(row.size()) +
                        " fields, the header has " + std::to_string(header.size());
            continue;
        }
        const auto& file = row[static_cast<size_t>(file_col)];
        if (file.empty()) {
            problems += "\n  row " + std::to_string(r + 1) + ": no file";
            continue;
        }
        if (out.count(file)) {
            problems += "\n  row " + std::to_string(r + 1) + ": " + file + " is listed twice";
            continue;
        }
        upload_options o;
        for (size_t i = 0; i < header.size(); ++i)
            if (header[i] != "file") set_field(o, header[i], row[i]);
        out.emplace(file, std::move(o));
    }
    if (!problems.empty())
        throw usage_error("CSV sidecar has bad rows; nothing was imported:" + problems);
    return out;
}

sidecar parse_json_sidecar(std::string_view text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) throw usage_error("the JSON sidecar is not valid JSON");
    sidecar out;
    std::string problems;
    auto add = [&](const std::string& file, const nlohmann::json& fields,
                   const std::string& where) {
        if (!fields.is_object()) {
            problems += "\n  " + where + ": not an object";
            return;
        }
        upload_options o;
        for (const auto& [key, value] : fields.items()) {
            if (key == "file") continue;
            if (!value.is_string() || !set_field(o, key, value.get<std::string>()))
                problems += "\n  " + where + ": field \"" + key + "\" is unknown or not a string";
        }
        if (file.empty())
            problems += "\n  " + where + ": no file";
        else if (!out.emplace(file, std::move(o)).second)
            problems += "\n  " + where + ": " + file + " is listed twice";
    };
    if (j.is_object()) {
        for (const auto& [file, fields] : j.items()) add(file, fields, "\"" + file + "\"");
    } else if (j.is_array()) {
        for (size_t i = 0; i < j.size(); ++i) {
            const auto& e = j[i];
            std::string file = e.is_object() && e.contains("file") && e["file"].is_string()
                                   ? e["file"].get<std::string>()
                                   : std::string();
            add(file, e, "entry " + std::to_string(i + 1));
        }
    } else {
        throw usage_error("the JSON sidecar must be an object or an array");
    }
    if (!problems.empty())
        throw usage_error("JSON sidecar has bad entries; nothing was imported:" + problems);
    return out;
}

sidecar read_sidecar(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw usage_error("cannot read the sidecar " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    auto text = ss.str();
    if (path.ends_with(".json")) return parse_json_sidecar(text);
    return parse_csv_sidecar(text);
}

}  // namespace kho::cli
