#include "api/press_kits_handler.hpp"

#include "api/access.hpp"
#include "api/app.hpp"
#include "api/conditional.hpp"
#include "api/json_body.hpp"
#include "api/press_kit_files.hpp"
#include "api/problem.hpp"
#include "api/query.hpp"
#include "api/renditions_handler.hpp"
#include "api/router.hpp"
#include "api/usage_recording.hpp"
#include "core/markdown.hpp"
#include "storage/asset_store.hpp"
#include "storage/blob_store.hpp"
#include "storage/press_kit_store.hpp"

#include <charconv>

namespace kho::api {
namespace {

using boost::asio::awaitable;
using json = nlohmann::json;

bool is_staff(const request& req) {
    auto r = req.principal->actor.role;
    return r == role::admin || r == role::reviewer;
}

json time_or_null(const std::optional<unix_ms>& t) {
    return t ? json(format_rfc3339(*t)) : json(nullptr);
}

// "08:00 01/12/2026" in Vietnam time.
std::string vietnam_time(unix_ms t) {
    auto local = format_rfc3339(t + 7LL * 3600 * 1000);  // "2026-12-01T08:00:00.000Z"
    return local.substr(11, 5) + " " + local.substr(8, 2) + "/" + local.substr(5, 2) + "/" +
           local.substr(0, 4);
}

std::string status_detail(const press_kit& k, unix_ms now) {
    switch (status_at(k, now)) {
        case press_kit_status::embargoed:
            return "under embargo until " + format_rfc3339(*k.embargo_until) + " (" +
                   vietnam_time(*k.embargo_until) +
                   " Vietnam time): journalists and share links cannot see this kit or download "
                   "it until then";
        case press_kit_status::expired:
            return "expired at " + format_rfc3339(*k.expires_at) + " (" + vietnam_time(*k.expires_at) +
                   " Vietnam time): journalists and share links can no longer see it";
        case press_kit_status::released:
            break;
    }
    return k.expires_at ? "released; visible to journalists and share links until " +
                              format_rfc3339(*k.expires_at)
                        : "released; visible to journalists and share links";
}

}  // namespace

json press_kit_json(app& a, const press_kit& k, const std::vector<kit_file>& files, bool staff,
                    const std::string& base_url) {
    const auto now = a.clock.now();
    json items = json::array();
    std::size_t position = 0;
    for (const auto& f : files) {
        ++position;
        if (!f.available && !staff) continue;
        json j{{"position", position},
               {"asset", f.item.asset.to_string()},
               {"version", f.item.version},
               {"file", f.item.file},
               {"caption", f.item.caption},
               {"credit", f.item.credit},
               {"title", f.title},
               {"available", f.available}};
        if (f.available) {
            j["file_name"] = f.file_name;
            j["size"] = f.size;
            j["content_type"] = f.content_type;
            j["sha256"] = f.sha256;
            const auto item = base_url + "/items/" + std::to_string(position);
            j["url"] = item;
            j["thumb_url"] = item + "/thumb";
        } else {
            j["reason"] = f.reason;
        }
        items.push_back(std::move(j));
    }
    json out{{"id", k.id.to_string()},
             {"title", k.title},
             {"release", k.release},
             {"release_html", markdown_to_html(k.release)},
             {"contact", k.contact},
             {"items", std::move(items)},
             {"embargo_until", time_or_null(k.embargo_until)},
             {"expires_at", time_or_null(k.expires_at)},
             {"status", std::string(to_string(status_at(k, now)))},
             {"released_at", format_rfc3339(released_at(k))},
             {"updated_at", format_rfc3339(k.updated_at)}};
    if (staff) {
        out["status_detail"] = status_detail(k, now);
        out["created_by"] = k.created_by;
        out["created_at"] = format_rfc3339(k.created_at);
        out["revision"] = k.revision;
    }
    if (auto zip = kit_zip(a, k, files))
        out["zip"] = {{"size", zip->size}, {"file_name", zip->file_name}, {"url", base_url + "/download"}};
    return out;
}

namespace {

result<ulid> kit_id(const request& req) {
    auto id = ulid::parse(req.path_params.at(0));
    if (!id) return make_error(errc::not_found, "no press kit with id " + req.path_params.at(0));
    return *id;
}

// The kit, if the caller may see it (404 alike when missing or not out).
result<press_kit> readable_kit(const app& a, const request& req) {
    auto id = kit_id(req);
    if (!id) return id.error();
    auto kit = a.press_kits.get(*id);
    if (!kit) return kit.error();
    auto facts = kit->facts();
    resource on;
    on.kit = &facts;
    on.now = a.clock.now();
    if (auto allowed = check(a, req, action::press_kit_read, on); !allowed) {
        if (allowed.error().code == errc::not_found)
            return make_error(errc::not_found, "no press kit with id " + id->to_string());
        return allowed.error();
    }
    return kit;
}

// Every item must be available when a kit is made or changed.
result<void> check_items(const app& a, const press_kit& k) {
    auto files = resolve_kit(a, k);
    for (std::size_t i = 0; i < files.size(); ++i)
        if (!files[i].available)
            return make_error(errc::unprocessable, "items[" + std::to_string(i) + "] (" +
                                                       files[i].item.asset.to_string() + " v" +
                                                       std::to_string(files[i].item.version) +
                                                       "): " + files[i].reason);
    return {};
}

std::string kit_url(const press_kit& k) {
    return "/api/v1/press-kits/" + k.id.to_string();
}

awaitable<response> create_kit(app& a, request& req) {
    auto body = co_await read_json_object(a, req);
    if (!body) co_return problem_response(body.error(), req.path);
    auto in = parse_press_kit_input(*body);
    if (!in) co_return problem_response(in.error(), req.path);
    auto kit = apply_input(press_kit{}, *in, true);
    if (!kit) co_return problem_response(kit.error(), req.path);
    if (auto ok = check_items(a, *kit); !ok) co_return problem_response(ok.error(), req.path);
    auto created = co_await run_blocking(a, [&] {
        auto c = a.press_kits.create(*kit, audit_who(req));
        // Lay the ZIP out once now: the CRC-32 of its files is computed and
        // kept, so the first download starts at once.
        if (c) (void)kit_zip(a, *c, resolve_kit(a, *c));
        return c;
    });
    if (!created) co_return problem_response(created.error(), req.path);
    auto files = resolve_kit(a, *created);
    auto r = json_response(201, press_kit_json(a, *created, files, true, kit_url(*created)));
    r.headers.set("Location", "/api/v1/press-kits/" + created->id.to_string());
    r.headers.set("ETag", "\"r" + std::to_string(created->revision) + "\"");
    co_return r;
}

awaitable<response> list_kits(app& a, request& req) {
    auto q = query_params::parse(req.query);
    if (!q) co_return problem_response(q.error(), req.path);
    auto limit = q->get_uint("limit", 1, 200);
    if (!limit) co_return problem_response(limit.error(), req.path);
    const bool staff = is_staff(req);
    const auto now = a.clock.now();
    // Others see released kits only: walk pages until this one is full.
    json items = json::array();
    std::optional<std::string> cursor = q->get("cursor"), next;
    const std::size_t want = limit->value_or(50);
    while (items.size() < want) {
        auto page = a.press_kits.list(cursor, want);
        if (!page) co_return problem_response(page.error(), req.path);
        for (const auto& k : page->items) {
            const auto facts = k.facts();
            resource on;
            on.kit = &facts;
            on.now = now;
            if (authorize(req.principal->actor, action::press_kit_read, on) != access::allow) continue;
            json j{{"id", k.id.to_string()},
                   {"title", k.title},
                   {"items", k.items.size()},
                   {"embargo_until", time_or_null(k.embargo_until)},
                   {"expires_at", time_or_null(k.expires_at)},
                   {"status", std::string(to_string(status_at(k, now)))},
                   {"released_at", format_rfc3339(released_at(k))},
                   {"updated_at", format_rfc3339(k.updated_at)}};
            if (staff) j["status_detail"] = status_detail(k, now);
            items.push_back(std::move(j));
            next = k.id.to_string();
            if (items.size() == want) break;
        }
        if (!page->next_cursor) {
            if (items.size() < want) next.reset();
            break;
        }
        if (items.size() == want) break;
        cursor = page->next_cursor;
    }
    co_return json_response(200, {{"items", std::move(items)}, {"next_cursor", next ? json(*next) : json(nullptr)}});
}

awaitable<response> get_kit(app& a, request& req) {
    auto kit = readable_kit(a, req);
    if (!kit) co_return problem_response(kit.error(), req.path);
    auto body = co_await run_blocking(a, [&] {
        return press_kit_json(a, *kit, resolve_kit(a, *kit), is_staff(req), kit_url(*kit));
    });
    auto r = json_response(200, body);
    r.headers.set("ETag", "\"r" + std::to_string(kit->revision) + "\"");
    co_return r;
}

result<std::optional<std::uint64_t>> if_match_revision(const request& req) {
    auto h = req.headers.get("If-Match");
    if (!h) return std::optional<std::uint64_t>{};
    auto rev = revision_of_etag(*h);
    if (!rev) return make_error(errc::precondition_failed, "If-Match does not name a revision of this kit");
    return std::optional<std::uint64_t>{*rev};
}

awaitable<response> patch_kit(app& a, request& req) {
    auto id = kit_id(req);
    if (!id) co_return problem_response(id.error(), req.path);
    auto rev = if_match_revision(req);
    if (!rev) co_return problem_response(rev.error(), req.path);
    auto body = co_await read_json_object(a, req);
    if (!body) co_return problem_response(body.error(), req.path);
    auto in = parse_press_kit_input(*body);
    if (!in) co_return problem_response(in.error(), req.path);
    if (in->items) {
        press_kit probe;
        probe.items = *in->items;
        if (auto ok = check_items(a, probe); !ok) co_return problem_response(ok.error(), req.path);
    }
    auto updated = co_await run_blocking(a, [&] {
        auto u = a.press_kits.update(*id, *in, *rev, audit_who(req));
        if (u) (void)kit_zip(a, *u, resolve_kit(a, *u));
        return u;
    });
    if (!updated) co_return problem_response(updated.error(), req.path);
    auto r = json_response(200, press_kit_json(a, *updated, resolve_kit(a, *updated), true,
                                               kit_url(*updated)));
    r.headers.set("ETag", "\"r" + std::to_string(updated->revision) + "\"");
    co_return r;
}

awaitable<response> delete_kit(app& a, request& req) {
    auto id = kit_id(req);
    if (!id) co_return problem_response(id.error(), req.path);
    auto removed = co_await run_blocking(a, [&] { return a.press_kits.remove(*id, audit_who(req)); });
    if (!removed) co_return problem_response(removed.error(), req.path);
    co_return no_content();
}

awaitable<response> kit_item(app& a, request& req) {
    auto kit = readable_kit(a, req);
    if (!kit) co_return problem_response(kit.error(), req.path);
    const storage::download_subject by_user;
    co_return co_await serve_kit_item(a, req, *kit, req.path_params.at(1), false, by_user);
}

awaitable<response> kit_item_thumb(app& a, request& req) {
    auto kit = readable_kit(a, req);
    if (!kit) co_return problem_response(kit.error(), req.path);
    const storage::download_subject by_user;
    co_return co_await serve_kit_item(a, req, *kit, req.path_params.at(1), true, by_user);
}

awaitable<response> download_kit(app& a, request& req) {
    auto kit = readable_kit(a, req);
    if (!kit) co_return problem_response(kit.error(), req.path);
    const storage::download_subject by_user;  // a named object: see serve_kit_zip
    co_return co_await serve_kit_zip(a, req, *kit, by_user);
}

}  // namespace

awaitable<response> serve_kit_zip(app& a, request& req, const press_kit& kit,
                                  const storage::download_subject& who) {
    storage::download_subject usage = who;
    auto zip = co_await run_blocking(a, [&] { return kit_zip(a, kit, resolve_kit(a, kit)); });
    if (!zip) co_return problem_response(zip.error(), req.path);
    auto r = serve_representation(req, std::move(*zip));
    usage.kit = kit.id.to_string();
    usage.file = "zip";
    record_usage(a, req, r, std::move(usage));
    co_return r;
}

awaitable<response> serve_kit_item(app& a, request& req, const press_kit& kit,
                                   const std::string& position, bool thumb,
                                   const storage::download_subject& who) {
    auto files = co_await run_blocking(a, [&] { return resolve_kit(a, kit); });
    std::size_t n = 0;
    auto [ptr, ec] = std::from_chars(position.data(), position.data() + position.size(), n);
    if (ec != std::errc() || ptr != position.data() + position.size() || n == 0 || n > files.size() ||
        !files[n - 1].available)
        co_return problem_response(errc::not_found, "the kit has no item " + position, req.path);
    const auto& f = files[n - 1];
    std::string sha = f.sha256, name = f.file_name, type = f.content_type;
    unix_ms made = f.modified;
    if (thumb) {
        auto r = a.assets.get_rendition(f.item.asset, f.item.version, "thumb");
        if (!r) co_return problem_response(errc::not_found, "this item has no thumbnail yet", req.path);
        sha = r->sha256;
        name = rendition_file_name(*f.version, *r);
        type = r->content_type;
        made = r->created_at;
    }
    auto file = a.blobs.open_read(sha);
    if (!file) {
        auto e = file.error();
        if (e.code == errc::not_found) e = make_error(errc::internal, "the stored file is missing");
        co_return problem_response(e, req.path);
    }
    // Thumbnails are kho's own WebP, shown inline; files are attachments.
    auto r = build_download(req, download_spec{std::move(*file), sha, made / 1000, name, type, !thumb});
    offer_redirect(a, req, r, sha);
    if (!thumb) {
        storage::download_subject usage = who;
        usage.asset = f.item.asset.to_string();
        usage.version = f.item.version;
        usage.file = f.item.file;
        usage.kit = kit.id.to_string();
        record_usage(a, req, r, std::move(usage));
    }
    co_return r;
}

void add_press_kit_routes(router& r) {
    r.add({"POST", "/api/v1/press-kits", create_kit, true, body_kind::json, action::press_kit_manage});
    r.add({"GET", "/api/v1/press-kits", list_kits});
    r.add({"GET", "/api/v1/press-kits/{id}", get_kit});
    r.add({"PATCH", "/api/v1/press-kits/{id}", patch_kit, true, body_kind::json,
           action::press_kit_manage});
    r.add({"DELETE", "/api/v1/press-kits/{id}", delete_kit, true, body_kind::none,
           action::press_kit_manage});
    r.add({"GET", "/api/v1/press-kits/{id}/download", download_kit});
    r.add({"GET", "/api/v1/press-kits/{id}/items/{n}", kit_item});
    r.add({"GET", "/api/v1/press-kits/{id}/items/{n}/thumb", kit_item_thumb});
}

}  // namespace kho::api
