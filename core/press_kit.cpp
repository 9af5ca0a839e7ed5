#include "core/press_kit.hpp"

#include "core/text.hpp"

#include <nlohmann/json.hpp>

namespace kho {
namespace {

using json = nlohmann::json;

bool valid_file_name(std::string_view f) {
    if (f.empty() || f.size() > 64) return false;
    for (char c : f)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

result<std::string> text_field(const json& body, const char* key, std::size_t max, bool newlines) {
    const auto& v = body.at(key);
    if (!v.is_string())
        return make_error(errc::invalid_parameter, std::string(key) + " must be a string");
    return clean_text(key, v.get<std::string>(), max, newlines);
}

result<std::optional<unix_ms>> time_field(const json& body, const char* key) {
    const auto& v = body.at(key);
    if (v.is_null()) return std::optional<unix_ms>{};
    if (!v.is_string())
        return make_error(errc::invalid_parameter, std::string(key) + " must be an RFC 3339 time or null");
    auto t = parse_rfc3339(v.get<std::string>());
    if (!t)
        return make_error(errc::invalid_parameter,
                          std::string(key) + " must be an RFC 3339 time such as 2026-12-01T08:00:00+07:00");
    return std::optional<unix_ms>{*t};
}

result<press_kit_item> parse_item(const json& j, std::size_t index, const press_kit_limits& limits) {
    const std::string where = "items[" + std::to_string(index) + "]";
    if (!j.is_object()) return make_error(errc::invalid_parameter, where + " must be an object");
    for (const auto& [k, v] : j.items())
        if (k != "asset" && k != "version" && k != "file" && k != "caption" && k != "credit")
            return make_error(errc::invalid_parameter, where + " has an unknown field \"" + k + "\"");
    press_kit_item item;
    if (!j.contains("asset") || !j.at("asset").is_string())
        return make_error(errc::invalid_parameter, where + ".asset must be an asset id");
    auto id = ulid::parse(j.at("asset").get<std::string>());
    if (!id) return make_error(errc::invalid_parameter, where + ".asset is not an asset id");
    item.asset = *id;
    if (!j.contains("version") || !j.at("version").is_number_integer() ||
        j.at("version").get<std::int64_t>() < 1 || j.at("version").get<std::int64_t>() > 0xffffffffLL)
        return make_error(errc::invalid_parameter, where + ".version must be a version number");
    item.version = j.at("version").get<std::uint32_t>();
    if (j.contains("file")) {
        if (!j.at("file").is_string() || !valid_file_name(j.at("file").get<std::string>()))
            return make_error(errc::invalid_parameter,
                              where + ".file must be \"original\" or a rendition name");
        item.file = j.at("file").get<std::string>();
    }
    for (auto [key, out] : {std::pair{"caption", &item.caption}, std::pair{"credit", &item.credit}}) {
        if (!j.contains(key)) continue;
        auto t = text_field(j, key, limits.max_text_bytes, true);
        if (!t) return make_error(errc::invalid_parameter, where + "." + t.error().detail);
        *out = std::move(*t);
    }
    return item;
}

}  // namespace

result<press_kit_input> parse_press_kit_input(const json& body, const press_kit_limits& limits) {
    if (!body.is_object()) return make_error(errc::invalid_parameter, "the body must be a JSON object");
    press_kit_input in;
    for (const auto& [k, v] : body.items()) {
        if (k == "title") {
            auto t = text_field(body, "title", limits.max_title_bytes, false);
            if (!t) return t.error();
            in.title = std::move(*t);
        } else if (k == "release") {
            auto t = text_field(body, "release", limits.max_release_bytes, true);
            if (!t) return t.error();
            in.release = std::move(*t);
        } else if (k == "contact") {
            auto t = text_field(body, "contact", limits.max_text_bytes, true);
            if (!t) return t.error();
            in.contact = std::move(*t);
        } else if (k == "embargo_until" || k == "expires_at") {
            auto t = time_field(body, k.c_str());
            if (!t) return t.error();
            (k == "embargo_until" ? in.embargo_until : in.expires_at) = *t;
        } else if (k == "items") {
            if (!v.is_array()) return make_error(errc::invalid_parameter, "items must be an array");
            if (v.size() > limits.max_items)
                return make_error(errc::invalid_parameter, "a press kit holds at most " +
                                                               std::to_string(limits.max_items) +
                                                               " items");
            std::vector<press_kit_item> items;
            for (std::size_t i = 0; i < v.size(); ++i) {
                auto item = parse_item(v[i], i, limits);
                if (!item) return item.error();
                items.push_back(std::move(*item));
            }
            in.items = std::move(items);
        } else {
            return make_error(errc::invalid_parameter, "unknown field \"" + k + "\"");
        }
    }
    return in;
}

result<press_kit> apply_input(press_kit kit, const press_kit_input& in, bool creating) {
    if (in.title) kit.title = *in.title;
    if (in.release) kit.release = *in.release;
    if (in.contact) kit.contact = *in.contact;
    if (in.items) kit.items = *in.items;
    if (in.embargo_until) kit.embargo_until = *in.embargo_until;
    if (in.expires_at) kit.expires_at = *in.expires_at;
    if ((creating || in.title) && kit.title.empty())
        return make_error(errc::invalid_parameter, "title must not be empty");
    if (kit.embargo_until && kit.expires_at && *kit.expires_at <= *kit.embargo_until)
        return make_error(errc::invalid_parameter, "expires_at must be later than embargo_until");
    return kit;
}

press_kit_status status_at(const press_kit& k, unix_ms now) noexcept {
    if (k.embargo_until && now < *k.embargo_until) return press_kit_status::embargoed;
    if (k.expires_at && now >= *k.expires_at) return press_kit_status::expired;
    return press_kit_status::released;
}

unix_ms released_at(const press_kit& k) noexcept {
    return k.embargo_until.value_or(k.created_at);
}

std::string_view to_string(press_kit_status s) noexcept {
    switch (s) {
        case press_kit_status::embargoed: return "embargoed";
        case press_kit_status::released: return "released";
        case press_kit_status::expired: return "expired";
    }
    return "unknown";
}

std::string encode_record(const press_kit& k) {
    json items = json::array();
    for (const auto& i : k.items)
        items.push_back({{"asset", i.asset.to_string()},
                         {"version", i.version},
                         {"file", i.file},
                         {"caption", i.caption},
                         {"credit", i.credit}});
    json j{{"id", k.id.to_string()},    {"title", k.title},          {"release", k.release},
           {"contact", k.contact},      {"items", std::move(items)}, {"created_by", k.created_by},
           {"created_at", k.created_at}, {"updated_at", k.updated_at}, {"revision", k.revision}};
    if (k.embargo_until) j["embargo_until"] = *k.embargo_until;
    if (k.expires_at) j["expires_at"] = *k.expires_at;
    return j.dump();
}

result<press_kit> decode_press_kit_record(std::string_view bytes) {
    auto j = json::parse(bytes, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return make_error(errc::internal, "corrupt press kit record");
    try {
        press_kit k;
        auto id = ulid::parse(j.at("id").get<std::string>());
        if (!id) return make_error(errc::internal, "corrupt press kit record: id");
        k.id = *id;
        k.title = j.at("title").get<std::string>();
        k.release = j.at("release").get<std::string>();
        k.contact = j.at("contact").get<std::string>();
        for (const auto& i : j.at("items")) {
            press_kit_item item;
            auto a = ulid::parse(i.at("asset").get<std::string>());
            if (!a) return make_error(errc::internal, "corrupt press kit record: item");
            item.asset = *a;
            item.version = i.at("version").get<std::uint32_t>();
            item.file = i.at("file").get<std::string>();
            item.caption = i.at("caption").get<std::string>();
            item.credit = i.at("credit").get<std::string>();
            k.items.push_back(std::move(item));
        }
        k.created_by = j.at("created_by").get<std::string>();
        k.created_at = j.at("created_at").get<unix_ms>();
        k.updated_at = j.at("updated_at").get<unix_ms>();
        k.revision = j.at("revision").get<std::uint64_t>();
        if (j.contains("embargo_until")) k.embargo_until = j.at("embargo_until").get<unix_ms>();
        if (j.contains("expires_at")) k.expires_at = j.at("expires_at").get<unix_ms>();
        return k;
    } catch (const json::exception&) {
        return make_error(errc::internal, "corrupt press kit record");
    }
}

}  // namespace kho
