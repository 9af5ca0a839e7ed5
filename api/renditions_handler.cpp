#include "api/renditions_handler.hpp"

#include "api/access.hpp"
#include "api/app.hpp"
#include "api/download.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "api/query.hpp"
#include "api/router.hpp"
#include "api/usage_recording.hpp"
#include "core/file_name.hpp"
#include "storage/asset_store.hpp"
#include "storage/blob_store.hpp"
#include "storage/job_queue.hpp"

#include <charconv>

namespace kho::api {
namespace {

using boost::asio::awaitable;
using json = nlohmann::json;

// Types kho makes itself and a browser may show inline.
bool safe_inline(std::string_view type) {
    return type == "image/webp" || type == "image/jpeg" || type == "image/png" ||
           type == "video/mp4" || type == "audio/mp4" || type == "audio/mpeg" ||
           type == "application/json";
}

bool counts_as_download(std::string_view rendition) {
    return rendition == "web" || rendition == "video_720p" || rendition == "audio_mp3" ||
           rendition == "audio_m4a";
}

std::string extension_for(std::string_view type) {
    if (type == "image/webp") return ".webp";
    if (type == "image/jpeg") return ".jpg";
    if (type == "image/png") return ".png";
    if (type == "video/mp4") return ".mp4";
    if (type == "audio/mp4") return ".m4a";
    if (type == "audio/mpeg") return ".mp3";
    if (type == "application/json") return ".json";
    return "";
}

// The version a rendition request is about: version n, or without n the
// newest version the caller may see.
result<asset_version> target_version(const app& a, const request& req,
                                     std::optional<std::uint32_t> n) {
    auto id = ulid::parse(req.path_params.at(0));
    if (!id) return make_error(errc::not_found, "no asset with id " + req.path_params.at(0));
    auto checked = load_checked(a, req, *id, action::asset_read);
    if (!checked) return checked.error();
    if (checked->record.deleted_at) return make_error(errc::gone, "the asset is in the trash");
    std::optional<asset_version> found;
    for (auto& v : visible_versions(a, req, *checked))
        if (!n || v.number == *n) found = v;
    if (!found) return make_error(errc::not_found, "no such version");
    return *found;
}

result<std::uint32_t> number_param(const std::string& s) {
    std::uint32_t n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || p != s.data() + s.size() || n == 0)
        return make_error(errc::not_found, "no version " + s);
    return n;
}

awaitable<response> list_for(app& a, request& req, std::optional<std::uint32_t> n) {
    auto v = target_version(a, req, n);
    if (!v) co_return problem_response(v.error(), req.path);
    auto id = ulid::parse(req.path_params.at(0)).value();
    auto j = version_json(a, id, *v);
    co_return json_response(200, {{"version", v->number}, {"items", j["renditions"]}});
}

awaitable<response> file_for(app& a, request& req, std::optional<std::uint32_t> n,
                             const std::string& name) {
    auto v = target_version(a, req, n);
    if (!v) co_return problem_response(v.error(), req.path);
    auto id = ulid::parse(req.path_params.at(0)).value();
    auto r = a.assets.get_rendition(id, v->number, name);
    if (!r) co_return problem_response(r.error(), req.path);
    auto file = a.blobs.open_read(r->sha256);
    if (!file) {
        auto e = file.error();
        if (e.code == errc::not_found) e = make_error(errc::internal, "the stored file is missing");
        co_return problem_response(e, req.path);
    }
    auto file_name = rendition_file_name(*v, *r);
    auto resp = build_download(req, download_spec{std::move(*file), r->sha256, r->created_at / 1000,
                                                  file_name, r->content_type,
                                                  !safe_inline(r->content_type)});
    offer_redirect(a, req, resp, r->sha256);
    // Thumbnails, previews and waveforms are for the screen: only the files
    // people take away (and play) count as downloads.
    if (counts_as_download(name))
        record_usage(a, req, resp, storage::download_subject{.asset = id.to_string(),
                                                             .version = v->number, .file = name});
    co_return resp;
}

awaitable<response> latest_list(app& a, request& req) {
    co_return co_await list_for(a, req, std::nullopt);
}
awaitable<response> latest_file(app& a, request& req) {
    co_return co_await file_for(a, req, std::nullopt, req.path_params.at(1));
}
awaitable<response> numbered_list(app& a, request& req) {
    auto n = number_param(req.path_params.at(1));
    if (!n) co_return problem_response(n.error(), req.path);
    co_return co_await list_for(a, req, *n);
}
awaitable<response> numbered_file(app& a, request& req) {
    auto n = number_param(req.path_params.at(1));
    if (!n) co_return problem_response(n.error(), req.path);
    co_return co_await file_for(a, req, *n, req.path_params.at(2));
}

awaitable<response> list_jobs(app& a, request& req) {
    auto q = query_params::parse(req.query);
    if (!q) co_return problem_response(q.error(), req.path);
    auto limit = q->get_uint("limit", 1, 1000);
    if (!limit) co_return problem_response(limit.error(), req.path);
    storage::job_filter f;
    if (auto s = q->get("state")) {
        auto st = parse_job_state(*s);
        if (!st) co_return problem_response(st.error(), req.path);
        f.state = *st;
    }
    if (auto s = q->get("asset")) {
        auto id = ulid::parse(*s);
        if (!id) co_return problem_response(errc::invalid_parameter, "asset is not an asset id", req.path);
        f.asset = *id;
    }
    auto page = a.jobs.list(f, q->get("cursor"), limit->value_or(100));
    if (!page) co_return problem_response(page.error(), req.path);
    json items = json::array();
    for (const auto& j : page->items) items.push_back(to_api_json(j));
    co_return json_response(200, {{"items", std::move(items)},
                                  {"next_cursor", page->next_cursor ? json(*page->next_cursor)
                                                                    : json(nullptr)}});
}

awaitable<response> retry_job(app& a, request& req) {
    auto id = ulid::parse(req.path_params.at(0));
    if (!id) co_return problem_response(errc::not_found, "no job with id " + req.path_params.at(0), req.path);
    auto retried = co_await run_blocking(a, [&] { return a.jobs.retry(*id); });
    if (!retried) co_return problem_response(retried.error(), req.path);
    co_return json_response(200, to_api_json(*retried));
}

}  // namespace

std::string rendition_file_name(const asset_version& v, const rendition& r) {
    auto stem = std::filesystem::path(v.file_name).stem().string();
    return stem + " (" + r.name + ")" + extension_for(r.content_type);
}

json version_json(const app& a, const ulid& asset, const asset_version& v) {
    auto j = to_api_json(v);
    // A stored file that no longer hashes to its digest (docs/storage.md,
    // "Damaged blobs"): shown until a verify finds it intact or the same
    // bytes are uploaded again.
    const auto& damage = a.assets.damage();
    j["damaged"] = damage.damaged(v.sha256);
    json renditions = json::array();
    auto made = a.assets.list_renditions(asset, v.number);
    auto jobs = a.jobs.for_version(asset, v.number);
    std::vector<std::string> listed;
    if (made)
        for (const auto& r : *made) {
            auto rj = to_api_json(r);
            rj["damaged"] = damage.damaged(r.sha256);
            renditions.push_back(std::move(rj));
            listed.push_back(r.name);
        }
    if (!jobs.empty()) {
        const auto& newest = jobs.back();
        if (newest.state != job_state::done)
            for (const auto& name : planned_renditions(newest.kind)) {
                if (std::find(listed.begin(), listed.end(), name) != listed.end()) continue;
                renditions.push_back(
                    {{"name", name},
                     {"state", std::string(to_string(newest.state))},
                     {"error", newest.error.empty() ? json(nullptr) : json(newest.error)},
                     {"job", newest.id.to_string()}});
            }
    }
    j["renditions"] = std::move(renditions);
    return j;
}

void add_rendition_routes(router& r) {
    r.add({"GET", "/api/v1/assets/{id}/renditions", latest_list});
    r.add({"GET", "/api/v1/assets/{id}/renditions/{name}", latest_file});
    r.add({"GET", "/api/v1/assets/{id}/versions/{n}/renditions", numbered_list});
    r.add({"GET", "/api/v1/assets/{id}/versions/{n}/renditions/{name}", numbered_file});
    r.add({"GET", "/api/v1/jobs", list_jobs, true, body_kind::none, action::maintenance});
    r.add({"POST", "/api/v1/jobs/{id}/retry", retry_job, true, body_kind::none,
           action::maintenance});
}

}  // namespace kho::api
