#include "api/assets_handler.hpp"
#include "api/usage_recording.hpp"

#include "api/access.hpp"
#include "api/app.hpp"
#include "api/renditions_handler.hpp"
#include "api/conditional.hpp"
#include "api/download.hpp"
#include "api/metadata_fields.hpp"
#include "api/multipart_parser.hpp"
#include "api/problem.hpp"
#include "api/query.hpp"
#include "api/router.hpp"
#include "api/upload_sink.hpp"
#include "core/file_name.hpp"
#include "core/sha256.hpp"
#include "storage/asset_store.hpp"
#include "storage/comment_store.hpp"

#include <boost/url/decode_view.hpp>
#include <boost/url/pct_string_view.hpp>
#include <nlohmann/json.hpp>

#include <charconv>
#include <map>

namespace kho::api {
namespace {

using json = nlohmann::json;
using boost::asio::awaitable;

constexpr std::size_t k_max_field_bytes = 64 * 1024;

response json_response(int status, const json& body) {
    response r;
    r.status = status;
    r.set_body(body.dump(), "application/json");
    return r;
}

// The ETag of an asset as shown: "r<revision>-<digest of the body>". The
// revision is what If-Match checks (edits); the digest changes with
// everything else the body carries (renditions made, jobs, what the caller
// may see), so a revalidating client never keeps a stale body.
response asset_response(const app& ap, int status, const asset& a,
                        const std::vector<asset_version>& versions) {
    auto body = to_api_json(a);
    json vs = json::array();
    bool damaged = false;
    for (const auto& v : versions) {
        auto vj = version_json(ap, a.id, v);
        damaged |= vj["damaged"].get<bool>();
        for (const auto& r : vj["renditions"]) damaged |= r.value("damaged", false);
        vs.push_back(std::move(vj));
    }
    body["versions"] = std::move(vs);
    body["damaged"] = damaged;
    auto r = json_response(status, body);
    // json_response serialized the body once: hash those bytes.
    const auto& text = std::get<std::string>(r.body.front());
    r.headers.set("ETag", "\"r" + std::to_string(a.revision) + "-" + sha256::hex_of(text).substr(0, 16) + "\"");
    return r;
}

// The asset as the caller sees it (only the versions they may see).
awaitable<response> asset_as_seen(app& a, const request& req, int status, const asset& record) {
    auto versions = a.assets.list_versions(record.id);
    if (!versions) co_return problem_response(versions.error(), req.path);
    checked_asset c{record, std::move(*versions), {}};
    c.facts = facts_of(c.record, c.versions);
    co_return asset_response(a, status, record, visible_versions(a, req, c));
}

// Version `n` of an asset, if the caller may read it.
result<asset_version> readable_version(const app& a, const request& req, const ulid& id,
                                       std::uint32_t n) {
    auto checked = load_checked(a, req, id, action::asset_read);
    if (!checked) return checked.error();
    for (const auto& v : visible_versions(a, req, *checked))
        if (v.number == n) return v;
    return make_error(errc::not_found, "asset " + id.to_string() + " has no version " +
                                           std::to_string(n));
}

result<ulid> asset_id_param(const request& req) {
    auto id = ulid::parse(req.path_params.at(0));
    if (!id) return make_error(errc::not_found, "no asset with id " + req.path_params.at(0));
    return *id;
}

result<std::uint32_t> version_param(const request& req) {
    const auto& s = req.path_params.at(1);
    std::uint32_t n = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || ptr != s.data() + s.size() || n == 0)
        return make_error(errc::not_found, "no version " + s);
    return n;
}

// filename= / filename*= from a raw upload's Content-Disposition header.
std::optional<std::string> disposition_file_name(std::string_view header) {
    std::optional<std::string> plain, extended;
    size_t pos = 0;
    while (pos < header.size()) {
        auto semi = header.find(';', pos);
        auto param = header.substr(
            pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos);
        pos = semi == std::string_view::npos ? header.size() : semi + 1;
        while (!param.empty() && param.front() == ' ') param.remove_prefix(1);
        auto eq = param.find('=');
        if (eq == std::string_view::npos) continue;
        auto name = param.substr(0, eq);
        auto value = param.substr(eq + 1);
        while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
        if (iequals(name, "filename*")) {
            auto q = value.find("''");
            if (q == std::string_view::npos || !iequals(value.substr(0, q), "UTF-8")) continue;
            auto encoded = boost::urls::make_pct_string_view(value.substr(q + 2));
            if (encoded) extended = std::string(encoded->decode());
        } else if (iequals(name, "filename")) {
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
                std::string v;
                for (size_t i = 1; i + 1 < value.size(); ++i) {
                    if (value[i] == '\\' && i + 2 < value.size()) ++i;
                    v += value[i];
                }
                plain = std::move(v);
            } else {
                plain = std::string(value);
            }
        }
    }
    return extended ? extended : plain;
}

// Metadata fields as they arrive from a query string or form fields.
struct received_upload {
    std::optional<upload_sink> sink;
    std::string file_name;
    metadata_fields fields;
};

// Streams a raw body into a sink. Metadata comes from the query string.
awaitable<result<void>> receive_raw(app& a, request& req, received_upload& up) {
    auto q = query_params::parse(req.query);
    if (!q) co_return q.error();
    for (const auto& [key, value] : q->items())
        if (key != "filename")
            if (auto r = up.fields.add(key, value); !r) co_return r.error();
    std::optional<std::string> name = q->get("filename");
    if (!name)
        if (auto cd = req.headers.get("Content-Disposition")) name = disposition_file_name(*cd);
    up.file_name = sanitize_file_name(name.value_or("file"));

    auto writer = a.blobs.begin_write(a.limits.max_upload_bytes);
    if (!writer) co_return writer.error();
    up.sink.emplace(a.limits, std::move(*writer));
    for (;;) {
        auto chunk = co_await req.body->next();
        if (!chunk) co_return chunk.error();
        if (chunk->empty()) break;
        if (auto w = up.sink->write(*chunk); !w) co_return w.error();
    }
    co_return up.sink->end();
}

// Streams a multipart/form-data body: fields plus exactly one part named "file".
awaitable<result<void>> receive_multipart(app& a, request& req, received_upload& up,
                                          std::string boundary) {
    std::optional<std::string> field_name;
    std::string field_value;
    bool in_file = false;
    bool seen_file = false;
    multipart_callbacks cb;
    cb.on_part_begin = [&](const multipart_part_info& p) -> result<void> {
        if (p.name == "file") {
            if (seen_file)
                return make_error(errc::bad_request, "only one part named \"file\" is allowed");
            seen_file = in_file = true;
            up.file_name = sanitize_file_name(p.filename.value_or("file"));
            auto writer = a.blobs.begin_write(a.limits.max_upload_bytes);
            if (!writer) return writer.error();
            up.sink.emplace(a.limits, std::move(*writer));
            return ok();
        }
        field_name = p.name;
        field_value.clear();
        return ok();
    };
    cb.on_part_data = [&](std::string_view data) -> result<void> {
        if (in_file) return up.sink->write(data);
        if (field_value.size() + data.size() > k_max_field_bytes)
            return make_error(errc::payload_too_large,
                              "form field " + field_name.value_or("") + " is larger than 64 KiB");
        field_value.append(data);
        return ok();
    };
    cb.on_part_end = [&]() -> result<void> {
        if (in_file) {
            in_file = false;
            return up.sink->end();
        }
        if (field_name) return up.fields.add(*field_name, std::move(field_value));
        return ok();
    };
    multipart_parser parser(std::move(boundary), std::move(cb));
    for (;;) {
        auto chunk = co_await req.body->next();
        if (!chunk) co_return chunk.error();
        if (chunk->empty()) break;
        if (auto r = parser.feed(*chunk); !r) co_return r.error();
    }
    if (auto r = parser.finish(); !r) co_return r.error();
    if (!seen_file) co_return make_error(errc::bad_request, "the form has no part named \"file\"");
    co_return ok();
}

awaitable<result<void>> receive_upload(app& a, request& req, received_upload& up) {
    auto ct = req.headers.get("Content-Type").value_or("");
    if (ct.size() >= 10 && iequals(ct.substr(0, 10), "multipart/")) {
        auto boundary = multipart_parser::boundary_from_content_type(ct);
        if (!boundary) co_return boundary.error();
        co_return co_await receive_multipart(a, req, up, std::move(*boundary));
    }
    co_return co_await receive_raw(a, req, up);
}

awaitable<response> create_asset(app& a, request& req) {
    received_upload up;
    if (auto r = co_await receive_upload(a, req, up); !r)
        co_return problem_response(r.error(), req.path);
    auto meta = build_metadata(up.fields, up.file_name, up.sink->type());
    if (!meta) co_return problem_response(meta.error(), req.path);
    auto created = co_await run_blocking(a, [&]() -> result<std::pair<asset, asset_version>> {
        auto info = up.sink->writer().finish();
        if (!info) return info.error();
        return a.assets.create(std::move(*meta), std::move(up.sink->writer()), *info,
                               up.sink->type().mime, up.file_name, audit_who(req));
    });
    if (!created) co_return problem_response(created.error(), req.path);
    auto r = asset_response(a, 201, created->first, {created->second});
    r.headers.set("Location", "/api/v1/assets/" + created->first.id.to_string());
    co_return r;
}

awaitable<response> create_version(app& a, request& req) {
    auto id = asset_id_param(req);
    if (!id) co_return problem_response(id.error(), req.path);
    if (auto existing = load_checked(a, req, *id, action::version_create); !existing)
        co_return problem_response(existing.error(), req.path);
    else if (existing->record.deleted_at)
        co_return problem_response(errc::gone, "the asset is in the trash", req.path);
    received_upload up;
    if (auto r = co_await receive_upload(a, req, up); !r)
        co_return problem_response(r.error(), req.path);
    if (!up.fields.values.empty())
        co_return problem_response(errc::invalid_parameter,
                                   "a new version takes only a file; edit metadata with PATCH",
                                   req.path);
    auto added = co_await run_blocking(a, [&]() -> result<asset_version> {
        auto info = up.sink->writer().finish();
        if (!info) return info.error();
        return a.assets.add_version(*id, std::move(up.sink->writer()), *info, up.sink->type().mime,
                                    up.file_name, audit_who(req));
    });
    if (!added) co_return problem_response(added.error(), req.path);
    auto r = json_response(201, version_json(a, *id, *added));
    r.headers.set("Location", "/api/v1/assets/" + id->to_string() + "/versions/" +
                                  std::to_string(added->number));
    co_return r;
}

awaitable<response> list_assets(app& a, request& req) {
    auto q = query_params::parse(req.query);
    if (!q) co_return problem_response(q.error(), req.path);
    auto limit = q->get_uint("limit", 1, 200);
    if (!limit) co_return problem_response(limit.error(), req.path);
    auto trashed = q->get_bool("trashed");
    if (!trashed) co_return problem_response(trashed.error(), req.path);
    storage::asset_filter f;
    f.trashed = trashed->value_or(false);
    if (auto allowed = check(a, req, f.trashed ? action::trash_list : action::asset_list); !allowed)
        co_return problem_response(allowed.error(), req.path);
    f.tag = q->get("tag");
    f.campaign = q->get("campaign");
    f.sha256 = q->get("sha256");
    if (f.sha256 && !is_sha256_hex(*f.sha256))
        co_return problem_response(errc::invalid_parameter,
                                   "sha256 must be 64 lower-case hex digits", req.path);
    if (auto kind = q->get("kind")) {
        f.kind = parse_asset_kind(*kind);
        if (!f.kind)
            co_return problem_response(errc::invalid_parameter, "unknown kind: " + *kind, req.path);
    }
    auto page = a.assets.list(f, q->get("cursor"), limit->value_or(50));
    if (!page) co_return problem_response(page.error(), req.path);
    json items = json::array();
    auto now = a.clock.now();
    for (const auto& item : page->items) {
        // Each item is shown only to those who may read it.
        auto versions = a.assets.list_versions(item.id);
        if (!versions) continue;
        auto facts = facts_of(item, *versions);
        resource on;
        on.asset = &facts;
        on.now = now;
        if (authorize(req.principal->actor, action::asset_read, on) != access::allow) continue;
        items.push_back(to_api_json(item));
    }
    json body{{"items", std::move(items)},
              {"next_cursor", page->next_cursor ? json(*page->next_cursor) : json(nullptr)}};
    co_return json_response(200, body);
}

awaitable<response> get_asset(app& a, request& req) {
    auto id = asset_id_param(req);
    if (!id) co_return problem_response(id.error(), req.path);
    auto checked = load_checked(a, req, *id, action::asset_read);
    if (!checked) co_return problem_response(checked.error(), req.path);
    const asset* found = &checked->record;
    // Clients (the web UI) revalidate with If-None-Match (see asset_response
    // for what the ETag covers).
    auto r = asset_response(a, 200, *found, visible_versions(a, req, *checked));
    const validators v{std::string(*r.headers.get("ETag")), found->updated_at / 1000};
    if (evaluate_preconditions(req.headers, req.method, v) == precondition::not_modified) {
        response nm;
        nm.status = 304;
        nm.headers.set("ETag", v.etag);
        co_return nm;
    }
    r.headers.set("Last-Modified", format_http_date(v.last_modified));
    r.headers.set("Cache-Control", "private, no-cache");
    co_return r;
}

// If-Match: "r<revision>" (strong). Returns the revision.
result<std::uint64_t> required_revision(const request& req) {
    auto h = req.headers.get("If-Match");
    if (!h)
        return make_error(errc::precondition_required,
                          "send If-Match with the asset's ETag so that concurrent edits are not "
                          "lost");
    auto rev = revision_of_etag(*h);
    if (!rev)
        return make_error(errc::precondition_failed,
                          "If-Match does not name a revision of this asset");
    return *rev;
}

awaitable<response> patch_asset(app& a, request& req) {
    auto id = asset_id_param(req);
    if (!id) co_return problem_response(id.error(), req.path);
    if (auto exists = load_checked(a, req, *id, action::asset_update); !exists)
        co_return problem_response(exists.error(), req.path);
    auto rev = required_revision(req);
    if (!rev) co_return problem_response(rev.error(), req.path);
    auto body = co_await read_body(req, a.limits.max_json_bytes);
    if (!body) co_return problem_response(body.error(), req.path);
    auto parsed = json::parse(*body, nullptr, false);
    if (parsed.is_discarded())
        co_return problem_response(errc::bad_request, "the body is not valid JSON", req.path);
    auto patch = parse_metadata_patch(parsed);
    if (!patch) co_return problem_response(patch.error(), req.path);
    auto updated = co_await run_blocking(
        a, [&] { return a.assets.update(*id, *rev, *patch, audit_who(req)); });
    if (!updated) co_return problem_response(updated.error(), req.path);
    co_return co_await asset_as_seen(a, req, 200, *updated);
}

awaitable<response> delete_asset(app& a, request& req) {
    auto id = asset_id_param(req);
    if (!id) co_return problem_response(id.error(), req.path);
    auto q = query_params::parse(req.query);
    if (!q) co_return problem_response(q.error(), req.path);
    auto permanent = q->get_bool("permanent");
    if (!permanent) co_return problem_response(permanent.error(), req.path);
    if (auto allowed = load_checked(a, req, *id,
                                    permanent->value_or(false) ? action::asset_purge
                                                               : action::asset_trash);
        !allowed)
        co_return problem_response(allowed.error(), req.path);
    if (permanent->value_or(false)) {
        auto purged = co_await run_blocking(a, [&] { return a.assets.purge(*id, audit_who(req)); });
        if (purged) a.comments.remove_all(*id);
        if (!purged) co_return problem_response(purged.error(), req.path);
        response r;
        r.status = 204;
        co_return r;
    }
    std::optional<std::uint64_t> rev;
    if (req.headers.get("If-Match")) {
        auto parsed = required_revision(req);
        if (!parsed) co_return problem_response(parsed.error(), req.path);
        rev = *parsed;
    }
    auto trashed =
        co_await run_blocking(a, [&] { return a.assets.trash(*id, rev, audit_who(req)); });
    if (!trashed) co_return problem_response(trashed.error(), req.path);
    co_return co_await asset_as_seen(a, req, 200, *trashed);
}

awaitable<response> restore_asset(app& a, request& req) {
    auto id = asset_id_param(req);
    if (!id) co_return problem_response(id.error(), req.path);
    if (auto allowed = load_checked(a, req, *id, action::asset_restore); !allowed)
        co_return problem_response(allowed.error(), req.path);
    auto restored =
        co_await run_blocking(a, [&] { return a.assets.restore(*id, audit_who(req)); });
    if (!restored) co_return problem_response(restored.error(), req.path);
    co_return co_await asset_as_seen(a, req, 200, *restored);
}

awaitable<response> list_versions(app& a, request& req) {
    auto id = asset_id_param(req);
    if (!id) co_return problem_response(id.error(), req.path);
    auto checked = load_checked(a, req, *id, action::asset_read);
    if (!checked) co_return problem_response(checked.error(), req.path);
    json items = json::array();
    for (const auto& v : visible_versions(a, req, *checked)) items.push_back(version_json(a, *id, v));
    co_return json_response(200, json{{"items", std::move(items)}});
}

awaitable<response> get_version(app& a, request& req) {
    auto id = asset_id_param(req);
    if (!id) co_return problem_response(id.error(), req.path);
    auto n = version_param(req);
    if (!n) co_return problem_response(n.error(), req.path);
    auto v = readable_version(a, req, *id, *n);
    if (!v) co_return problem_response(v.error(), req.path);
    co_return json_response(200, version_json(a, *id, *v));
}

response download_version(app& a, const request& req, const ulid& id,
                          std::optional<std::uint32_t> n) {
    auto checked = load_checked(a, req, id, action::asset_read);
    if (!checked) return problem_response(checked.error(), req.path);
    if (checked->record.deleted_at)
        return problem_response(errc::gone, "the asset is in the trash", req.path);
    // Without a number: the newest version the caller may see (for a unit,
    // the approved one, even while a newer version is in review).
    std::optional<asset_version> v;
    auto visible = visible_versions(a, req, *checked);
    for (auto& candidate : visible)
        if (n ? candidate.number == *n : true) v = candidate;
    if (!v)
        return problem_response(errc::not_found,
                                n ? "asset " + id.to_string() + " has no version " +
                                        std::to_string(*n)
                                  : "no version of this asset is available to you",
                                req.path);
    auto file = a.blobs.open_read(v->sha256);
    if (!file) {
        // Metadata says it exists: a missing blob is damage, not a 404.
        auto e = file.error();
        if (e.code == errc::not_found) e = make_error(errc::internal, "the stored file is missing");
        return problem_response(e, req.path);
    }
    auto r = build_download(req, download_spec{std::move(*file), v->sha256, v->created_at / 1000,
                                               v->file_name, v->content_type, true});
    offer_redirect(a, req, r, v->sha256);
    record_usage(a, req, r, storage::download_subject{.asset = id.to_string(), .version = v->number,
                                                      .file = "original"});
    return r;
}

awaitable<response> download_latest(app& a, request& req) {
    auto id = asset_id_param(req);
    if (!id) co_return problem_response(id.error(), req.path);
    co_return download_version(a, req, *id, std::nullopt);
}

awaitable<response> download_numbered(app& a, request& req) {
    auto id = asset_id_param(req);
    if (!id) co_return problem_response(id.error(), req.path);
    auto n = version_param(req);
    if (!n) co_return problem_response(n.error(), req.path);
    co_return download_version(a, req, *id, *n);
}

}  // namespace

void add_asset_routes(router& r) {
    r.add({"POST", "/api/v1/assets", create_asset, true, body_kind::upload, action::asset_create});
    r.add({"GET", "/api/v1/assets", list_assets});
    r.add({"GET", "/api/v1/assets/{id}", get_asset});
    r.add({"PATCH", "/api/v1/assets/{id}", patch_asset, true, body_kind::json});
    r.add({"DELETE", "/api/v1/assets/{id}", delete_asset});
    r.add({"POST", "/api/v1/assets/{id}/restore", restore_asset});
    r.add({"POST", "/api/v1/assets/{id}/versions", create_version, true, body_kind::upload});
    r.add({"GET", "/api/v1/assets/{id}/versions", list_versions});
    r.add({"GET", "/api/v1/assets/{id}/versions/{n}", get_version});
    r.add({"GET", "/api/v1/assets/{id}/original", download_latest});
    r.add({"GET", "/api/v1/assets/{id}/versions/{n}/original", download_numbered});
}

}  // namespace kho::api
