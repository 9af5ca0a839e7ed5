#include "core/unit.hpp"

#include "core/text.hpp"

#include <nlohmann/json.hpp>

#include <array>

namespace kho {
namespace {

using json = nlohmann::json;

constexpr std::size_t k_max_code_bytes = 64;
constexpr std::size_t k_max_name_bytes = 300;
constexpr std::size_t k_max_province_bytes = 100;

struct level_name {
    education_level level;
    std::string_view code;
};

constexpr std::array<level_name, 7> k_levels{{
    {education_level::preschool, "preschool"},
    {education_level::primary, "primary"},
    {education_level::lower_secondary, "lower_secondary"},
    {education_level::upper_secondary, "upper_secondary"},
    {education_level::continuing, "continuing"},
    {education_level::vocational, "vocational"},
    {education_level::higher, "higher"},
}};

std::string trim(std::string_view s) {
    auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    auto last = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(first, last - first + 1));
}

// The value as it may appear inside an error sentence: valid UTF-8, quoted,
// and cut at 60 bytes (on a character boundary) so that a huge cell does not
// make a huge message.
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

bool is_code_char(char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-';
}

result<void> check_code(std::string_view field, std::string_view code) {
    if (code.empty())
        return make_error(errc::invalid_parameter, std::string(field) + " must not be empty");
    bool good = code.size() <= k_max_code_bytes;
    for (char ch : code) good = good && is_code_char(ch);
    if (!good)
        return make_error(errc::invalid_parameter,
                          std::string(field) + " " + in_quotes(code) +
                              " must be 1 to 64 characters from A-Z, a-z, 0-9, '.', '_' and '-'");
    return ok();
}

result<std::string> clean_text(std::string_view field, std::string_view value,
                               std::size_t max_bytes) {
    if (!is_valid_utf8(value))
        return make_error(errc::invalid_parameter,
                          std::string(field) + " " + in_quotes(value) + " is not valid UTF-8");
    std::string v = trim(value);
    if (v.size() > max_bytes)
        return make_error(errc::invalid_parameter, std::string(field) + " " + in_quotes(v) +
                                                       " is longer than " +
                                                       std::to_string(max_bytes) + " bytes");
    for (char ch : v) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f)
            return make_error(errc::invalid_parameter, std::string(field) + " " + in_quotes(v) +
                                                           " contains control characters");
    }
    return v;
}

// Fields shared by the record and the API view; each adds its own times.
json unit_fields(const unit& u) {
    return json{{"code", u.code}, {"name", u.name}, {"province", u.province}};
}

}  // namespace

std::string_view to_string(education_level l) noexcept {
    for (const auto& n : k_levels)
        if (n.level == l) return n.code;
    return "";
}

result<education_level> parse_education_level(std::string_view s) {
    if (s.empty()) return education_level::none;
    for (const auto& n : k_levels)
        if (n.code == s) return n.level;
    return make_error(errc::invalid_parameter,
                      "level " + in_quotes(s) +
                          " is not an education level; use one of preschool, primary, "
                          "lower_secondary, upper_secondary, continuing, vocational, higher, "
                          "or leave it empty");
}

const std::vector<education_level>& all_education_levels() {
    static const std::vector<education_level> levels = [] {
        std::vector<education_level> v;
        for (const auto& n : k_levels) v.push_back(n.level);
        return v;
    }();
    return levels;
}

result<unit> validate(unit u) {
    if (auto r = check_code("code", u.code); !r) return r.error();
    if (!u.parent_code.empty()) {
        if (auto r = check_code("parent_code", u.parent_code); !r) return r.error();
        if (u.parent_code == u.code)
            return make_error(errc::invalid_parameter,
                              "parent_code " + in_quotes(u.parent_code) +
                                  " is the unit's own code; a unit cannot be its own parent");
    }
    auto name = clean_text("name", u.name, k_max_name_bytes);
    if (!name) return name.error();
    if (name->empty()) return make_error(errc::invalid_parameter, "name must not be empty");
    u.name = std::move(*name);
    auto province = clean_text("province", u.province, k_max_province_bytes);
    if (!province) return province.error();
    u.province = std::move(*province);
    return u;
}

std::string encode_record(const unit& u) {
    json j = unit_fields(u);
    j["parent_code"] = u.parent_code;
    j["level"] = to_string(u.level);
    j["created_at"] = u.created_at;
    j["updated_at"] = u.updated_at;
    return j.dump();
}

result<unit> decode_unit_record(std::string_view bytes) {
    try {
        auto j = json::parse(bytes);
        unit u;
        u.code = j.at("code").get<std::string>();
        u.name = j.at("name").get<std::string>();
        u.parent_code = j.at("parent_code").get<std::string>();
        u.province = j.at("province").get<std::string>();
        auto level = parse_education_level(j.at("level").get<std::string>());
        if (!level)
            return make_error(errc::internal, "corrupt unit record: " + level.error().detail);
        u.level = *level;
        u.created_at = j.at("created_at").get<unix_ms>();
        u.updated_at = j.at("updated_at").get<unix_ms>();
        return u;
    } catch (const json::exception& e) {
        return make_error(errc::internal, std::string("corrupt unit record: ") + e.what());
    }
}

json to_api_json(const unit& u) {
    json j = unit_fields(u);
    j["parent_code"] = u.parent_code.empty() ? json(nullptr) : json(u.parent_code);
    j["level"] = u.level == education_level::none ? json(nullptr) : json(to_string(u.level));
    j["created_at"] = format_rfc3339(u.created_at);
    j["updated_at"] = format_rfc3339(u.updated_at);
    return j;
}

}  // namespace kho
