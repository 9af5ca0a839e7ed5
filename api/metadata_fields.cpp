#include "api/metadata_fields.hpp"

namespace kho::api {

result<void> metadata_fields::add(const std::string& key, std::string value) {
    static const char* known[] = {"title", "description", "tags",    "tag",
                                  "kind",  "campaign",    "language"};
    bool ok_key = false;
    for (const char* k : known) ok_key |= key == k;
    if (!ok_key) return make_error(errc::invalid_parameter, "unknown field: " + key);
    values[key].push_back(std::move(value));
    return ok();
}

std::optional<std::string> metadata_fields::one(const std::string& key) const {
    auto it = values.find(key);
    if (it == values.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
}

result<asset_metadata> build_metadata(const metadata_fields& f, const std::string& file_name,
                                      const sniffed_type& type) {
    asset_metadata m;
    m.title = f.one("title").value_or(file_name);
    m.description = f.one("description").value_or("");
    m.campaign = f.one("campaign").value_or("");
    m.language = f.one("language").value_or("vi");
    for (const char* key : {"tags", "tag"}) {
        auto it = f.values.find(key);
        if (it == f.values.end()) continue;
        for (const auto& v : it->second) {
            size_t pos = 0;
            while (pos <= v.size()) {
                auto comma = v.find(',', pos);
                if (comma == std::string::npos) comma = v.size();
                m.tags.push_back(v.substr(pos, comma - pos));
                pos = comma + 1;
            }
        }
    }
    if (auto kind = f.one("kind")) {
        auto k = parse_asset_kind(*kind);
        if (!k)
            return make_error(errc::invalid_parameter,
                              "kind must be one of poster, infographic, video, podcast, document, "
                              "other");
        m.kind = *k;
    } else {
        m.kind = type.kind;
    }
    return validate(std::move(m));
}

}  // namespace kho::api
