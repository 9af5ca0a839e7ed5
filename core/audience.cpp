#include "core/audience.hpp"

#include "core/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace kho {
namespace {

bool contains(const std::vector<std::string>& v, std::string_view s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

result<std::vector<std::string>> string_list(const nlohmann::json& j, std::string_view field) {
    std::vector<std::string> out;
    if (!j.contains(field)) return out;
    const auto& v = j.at(field);
    if (!v.is_array())
        return make_error(errc::invalid_parameter,
                          "audience." + std::string(field) + " must be an array of strings");
    if (v.size() > 1000)
        return make_error(errc::invalid_parameter,
                          "audience." + std::string(field) + " lists more than 1000 entries");
    for (const auto& item : v) {
        if (!item.is_string())
            return make_error(errc::invalid_parameter,
                              "audience." + std::string(field) + " must be an array of strings");
        auto s = item.get<std::string>();
        while (!s.empty() && s.front() == ' ') s.erase(s.begin());
        while (!s.empty() && s.back() == ' ') s.pop_back();
        if (s.empty() || s.size() > 300 || !is_valid_utf8(s))
            return make_error(errc::invalid_parameter, "audience." + std::string(field) +
                                                           " has an empty or invalid entry");
        if (!contains(out, s)) out.push_back(std::move(s));
    }
    return out;
}

}  // namespace

bool targets(const audience& a, const unit_position& u) {
    if (a.all_units) return true;
    if (a.targets_no_unit()) return false;
    if (!a.provinces.empty()) {
        bool match = false;
        for (const auto& p : a.provinces)
            if (!u.province.empty() && fold_for_search(p) == fold_for_search(u.province)) {
                match = true;
                break;
            }
        if (!match) return false;
    }
    if (!a.levels.empty() && std::find(a.levels.begin(), a.levels.end(), u.level) == a.levels.end())
        return false;
    if (!a.units.empty()) {
        bool match = contains(a.units, u.code);
        for (const auto& anc : u.ancestors)
            if (!match && contains(a.units, anc)) match = true;
        if (!match) return false;
    }
    return true;
}

result<unix_ms> parse_window_bound(std::string_view s, bool is_until) {
    if (auto t = parse_rfc3339(s)) return *t;
    if (auto d = parse_date_at_offset(s, vietnam_utc_offset_minutes))
        return is_until ? *d + 86'400'000 : *d;
    return make_error(errc::invalid_parameter,
                      "\"" + std::string(s) +
                          "\" is neither an RFC 3339 date-time nor a date YYYY-MM-DD");
}

result<audience> audience_from_json(const nlohmann::json& j) {
    if (!j.is_object()) return make_error(errc::invalid_parameter, "audience must be an object");
    static const char* known[] = {"all_units", "provinces", "levels", "units", "press"};
    for (const auto& [k, v] : j.items()) {
        (void)v;
        if (std::find(std::begin(known), std::end(known), k) == std::end(known))
            return make_error(errc::invalid_parameter, "audience has an unknown field: " + k);
    }
    audience a;
    for (const char* flag : {"all_units", "press"}) {
        if (!j.contains(flag)) continue;
        if (!j.at(flag).is_boolean())
            return make_error(errc::invalid_parameter,
                              "audience." + std::string(flag) + " must be true or false");
        (std::string_view(flag) == "press" ? a.press : a.all_units) = j.at(flag).get<bool>();
    }
    auto provinces = string_list(j, "provinces");
    if (!provinces) return provinces.error();
    a.provinces = std::move(*provinces);
    auto units = string_list(j, "units");
    if (!units) return units.error();
    a.units = std::move(*units);
    auto levels = string_list(j, "levels");
    if (!levels) return levels.error();
    for (const auto& l : *levels) {
        auto level = parse_education_level(l);
        if (!level || *level == education_level::none)
            return make_error(errc::invalid_parameter,
                              "audience.levels: unknown education level \"" + l + "\"");
        if (std::find(a.levels.begin(), a.levels.end(), *level) == a.levels.end())
            a.levels.push_back(*level);
    }
    return a;
}

result<audience> parse_audience(const nlohmann::json& j,
                                const std::function<bool(std::string_view)>& known_unit) {
    auto a = audience_from_json(j);
    if (!a) return a.error();
    if (a->all_units && (!a->provinces.empty() || !a->levels.empty() || !a->units.empty()))
        return make_error(errc::invalid_parameter,
                          "audience.all_units targets every unit; do not also list provinces, "
                          "levels or units");
    if (a->targets_no_unit() && !a->press)
        return make_error(errc::invalid_parameter,
                          "the audience targets nobody: set all_units, list provinces, levels or "
                          "units, or set press");
    for (const auto& code : a->units)
        if (known_unit && !known_unit(code))
            return make_error(errc::invalid_parameter, "audience.units: no unit has code " + code);
    return a;
}

nlohmann::json to_json(const audience& a) {
    nlohmann::json levels = nlohmann::json::array();
    for (auto l : a.levels) levels.push_back(std::string(to_string(l)));
    return nlohmann::json{{"all_units", a.all_units},
                          {"provinces", a.provinces},
                          {"levels", std::move(levels)},
                          {"units", a.units},
                          {"press", a.press}};
}

}  // namespace kho
