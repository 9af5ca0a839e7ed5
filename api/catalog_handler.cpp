#include "api/catalog_handler.hpp"

#include "api/access.hpp"
#include "api/app.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "api/query.hpp"
#include "api/renditions_handler.hpp"
#include "api/router.hpp"
#include "core/text.hpp"
#include "storage/asset_store.hpp"
#include "storage/catalog_index.hpp"

namespace kho::api {
namespace {

using boost::asio::awaitable;
using json = nlohmann::json;

constexpr std::size_t k_max_query_bytes = 200;
constexpr unix_ms k_day_ms = 24 * 3600 * 1000;

struct file_label {
    std::string_view name;
    std::string_view vi;
    std::string_view en;
};

// The renditions a person downloads (thumbnails and previews are for the
// screen), in the order they are offered.
constexpr file_label k_offered[] = {
    {"web", "Ảnh cho web", "Web image"},
    {"video_720p", "Video 720p", "720p video"},
    {"audio_mp3", "Podcast MP3", "Podcast MP3"},
    {"audio_m4a", "Podcast M4A", "Podcast M4A"},
};

std::string original_label_vi(const asset_version& v) {
    const auto& t = v.content_type;
    if (t.starts_with("image/") || t == "application/pdf") return "Bản in gốc";
    return "Bản gốc";
}

std::string original_label_en(const asset_version& v) {
    const auto& t = v.content_type;
    if (t.starts_with("image/") || t == "application/pdf") return "Print original";
    return "Original";
}

result<std::optional<unix_ms>> date_param(const query_params& q, std::string_view key) {
    auto s = q.get(key);
    if (!s) return std::optional<unix_ms>{};
    auto t = parse_date_at_offset(*s, vietnam_utc_offset_minutes);
    if (!t)
        return make_error(errc::invalid_parameter,
                          std::string(key) + " must be a date YYYY-MM-DD (Vietnam time), not \"" +
                              *s + "\"");
    return std::optional<unix_ms>{*t};
}

json facets_json(const std::vector<storage::facet_count>& f) {
    json out = json::array();
    for (const auto& c : f) out.push_back({{"value", c.value}, {"count", c.count}});
    return out;
}

awaitable<response> search_catalog(app& a, request& req) {
    auto q = query_params::parse(req.query);
    if (!q) co_return problem_response(q.error(), req.path);
    auto limit = q->get_uint("limit", 1, 100);
    if (!limit) co_return problem_response(limit.error(), req.path);
    storage::catalog_query cq;
    if (auto text = q->get("q")) {
        if (text->size() > k_max_query_bytes)
            co_return problem_response(errc::invalid_parameter,
                                       "q is longer than " + std::to_string(k_max_query_bytes) +
                                           " bytes",
                                       req.path);
        if (!is_valid_utf8(*text))
            co_return problem_response(errc::invalid_parameter, "q is not valid UTF-8", req.path);
        cq.text = *text;
    }
    if (auto kind = q->get("kind")) {
        cq.kind = parse_asset_kind(*kind);
        if (!cq.kind)
            co_return problem_response(errc::invalid_parameter,
                                       "kind must be poster, infographic, video, podcast, "
                                       "document or other, not \"" + *kind + "\"",
                                       req.path);
    }
    cq.campaign = q->get("campaign");
    cq.tag = q->get("tag");
    if (auto level = q->get("level")) {
        auto l = parse_education_level(*level);
        if (!l || *l == education_level::none)
            co_return problem_response(errc::invalid_parameter,
                                       "level is not an education level: \"" + *level + "\"",
                                       req.path);
        cq.level = *l;
    }
    auto from = date_param(*q, "from");
    if (!from) co_return problem_response(from.error(), req.path);
    auto to = date_param(*q, "to");
    if (!to) co_return problem_response(to.error(), req.path);
    cq.from = *from;
    if (*to) cq.until = **to + k_day_ms;  // `to` is inclusive
    auto mine = q->get_bool("mine");
    if (!mine) co_return problem_response(mine.error(), req.path);
    if (mine->value_or(false)) cq.created_by = req.principal->id;
    std::optional<version_state> state;
    if (auto s = q->get("state")) {
        auto st = parse_version_state(*s);
        if (!st) co_return problem_response(st.error(), req.path);
        state = *st;
    }

    const actor& who = req.principal->actor;
    const auto now = a.clock.now();
    // The newest version the caller may see (of the asked state).
    storage::version_chooser choose = [&](const catalog_doc& d) -> const catalog_version* {
        const catalog_version* shown = nullptr;
        for (std::size_t i = 0; i < d.versions.size(); ++i) {
            const auto& v = d.versions[i];
            if (state && v.facts.state != *state) continue;
            if (can_see_version(who, d.facts, v.facts, now)) shown = &v;
        }
        return shown;
    };
    auto found = a.catalog.search(cq, choose, q->get("cursor"), limit->value_or(24));
    if (!found) co_return problem_response(found.error(), req.path);

    json items = json::array();
    for (const auto& hit : found->items) {
        auto record = a.assets.get(hit.doc->id);
        auto v = a.assets.get_version(hit.doc->id, hit.version);
        if (!record || !v) continue;  // purged since the search
        auto j = to_api_json(*record);
        j["version"] = version_json(a, record->id, *v);
        j["files"] = offered_files(a, record->id, *v);
        j["score"] = hit.score;
        items.push_back(std::move(j));
    }
    co_return json_response(
        200, {{"items", std::move(items)},
              {"total", found->total},
              {"facets",
               {{"kind", facets_json(found->kinds)},
                {"campaign", facets_json(found->campaigns)},
                {"tag", facets_json(found->tags)}}},
              {"next_cursor", found->next_cursor ? json(*found->next_cursor) : json(nullptr)}});
}

awaitable<response> reindex(app& a, request& req) {
    auto n = co_await run_blocking(a, [&] { return a.catalog.rebuild(); });
    if (!n) co_return problem_response(n.error(), req.path);
    co_return json_response(200, {{"indexed_assets", *n}});
}

}  // namespace

json offered_files(const app& a, const ulid& asset, const asset_version& v) {
    const std::string base = "/api/v1/assets/" + asset.to_string() + "/versions/" +
                             std::to_string(v.number);
    json files = json::array();
    files.push_back({{"name", "original"},
                     {"label", original_label_vi(v)},
                     {"label_en", original_label_en(v)},
                     {"content_type", v.content_type},
                     {"size", v.size},
                     {"file_name", v.file_name},
                     {"url", base + "/original"}});
    auto made = a.assets.list_renditions(asset, v.number);
    if (!made) return files;
    for (const auto& label : k_offered)
        for (const auto& r : *made)
            if (r.name == label.name)
                files.push_back({{"name", r.name},
                                 {"label", label.vi},
                                 {"label_en", label.en},
                                 {"content_type", r.content_type},
                                 {"size", r.size},
                                 {"url", base + "/renditions/" + r.name}});
    return files;
}

void add_catalog_routes(router& r) {
    r.add({"GET", "/api/v1/catalog", search_catalog, true, body_kind::none, action::asset_list});
    r.add({"POST", "/api/v1/admin/reindex", reindex, true, body_kind::none, action::maintenance});
}

}  // namespace kho::api
