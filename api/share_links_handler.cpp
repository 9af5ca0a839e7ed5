#include "api/share_links_handler.hpp"

#include "api/access.hpp"
#include "api/app.hpp"
#include "api/cookies.hpp"
#include "api/download.hpp"
#include "api/json_body.hpp"
#include "api/press_kit_files.hpp"
#include "api/press_kits_handler.hpp"
#include "api/problem.hpp"
#include "api/query.hpp"
#include "api/renditions_handler.hpp"
#include "api/router.hpp"
#include "api/usage_recording.hpp"
#include "core/link_token.hpp"
#include "core/login_throttle.hpp"
#include "core/password.hpp"
#include "core/text.hpp"
#include "storage/asset_store.hpp"
#include "storage/blob_store.hpp"
#include "storage/link_keys.hpp"
#include "storage/press_kit_store.hpp"
#include "storage/share_link_store.hpp"


namespace kho::api {
namespace {

using boost::asio::awaitable;
using json = nlohmann::json;
using storage::link_target;
using storage::share_link;

constexpr unix_ms k_day_ms = 24LL * 3600 * 1000;
constexpr int k_default_days = 7;
constexpr int k_max_days = 90;

// A problem with a machine-readable `reason` next to the code, so that a
// landing page can say exactly why a link does not open.
response link_problem(errc code, std::string_view reason, std::string detail, std::string_view path) {
    return problem_response(make_error(code, std::move(detail)), path, {{"reason", reason}});
}

struct failure {
    errc code;
    std::string reason, detail;
};

// Passes scoped to one link: unlock grants (after its password) and
// download tickets (to resume a limited link's download). A pass is a link
// token for that link signed with keys derived for its purpose, so no kind
// of token stands for another, sent as an HttpOnly cookie for the link's
// path only.
struct link_pass {
    std::string_view cookie;
    std::string_view purpose;
    unix_ms lifetime = 0;
};
constexpr link_pass k_unlock_pass{"kho_link", "|unlock", 12LL * 3600 * 1000};
constexpr link_pass k_ticket_pass{"kho_dl", "|download", 24LL * 3600 * 1000};

std::vector<link_key> pass_keys(const std::vector<link_key>& keys, const link_pass& pass) {
    std::vector<link_key> out;
    for (const auto& k : keys)
        out.push_back(link_key{k.id, k.secret + std::string(pass.purpose), k.created_at});
    return out;
}

bool holds_pass(const app& a, const request& req, const share_link& l, const link_pass& pass) {
    auto value = cookie_value(req, pass.cookie);
    if (!value) return false;
    auto t = verify_link(*value, pass_keys(a.link_keys.keys(), pass));
    return t && t->link_id == l.id && a.clock.now() < t->expires_at * 1000;
}

struct opened_link {
    share_link link;
    std::string token;
    bool unlocked = true;  // no password, or the right one
    std::optional<press_kit> kit;
    std::optional<asset> asset_record;
    std::optional<asset_version> version;
};

std::string link_url(const std::string& token) { return "/s/" + token; }
std::string api_url(const std::string& token) { return "/api/v1/links/" + token; }

// A new pass for the opened link, as its Set-Cookie value.
std::string pass_cookie(const app& a, const request& req, const opened_link& o, const link_pass& pass) {
    const auto keys = pass_keys({a.link_keys.current()}, pass);
    auto value = sign_link(keys.front(), o.link.id, (a.clock.now() + pass.lifetime) / 1000);
    std::string cookie = std::string(pass.cookie) + "=" + value + "; Path=" + api_url(o.token) +
                         "; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(pass.lifetime / 1000);
    if (over_tls(a, req)) cookie += "; Secure";
    return cookie;
}

// Checks the token, the record, expiry, revocation and the password.
// Returns the link or why it does not open.
std::variant<opened_link, failure> open_link(app& a, const request& req, const std::string& token) {
    auto claims = verify_link(token, a.link_keys.keys());
    if (!claims)
        return failure{errc::forbidden, "invalid", "this link is not valid: " + claims.error().detail};
    auto link = a.links.get(claims->link_id);
    if (!link) {
        if (link.error().code == errc::not_found)
            return failure{errc::gone, "revoked", "this link was withdrawn"};
        return failure{link.error().code, "unavailable", link.error().detail};
    }
    const auto now = a.clock.now();
    if (link->revoked_at) return failure{errc::gone, "revoked", "this link was withdrawn by the ministry"};
    if (now >= claims->expires_at * 1000 || now >= link->expires_at)
        return failure{errc::gone, "expired",
                       "this link expired at " + format_rfc3339(link->expires_at)};
    opened_link o;
    o.link = std::move(*link);
    o.token = token;
    if (!o.link.password_hash.empty()) {
        o.unlocked = false;
        o.unlocked = holds_pass(a, req, o.link, k_unlock_pass);
    }
    return o;
}

// What the link opens, if it may be reached now: never anything
// unapproved, trashed, embargoed or expired.
std::optional<failure> load_target(app& a, opened_link& o) {
    const auto now = a.clock.now();
    if (o.link.target == link_target::press_kit) {
        auto id = ulid::parse(o.link.kit);
        auto kit = id ? a.press_kits.get(*id) : result<press_kit>(make_error(errc::not_found, ""));
        if (!kit) return failure{errc::gone, "withdrawn", "the press kit of this link was deleted"};
        switch (status_at(*kit, now)) {
            case press_kit_status::embargoed:
                return failure{errc::not_found, "not_available",
                               "nothing is available at this link yet"};
            case press_kit_status::expired:
                return failure{errc::gone, "expired", "the press kit of this link has expired"};
            case press_kit_status::released:
                break;
        }
        o.kit = std::move(*kit);
        return std::nullopt;
    }
    auto id = ulid::parse(o.link.asset);
    auto rec = id ? a.assets.get(*id) : result<asset>(make_error(errc::not_found, ""));
    auto v = rec ? a.assets.get_version(*id, o.link.version)
                 : result<asset_version>(make_error(errc::not_found, ""));
    if (!rec || !v || rec->deleted_at || v->state != version_state::approved ||
        !v->window.contains(now))
        return failure{errc::gone, "withdrawn", "the material of this link is no longer offered"};
    o.asset_record = std::move(*rec);
    o.version = std::move(*v);
    return std::nullopt;
}

json link_json(const app& a, const share_link& l, const std::string& token, bool staff) {
    json j{{"id", l.id.to_string()},
           {"target", l.target == link_target::press_kit ? "press_kit" : "version"},
           {"expires_at", format_rfc3339(l.expires_at)},
           {"max_downloads", l.max_downloads ? json(l.max_downloads) : json(nullptr)},
           {"downloads", l.downloads},
           {"password_required", !l.password_hash.empty()}};
    if (l.target == link_target::press_kit) {
        j["kit"] = l.kit;
    } else {
        j["asset"] = l.asset;
        j["version"] = l.version;
        j["file"] = l.file;
    }
    if (staff) {
        const auto now = a.clock.now();
        j["token"] = token;
        j["url"] = link_url(token);
        j["api_url"] = api_url(token);
        j["note"] = l.note;
        j["created_by"] = l.created_by;
        j["created_at"] = format_rfc3339(l.created_at);
        j["revoked_at"] = l.revoked_at ? json(format_rfc3339(*l.revoked_at)) : json(nullptr);
        j["state"] = l.revoked_at                                            ? "revoked"
                     : now >= l.expires_at                                   ? "expired"
                     : l.max_downloads && l.downloads >= l.max_downloads ? "exhausted"
                                                                             : "active";
    }
    return j;
}

std::string token_of(const app& a, const share_link& l) {
    for (const auto& k : a.link_keys.keys())
        if (k.id == l.key_id) return sign_link(k, l.id, l.expires_at / 1000);
    return "";  // its key was retired: the link can no longer open anyway
}

// --- Staff: create, list, revoke ------------------------------------------

awaitable<response> create_link(app& a, request& req) {
    auto body = co_await read_json_object(a, req);
    if (!body) co_return problem_response(body.error(), req.path);
    if (auto known = only_fields(*body, {"kit", "asset", "version", "file", "expires_in_days",
                                         "expires_at", "max_downloads", "password", "note"});
        !known)
        co_return problem_response(known.error(), req.path);
    const auto now = a.clock.now();
    share_link l;
    l.id = a.links.next_id();
    auto bad = [&](std::string detail) { return problem_response(errc::invalid_parameter, std::move(detail), req.path); };

    if (body->contains("kit")) {
        if (body->contains("asset")) co_return bad("give either kit or asset, not both");
        if (!(*body)["kit"].is_string()) co_return bad("kit must be a press kit id");
        auto id = ulid::parse((*body)["kit"].get<std::string>());
        if (!id) co_return bad("kit is not a press kit id");
        auto kit = a.press_kits.get(*id);
        if (!kit) co_return problem_response(kit.error(), req.path);
        l.target = link_target::press_kit;
        l.kit = id->to_string();
    } else if (body->contains("asset")) {
        if (!(*body)["asset"].is_string()) co_return bad("asset must be an asset id");
        auto id = ulid::parse((*body)["asset"].get<std::string>());
        if (!id) co_return bad("asset is not an asset id");
        const auto& vn = (*body).value("version", json());
        if (!vn.is_number_integer() || vn.get<std::int64_t>() < 1 || vn.get<std::int64_t>() > 0xffffffffLL)
            co_return bad("version must be a version number");
        l.target = link_target::version;
        l.asset = id->to_string();
        l.version = vn.get<std::uint32_t>();
        if (body->contains("file")) {
            if (!(*body)["file"].is_string()) co_return bad("file must be \"original\" or a rendition name");
            l.file = (*body)["file"].get<std::string>();
        }
        // Only approved material can be shared, and only a file that exists.
        auto checked = load_checked(a, req, *id, action::asset_read);
        if (!checked) co_return problem_response(checked.error(), req.path);
        auto v = a.assets.get_version(*id, l.version);
        if (!v) co_return problem_response(v.error(), req.path);
        if (checked->record.deleted_at || v->state != version_state::approved)
            co_return problem_response(errc::unprocessable,
                                       "only an approved version can be shared; version " +
                                           std::to_string(l.version) + " is " +
                                           std::string(to_string(v->state)),
                                       req.path);
        if (l.file != "original" && !a.assets.get_rendition(*id, l.version, l.file))
            co_return problem_response(errc::unprocessable,
                                       "version " + std::to_string(l.version) + " has no " + l.file + " file",
                                       req.path);
    } else {
        co_return bad("say what to share: kit, or asset and version");
    }

    // Expiry: required, 7 days unless said otherwise, at most 90.
    unix_ms expires = now + k_default_days * k_day_ms;
    if (body->contains("expires_in_days") && body->contains("expires_at"))
        co_return bad("give either expires_in_days or expires_at");
    if (body->contains("expires_in_days")) {
        const auto& d = (*body)["expires_in_days"];
        if (!d.is_number_integer() || d.get<std::int64_t>() < 1 || d.get<std::int64_t>() > k_max_days)
            co_return bad("expires_in_days must be 1 to 90; a link cannot be forever");
        expires = now + static_cast<unix_ms>(d.get<std::uint64_t>()) * k_day_ms;
    } else if (body->contains("expires_at")) {
        const auto& e = (*body)["expires_at"];
        auto t = e.is_string() ? parse_rfc3339(e.get<std::string>()) : std::nullopt;
        if (!t) co_return bad("expires_at must be an RFC 3339 time; a link cannot be forever");
        if (*t <= now) co_return bad("expires_at is in the past");
        if (*t > now + k_max_days * k_day_ms) co_return bad("a link lasts at most 90 days");
        expires = *t;
    }
    l.expires_at = expires;
    if (body->contains("max_downloads")) {
        const auto& m = (*body)["max_downloads"];
        if (!m.is_null()) {
            if (!m.is_number_integer() || m.get<std::int64_t>() < 1 || m.get<std::int64_t>() > 1'000'000)
                co_return bad("max_downloads must be 1 to 1000000 (or null for no limit)");
            l.max_downloads = m.get<std::uint64_t>();
        }
    }
    if (body->contains("password")) {
        const auto& p = (*body)["password"];
        if (!p.is_null()) {
            if (!p.is_string()) co_return bad("password must be a string");
            auto pw = p.get<std::string>();
            if (pw.size() < 6 || pw.size() > 1024 || !is_valid_utf8(pw))
                co_return bad("a link password has 6 to 1024 bytes of UTF-8");
            auto hashed = co_await run_blocking(a, [&] { return hash_password(pw); });
            if (!hashed) co_return problem_response(hashed.error(), req.path);
            l.password_hash = std::move(*hashed);
        }
    }
    if (body->contains("note")) {
        const auto& n = (*body)["note"];
        if (!n.is_string()) co_return bad("note must be a string");
        auto note = clean_text("note", n.get<std::string>(), 500, false);
        if (!note) co_return problem_response(note.error(), req.path);
        l.note = std::move(*note);
    }
    const auto key = a.link_keys.current();
    l.key_id = key.id;
    auto created = co_await run_blocking(a, [&] { return a.links.create(l, audit_who(req)); });
    if (!created) co_return problem_response(created.error(), req.path);
    auto token = sign_link(key, created->id, created->expires_at / 1000);
    auto r = json_response(201, link_json(a, *created, token, true));
    r.headers.set("Location", "/api/v1/share-links/" + created->id.to_string());
    co_return r;
}

awaitable<response> list_links(app& a, request& req) {
    auto q = query_params::parse(req.query);
    if (!q) co_return problem_response(q.error(), req.path);
    auto limit = q->get_uint("limit", 1, 1000);
    if (!limit) co_return problem_response(limit.error(), req.path);
    std::string prefix;
    if (auto kit = q->get("kit")) {
        auto id = ulid::parse(*kit);
        if (!id) co_return problem_response(errc::invalid_parameter, "kit is not a press kit id", req.path);
        prefix = "kit:" + id->to_string();
    } else if (auto asset = q->get("asset")) {
        auto id = ulid::parse(*asset);
        if (!id) co_return problem_response(errc::invalid_parameter, "asset is not an asset id", req.path);
        prefix = "asset:" + id->to_string() + "/";
    }
    auto links = a.links.list(prefix, limit->value_or(200));
    if (!links) co_return problem_response(links.error(), req.path);
    json items = json::array();
    for (const auto& l : *links) items.push_back(link_json(a, l, token_of(a, l), true));
    co_return json_response(200, {{"items", std::move(items)}});
}

awaitable<response> revoke_link(app& a, request& req) {
    auto id = ulid::parse(req.path_params.at(0));
    if (!id) co_return problem_response(errc::not_found, "no share link with id " + req.path_params.at(0), req.path);
    auto revoked = co_await run_blocking(a, [&] { return a.links.revoke(*id, audit_who(req)); });
    if (!revoked) co_return problem_response(revoked.error(), req.path);
    co_return no_content();
}

awaitable<response> rotate_keys(app& a, request& req) {
    auto id = co_await run_blocking(a, [&] { return a.link_keys.rotate(); });
    if (!id) co_return problem_response(id.error(), req.path);
    co_return json_response(200, {{"current_key", *id}, {"keys", a.link_keys.keys().size()}});
}

// --- Anyone with the link ---------------------------------------------------

awaitable<response> landing(app& a, request& req) {
    const auto& token = req.path_params.at(0);
    auto opened = open_link(a, req, token);
    if (auto* f = std::get_if<failure>(&opened)) co_return link_problem(f->code, f->reason, f->detail, req.path);
    auto& o = std::get<opened_link>(opened);
    if (o.link.max_downloads && o.link.downloads >= o.link.max_downloads)
        co_return link_problem(errc::gone, "exhausted",
                               "the link's " + std::to_string(o.link.max_downloads) +
                                   " downloads have been used",
                               req.path);
    json body{{"link", link_json(a, o.link, token, false)}, {"unlocked", o.unlocked}};
    if (!o.unlocked) co_return json_response(200, body);
    if (auto f = load_target(a, o)) co_return link_problem(f->code, f->reason, f->detail, req.path);
    const std::string download = api_url(token) + "/download";
    if (o.kit) {
        body["press_kit"] = co_await run_blocking(a, [&] {
            return press_kit_json(a, *o.kit, resolve_kit(a, *o.kit), false, api_url(token));
        });
    } else {
        const auto& v = *o.version;
        json file{{"name", o.link.file}, {"url", download}};
        if (o.link.file == "original") {
            file["file_name"] = v.file_name;
            file["size"] = v.size;
            file["content_type"] = v.content_type;
        } else if (auto r = a.assets.get_rendition(o.asset_record->id, v.number, o.link.file)) {
            file["file_name"] = rendition_file_name(v, *r);
            file["size"] = r->size;
            file["content_type"] = r->content_type;
        }
        body["asset"] = {{"title", o.asset_record->meta.title},
                         {"thumb_url", api_url(token) + "/thumb"},
                         {"description", o.asset_record->meta.description},
                         {"kind", std::string(to_string(o.asset_record->meta.kind))},
                         {"version", v.number},
                         {"file", std::move(file)}};
    }
    co_return json_response(200, body);
}

awaitable<response> unlock(app& a, request& req) {
    const auto& token = req.path_params.at(0);
    auto opened = open_link(a, req, token);
    if (auto* f = std::get_if<failure>(&opened)) co_return link_problem(f->code, f->reason, f->detail, req.path);
    auto& o = std::get<opened_link>(opened);
    auto body = co_await read_json_object(a, req);
    if (!body) co_return problem_response(body.error(), req.path);
    auto pw = string_field(*body, "password");
    if (!pw) co_return problem_response(pw.error(), req.path);
    if (!*pw) co_return problem_response(errc::invalid_parameter, "send the link's password", req.path);
    if (o.link.password_hash.empty())
        co_return problem_response(errc::conflict, "this link has no password", req.path);
    const std::string account = "link:" + o.link.id.to_string();
    if (auto wait = a.throttle.retry_after(account, req.client_address)) {
        auto r = link_problem(errc::too_many_requests, "throttled",
                              "too many wrong passwords; try again later", req.path);
        r.headers.set("Retry-After", std::to_string(std::max<unix_ms>(1, *wait / 1000)));
        co_return r;
    }
    const bool right = co_await run_blocking(a, [&] { return verify_password(o.link.password_hash, **pw); });
    if (!right) {
        a.throttle.failed(account, req.client_address);
        co_return link_problem(errc::forbidden, "wrong_password", "the password is wrong", req.path);
    }
    a.throttle.succeeded(account, req.client_address);
    auto r = json_response(200, {{"unlocked", true}});
    r.headers.set("Set-Cookie", pass_cookie(a, req, o, k_unlock_pass));
    co_return r;
}

// A download that starts (at byte 0) uses one of the link's downloads;
// resuming one does not, for the client that started it. Returns the
// refusal when none are left.
awaitable<std::optional<response>> count_download(app& a, const request& req, const opened_link& o,
                                                  response& r) {
    const bool redirected = r.status == 302 && r.redirected_size;
    if (req.method != "GET" || (r.status != 200 && r.status != 206 && !redirected))
        co_return std::nullopt;
    const bool starts = r.status == 200 || r.first_byte == 0;
    if (!o.link.max_downloads) {
        if (starts) (void)co_await run_blocking(a, [&] { return a.links.claim_download(o.link.id); });
        co_return std::nullopt;
    }
    // Only the client that started a download (its ticket) resumes it free.
    if (!starts && holds_pass(a, req, o.link, k_ticket_pass)) co_return std::nullopt;
    auto claimed = co_await run_blocking(a, [&] { return a.links.claim_download(o.link.id); });
    if (!claimed) {
        if (claimed.error().code == errc::gone)
            co_return link_problem(errc::gone, "exhausted", claimed.error().detail, req.path);
        co_return problem_response(claimed.error(), req.path);
    }
    r.headers.add("Set-Cookie", pass_cookie(a, req, o, k_ticket_pass));
    co_return std::nullopt;
}

// An item of the linked kit, or (thumb) its thumbnail; for a version link,
// /thumb is the version's thumbnail.
awaitable<response> link_item(app& a, request& req, bool thumb) {
    const auto& token = req.path_params.at(0);
    auto opened = open_link(a, req, token);
    if (auto* f = std::get_if<failure>(&opened)) co_return link_problem(f->code, f->reason, f->detail, req.path);
    auto& o = std::get<opened_link>(opened);
    if (!o.unlocked)
        co_return link_problem(errc::forbidden, "password_required", "this link needs its password", req.path);
    if (auto f = load_target(a, o)) co_return link_problem(f->code, f->reason, f->detail, req.path);
    if (!o.kit) {
        if (!thumb || req.path_params.size() > 1)
            co_return problem_response(errc::not_found, "this link opens one file, not a kit", req.path);
        auto r = a.assets.get_rendition(o.asset_record->id, o.version->number, "thumb");
        if (!r) co_return problem_response(errc::not_found, "no thumbnail yet", req.path);
        auto file = a.blobs.open_read(r->sha256);
        if (!file) co_return problem_response(errc::internal, "the stored file is missing", req.path);
        co_return build_download(req, download_spec{std::move(*file), r->sha256, r->created_at / 1000,
                                                    rendition_file_name(*o.version, *r), r->content_type,
                                                    false});
    }
    if (req.path_params.size() < 2)
        co_return problem_response(errc::not_found, "name an item of the kit", req.path);
    storage::download_subject who;
    who.link = o.link.id.to_string();
    auto r = co_await serve_kit_item(a, req, *o.kit, req.path_params.at(1), thumb, who);
    if (!thumb)
        if (auto refused = co_await count_download(a, req, o, r)) co_return std::move(*refused);
    co_return r;
}

awaitable<response> link_item_file(app& a, request& req) { co_return co_await link_item(a, req, false); }
awaitable<response> link_item_thumb(app& a, request& req) { co_return co_await link_item(a, req, true); }

awaitable<response> link_download(app& a, request& req) {
    const auto& token = req.path_params.at(0);
    auto opened = open_link(a, req, token);
    if (auto* f = std::get_if<failure>(&opened)) co_return link_problem(f->code, f->reason, f->detail, req.path);
    auto& o = std::get<opened_link>(opened);
    if (!o.unlocked)
        co_return link_problem(errc::forbidden, "password_required", "this link needs its password", req.path);
    if (auto f = load_target(a, o)) co_return link_problem(f->code, f->reason, f->detail, req.path);
    storage::download_subject who;
    who.link = o.link.id.to_string();

    response r;
    if (o.kit) {
        r = co_await serve_kit_zip(a, req, *o.kit, who);
    } else {
        const auto& v = *o.version;
        std::string sha = v.sha256, file_name = v.file_name, type = v.content_type;
        unix_ms made = v.created_at;
        if (o.link.file != "original") {
            auto rendition = a.assets.get_rendition(o.asset_record->id, v.number, o.link.file);
            if (!rendition)
                co_return link_problem(errc::gone, "withdrawn", "the file of this link is no longer offered", req.path);
            sha = rendition->sha256;
            file_name = rendition_file_name(v, *rendition);
            type = rendition->content_type;
            made = rendition->created_at;
        }
        auto file = a.blobs.open_read(sha);
        if (!file) {
            auto e = file.error();
            if (e.code == errc::not_found) e = make_error(errc::internal, "the stored file is missing");
            co_return problem_response(e, req.path);
        }
        r = build_download(req, download_spec{std::move(*file), sha, made / 1000, file_name, type, true});
        offer_redirect(a, req, r, sha);
        who.asset = o.asset_record->id.to_string();
        who.version = v.number;
        who.file = o.link.file;
        record_usage(a, req, r, who);
    }
    if (auto refused = co_await count_download(a, req, o, r)) co_return std::move(*refused);
    co_return r;
}

}  // namespace

void add_share_link_routes(router& r) {
    r.add({"POST", "/api/v1/share-links", create_link, true, body_kind::json, action::share_link_manage});
    r.add({"GET", "/api/v1/share-links", list_links, true, body_kind::none, action::share_link_manage});
    r.add({"DELETE", "/api/v1/share-links/{id}", revoke_link, true, body_kind::none,
           action::share_link_manage});
    r.add({"POST", "/api/v1/admin/link-keys/rotate", rotate_keys, true, body_kind::none,
           action::maintenance});
    r.add({"GET", "/api/v1/links/{token}", landing, false});
    r.add({"POST", "/api/v1/links/{token}/unlock", unlock, false, body_kind::json});
    r.add({"GET", "/api/v1/links/{token}/download", link_download, false});
    r.add({"GET", "/api/v1/links/{token}/thumb", link_item_thumb, false});
    r.add({"GET", "/api/v1/links/{token}/items/{n}", link_item_file, false});
    r.add({"GET", "/api/v1/links/{token}/items/{n}/thumb", link_item_thumb, false});
}

}  // namespace kho::api
