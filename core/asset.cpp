#include "core/asset.hpp"

#include "core/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace kho {
namespace {

using json = nlohmann::json;

}  // namespace

result<asset_metadata> validate(asset_metadata m, const metadata_limits& limits) {
    auto title = clean_text("title", m.title, limits.max_title_bytes, false);
    if (!title) return title.error();
    if (title->empty()) return make_error(errc::invalid_parameter, "title must not be empty");
    m.title = std::move(*title);
    auto desc = clean_text("description", m.description, limits.max_description_bytes, true);
    if (!desc) return desc.error();
    m.description = std::move(*desc);
    auto campaign = clean_text("campaign", m.campaign, limits.max_campaign_bytes, false);
    if (!campaign) return campaign.error();
    m.campaign = std::move(*campaign);
    auto lang = clean_text("language", m.language, 35, false);
    if (!lang) return lang.error();
    for (char ch : *lang)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-'))
            return make_error(errc::invalid_parameter, "language must be a BCP 47 tag like \"vi\"");
    m.language = lang->empty() ? "vi" : std::move(*lang);

    std::vector<std::string> tags;
    for (const auto& t : m.tags) {
        auto tag = clean_text("tag", t, limits.max_tag_bytes, false);
        if (!tag) return tag.error();
        if (tag->empty()) continue;
        if (std::find(tags.begin(), tags.end(), *tag) == tags.end()) tags.push_back(*tag);
    }
    if (tags.size() > limits.max_tags)
        return make_error(errc::invalid_parameter,
                          "at most " + std::to_string(limits.max_tags) + " tags");
    m.tags = std::move(tags);
    return m;
}

result<asset_metadata> apply_patch(const asset_metadata& current, const asset_metadata_patch& p,
                                   const metadata_limits& limits) {
    asset_metadata m = current;
    if (p.title) m.title = *p.title;
    if (p.description) m.description = *p.description;
    if (p.tags) m.tags = *p.tags;
    if (p.kind) m.kind = *p.kind;
    if (p.campaign) m.campaign = *p.campaign;
    if (p.language) m.language = *p.language;
    return validate(std::move(m), limits);
}

result<asset_metadata_patch> parse_metadata_patch(const json& body) {
    if (!body.is_object())
        return make_error(errc::invalid_parameter, "the body must be a JSON object");
    asset_metadata_patch p;
    auto string_field = [&](const char* name, std::optional<std::string>& out) -> result<void> {
        if (!body.contains(name)) return ok();
        const auto& v = body.at(name);
        if (!v.is_string())
            return make_error(errc::invalid_parameter, std::string(name) + " must be a string");
        out = v.get<std::string>();
        return ok();
    };
    for (const auto& [key, value] : body.items()) {
        if (key != "title" && key != "description" && key != "tags" && key != "kind" &&
            key != "campaign" && key != "language")
            return make_error(errc::invalid_parameter, "unknown or read-only field: " + key);
    }
    if (auto r = string_field("title", p.title); !r) return r.error();
    if (auto r = string_field("description", p.description); !r) return r.error();
    if (auto r = string_field("campaign", p.campaign); !r) return r.error();
    if (auto r = string_field("language", p.language); !r) return r.error();
    if (body.contains("tags")) {
        const auto& v = body.at("tags");
        if (!v.is_array()) return make_error(errc::invalid_parameter, "tags must be an array");
        std::vector<std::string> tags;
        for (const auto& t : v) {
            if (!t.is_string())
                return make_error(errc::invalid_parameter, "each tag must be a string");
            tags.push_back(t.get<std::string>());
        }
        p.tags = std::move(tags);
    }
    if (body.contains("kind")) {
        const auto& v = body.at("kind");
        auto kind = v.is_string() ? parse_asset_kind(v.get<std::string>()) : std::nullopt;
        if (!kind)
            return make_error(errc::invalid_parameter,
                              "kind must be one of poster, infographic, video, podcast, "
                              "document, other");
        p.kind = kind;
    }
    return p;
}

namespace {

// The fields shared by the stored record and the API view; times differ
// (integers in storage, RFC 3339 in the API) and are added by each.
json asset_fields(const asset& a) {
    return json{{"id", a.id.to_string()},
                {"title", a.meta.title},
                {"description", a.meta.description},
                {"tags", a.meta.tags},
                {"kind", to_string(a.meta.kind)},
                {"campaign", a.meta.campaign},
                {"language", a.meta.language},
                {"revision", a.revision},
                {"version_count", a.version_count},
                {"created_by", a.created_by}};
}

json version_fields(const asset_version& v) {
    return json{{"number", v.number},       {"sha256", v.sha256},
                {"size", v.size},           {"content_type", v.content_type},
                {"file_name", v.file_name}, {"uploaded_by", v.uploaded_by},
                {"state", std::string(to_string(v.state))}};
}

bool approved_once(const asset_version& v) {
    return v.state == version_state::approved || v.state == version_state::archived;
}

}  // namespace

std::string encode_record(const asset& a) {
    json j = asset_fields(a);
    j["created_at"] = a.created_at;
    j["updated_at"] = a.updated_at;
    if (a.deleted_at) j["deleted_at"] = *a.deleted_at;
    return j.dump();
}

std::string encode_record(const asset_version& v) {
    json j = version_fields(v);
    j["created_at"] = v.created_at;
    if (v.submitted_at != 0) {
        j["submitted_by"] = v.submitted_by;
        j["submitted_at"] = v.submitted_at;
    }
    if (v.reviewed_at != 0) {
        j["reviewed_by"] = v.reviewed_by;
        j["reviewed_at"] = v.reviewed_at;
        j["review_comment"] = v.review_comment;
    }
    if (!v.media_info.empty()) j["media"] = json::parse(v.media_info, nullptr, false);
    if (approved_once(v)) {
        j["audience"] = to_json(v.audience);
        if (v.window.from) j["valid_from"] = *v.window.from;
        if (v.window.until) j["valid_until"] = *v.window.until;
    }
    return j.dump();
}

result<asset> decode_asset_record(std::string_view bytes) {
    try {
        auto j = json::parse(bytes);
        asset a;
        auto id = ulid::parse(j.at("id").get<std::string>());
        if (!id) return id.error();
        a.id = *id;
        a.meta.title = j.at("title").get<std::string>();
        a.meta.description = j.at("description").get<std::string>();
        a.meta.tags = j.at("tags").get<std::vector<std::string>>();
        a.meta.kind = parse_asset_kind(j.at("kind").get<std::string>()).value_or(asset_kind::other);
        a.meta.campaign = j.at("campaign").get<std::string>();
        a.meta.language = j.at("language").get<std::string>();
        a.revision = j.at("revision").get<std::uint64_t>();
        a.version_count = j.at("version_count").get<std::uint32_t>();
        a.created_by = j.at("created_by").get<std::string>();
        a.created_at = j.at("created_at").get<unix_ms>();
        a.updated_at = j.at("updated_at").get<unix_ms>();
        if (j.contains("deleted_at")) a.deleted_at = j.at("deleted_at").get<unix_ms>();
        return a;
    } catch (const json::exception& e) {
        return make_error(errc::internal, std::string("corrupt asset record: ") + e.what());
    }
}

result<asset_version> decode_version_record(std::string_view bytes) {
    try {
        auto j = json::parse(bytes);
        asset_version v;
        v.number = j.at("number").get<std::uint32_t>();
        v.sha256 = j.at("sha256").get<std::string>();
        v.size = j.at("size").get<std::uint64_t>();
        v.content_type = j.at("content_type").get<std::string>();
        v.file_name = j.at("file_name").get<std::string>();
        v.uploaded_by = j.at("uploaded_by").get<std::string>();
        v.created_at = j.at("created_at").get<unix_ms>();
        // Versions stored before the review workflow existed are drafts.
        if (auto st = parse_version_state(j.value("state", "draft")); st) v.state = *st;
        v.submitted_by = j.value("submitted_by", "");
        v.submitted_at = j.value("submitted_at", unix_ms{0});
        v.reviewed_by = j.value("reviewed_by", "");
        v.reviewed_at = j.value("reviewed_at", unix_ms{0});
        v.review_comment = j.value("review_comment", "");
        if (j.contains("audience")) {
            auto aud = audience_from_json(j.at("audience"));
            if (!aud) return make_error(errc::internal, "corrupt version record: audience");
            v.audience = std::move(*aud);
        }
        if (j.contains("media") && j.at("media").is_object()) v.media_info = j.at("media").dump();
        if (j.contains("valid_from")) v.window.from = j.at("valid_from").get<unix_ms>();
        if (j.contains("valid_until")) v.window.until = j.at("valid_until").get<unix_ms>();
        return v;
    } catch (const json::exception& e) {
        return make_error(errc::internal, std::string("corrupt version record: ") + e.what());
    }
}

json to_api_json(const asset& a) {
    json j = asset_fields(a);
    j["created_at"] = format_rfc3339(a.created_at);
    j["updated_at"] = format_rfc3339(a.updated_at);
    j["deleted_at"] = a.deleted_at ? json(format_rfc3339(*a.deleted_at)) : json(nullptr);
    return j;
}

json to_api_json(const asset_version& v) {
    json j = version_fields(v);
    j["created_at"] = format_rfc3339(v.created_at);
    auto who_when = [](const std::string& who, unix_ms when) {
        return who.empty() ? json(nullptr) : json{{"by", who}, {"at", format_rfc3339(when)}};
    };
    j["submitted"] = who_when(v.submitted_by, v.submitted_at);
    j["reviewed"] = who_when(v.reviewed_by, v.reviewed_at);
    if (j["reviewed"].is_object())
        j["reviewed"]["comment"] = v.review_comment.empty() ? json(nullptr) : json(v.review_comment);
    j["media"] = v.media_info.empty() ? json(nullptr) : json::parse(v.media_info, nullptr, false);
    j["allowed_actions"] = json::array();
    for (auto a : allowed_actions(v.state)) j["allowed_actions"].push_back(std::string(to_string(a)));
    if (approved_once(v)) {
        j["audience"] = to_json(v.audience);
        j["valid_from"] = v.window.from ? json(format_rfc3339(*v.window.from)) : json(nullptr);
        j["valid_until"] = v.window.until ? json(format_rfc3339(*v.window.until)) : json(nullptr);
    } else {
        j["audience"] = nullptr;
        j["valid_from"] = nullptr;
        j["valid_until"] = nullptr;
    }
    return j;
}

}  // namespace kho
