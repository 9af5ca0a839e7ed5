#include "api/reviews_handler.hpp"

#include "api/access.hpp"
#include "api/app.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "api/query.hpp"
#include "api/renditions_handler.hpp"
#include "api/router.hpp"
#include "core/text.hpp"
#include "storage/asset_store.hpp"
#include "storage/audit_log.hpp"
#include "storage/comment_store.hpp"
#include "storage/unit_store.hpp"
#include "storage/user_store.hpp"

#include <algorithm>
#include <charconv>

namespace kho::api {
namespace {

using boost::asio::awaitable;
using json = nlohmann::json;

// Who someone is, for the people they work with: the display name (never
// the account's other details).
std::string display_name(const app& a, const std::string& user_id) {
    auto u = a.users.get(user_id);
    return u ? u->display_name : std::string();
}

struct version_ref {
    ulid id;
    std::uint32_t number = 0;
};

result<version_ref> version_params(const request& req) {
    auto id = ulid::parse(req.path_params.at(0));
    if (!id) return make_error(errc::not_found, "no asset with id " + req.path_params.at(0));
    const auto& s = req.path_params.at(1);
    std::uint32_t n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || p != s.data() + s.size() || n == 0)
        return make_error(errc::not_found, "no version " + s);
    return version_ref{*id, n};
}

// The asset and version, checked for `what` on that version.
struct checked_version {
    checked_asset asset;
    asset_version version;
    version_facts facts;
};

result<checked_version> load_version(const app& a, const request& req, const version_ref& ref,
                                     action what, std::optional<workflow_action> step = {}) {
    auto c = load_checked(a, req, ref.id, action::asset_read);
    if (!c) return c.error();
    const asset_version* v = nullptr;
    for (const auto& candidate : c->versions)
        if (candidate.number == ref.number) v = &candidate;
    if (!v) return make_error(errc::not_found, "no such version");
    checked_version out{std::move(*c), *v, facts_of(*v)};
    resource r;
    r.asset = &out.asset.facts;
    r.version = &out.facts;
    r.transition = step;
    auto answer = check(a, req, what, r);
    if (!answer) {
        if (answer.error().code == errc::not_found)
            return make_error(errc::not_found, "no such version");
        if (answer.error().code == errc::conflict && out.asset.record.deleted_at)
            return make_error(errc::conflict, "the asset is in the trash; restore it first");
        if (answer.error().code == errc::conflict && step) {
            std::string allowed;
            for (auto s : allowed_actions(v->state))
                allowed += (allowed.empty() ? "" : ", ") + std::string(to_string(s));
            return make_error(errc::conflict,
                              "version " + std::to_string(v->number) + " is " +
                                  std::string(to_string(v->state)) + "; it cannot " +
                                  std::string(to_string(*step)) +
                                  ". Allowed: " + (allowed.empty() ? "none" : allowed));
        }
        return answer.error();
    }
    return out;
}

response conflict_with_allowed(const error& e, const asset_version& v, std::string_view path) {
    auto r = problem_response(e, path);
    if (e.code == errc::conflict) {
        auto body = json::parse(std::get<std::string>(r.body.at(0)), nullptr, false);
        if (body.is_object()) {
            body["state"] = std::string(to_string(v.state));
            body["allowed_actions"] = json::array();
            for (auto s : allowed_actions(v.state))
                body["allowed_actions"].push_back(std::string(to_string(s)));
            r.set_body(body.dump(), "application/problem+json");
        }
    }
    return r;
}

awaitable<response> take_step(app& a, request& req, workflow_action step) {
    auto ref = version_params(req);
    if (!ref) co_return problem_response(ref.error(), req.path);
    auto body = co_await read_json_object(a, req, true);
    if (!body) co_return problem_response(body.error(), req.path);
    auto loaded = load_version(a, req, *ref, action::version_transition, step);
    if (!loaded) {
        if (loaded.error().code == errc::conflict) {
            auto v = a.assets.get_version(ref->id, ref->number);
            if (v) co_return conflict_with_allowed(loaded.error(), *v, req.path);
        }
        co_return problem_response(loaded.error(), req.path);
    }
    storage::transition_request t;
    t.action = step;
    if (step == workflow_action::approve) {
        if (auto f = only_fields(*body, {"comment", "audience", "valid_from", "valid_until"}); !f)
            co_return problem_response(f.error(), req.path);
        if (!body->contains("audience"))
            co_return problem_response(errc::unprocessable,
                                       "an approval needs an audience: {\"audience\": "
                                       "{\"all_units\": true}} or provinces, levels, units, press",
                                       req.path);
        auto aud = parse_audience(body->at("audience"),
                                  [&](std::string_view code) { return a.units.get(code).has_value(); });
        if (!aud) co_return problem_response(aud.error(), req.path);
        t.audience = std::move(*aud);
        for (auto [field, is_until] : {std::pair{"valid_from", false}, std::pair{"valid_until", true}}) {
            auto s = string_field(*body, field);
            if (!s) co_return problem_response(s.error(), req.path);
            if (!*s) continue;
            auto bound = parse_window_bound(**s, is_until);
            if (!bound)
                co_return problem_response(errc::invalid_parameter,
                                           std::string(field) + ": " + bound.error().detail, req.path);
            (is_until ? t.window.until : t.window.from) = *bound;
        }
    } else if (auto f = only_fields(*body, {"comment"}); !f) {
        co_return problem_response(f.error(), req.path);
    }
    auto comment = string_field(*body, "comment");
    if (!comment) co_return problem_response(comment.error(), req.path);
    t.comment = comment->value_or("");
    while (!t.comment.empty() && (t.comment.back() == ' ' || t.comment.back() == '\n'))
        t.comment.pop_back();
    if (t.comment.size() > 10000 || !is_valid_utf8(t.comment))
        co_return problem_response(errc::invalid_parameter,
                                   "comment must be valid UTF-8 of at most 10000 bytes", req.path);
    auto who = audit_who(req);
    auto done = co_await run_blocking(
        a, [&] { return a.assets.transition(ref->id, ref->number, t, who); });
    if (!done) co_return conflict_with_allowed(done.error(), loaded->version, req.path);
    co_return json_response(200, to_api_json(*done));
}

awaitable<response> submit(app& a, request& req) {
    co_return co_await take_step(a, req, workflow_action::submit);
}
awaitable<response> approve(app& a, request& req) {
    co_return co_await take_step(a, req, workflow_action::approve);
}
awaitable<response> reject(app& a, request& req) {
    co_return co_await take_step(a, req, workflow_action::reject);
}
awaitable<response> revise(app& a, request& req) {
    co_return co_await take_step(a, req, workflow_action::revise);
}
awaitable<response> archive(app& a, request& req) {
    co_return co_await take_step(a, req, workflow_action::archive);
}

awaitable<response> list_comments(app& a, request& req) {
    auto ref = version_params(req);
    if (!ref) co_return problem_response(ref.error(), req.path);
    auto loaded = load_version(a, req, *ref, action::comment_read);
    if (!loaded) co_return problem_response(loaded.error(), req.path);
    auto items = a.comments.list(ref->id, ref->number);
    if (!items) co_return problem_response(items.error(), req.path);
    json out = json::array();
    for (const auto& c : *items) {
        auto j = storage::to_api_json(c);
        j["author_name"] = display_name(a, c.author);
        out.push_back(std::move(j));
    }
    co_return json_response(200, {{"items", std::move(out)}});
}

awaitable<response> add_comment(app& a, request& req) {
    auto ref = version_params(req);
    if (!ref) co_return problem_response(ref.error(), req.path);
    auto loaded = load_version(a, req, *ref, action::comment_write);
    if (!loaded) co_return problem_response(loaded.error(), req.path);
    auto body = co_await read_json_object(a, req);
    if (!body) co_return problem_response(body.error(), req.path);
    if (auto f = only_fields(*body, {"text"}); !f) co_return problem_response(f.error(), req.path);
    auto text = string_field(*body, "text");
    if (!text) co_return problem_response(text.error(), req.path);
    if (!*text) co_return problem_response(errc::invalid_parameter, "text is required", req.path);
    auto added = co_await run_blocking(
        a, [&] { return a.comments.add(ref->id, ref->number, **text, audit_who(req)); });
    if (!added) co_return problem_response(added.error(), req.path);
    co_return json_response(201, storage::to_api_json(*added));
}

awaitable<response> review_queue(app& a, request& req) {
    auto q = query_params::parse(req.query);
    if (!q) co_return problem_response(q.error(), req.path);
    auto limit = q->get_uint("limit", 1, 200);
    if (!limit) co_return problem_response(limit.error(), req.path);
    auto page = a.assets.review_queue(q->get("cursor"), limit->value_or(50));
    if (!page) co_return problem_response(page.error(), req.path);
    json items = json::array();
    for (const auto& item : page->items) {
        auto asset = a.assets.get(item.asset_id);
        auto v = a.assets.get_version(item.asset_id, item.version);
        // A trashed asset waits in the queue until it is restored or purged.
        if (!asset || !v || asset->deleted_at) continue;
        auto j = to_api_json(*asset);
        j["version"] = version_json(a, asset->id, *v);
        if (j["version"]["submitted"].is_object())
            j["version"]["submitted"]["by_name"] = display_name(a, v->submitted_by);
        items.push_back(std::move(j));
    }
    co_return json_response(200, {{"items", std::move(items)},
                                  {"next_cursor", page->next_cursor ? json(*page->next_cursor)
                                                                    : json(nullptr)}});
}

awaitable<response> audit_log(app& a, request& req) {
    auto q = query_params::parse(req.query);
    if (!q) co_return problem_response(q.error(), req.path);
    auto limit = q->get_uint("limit", 1, 1000);
    if (!limit) co_return problem_response(limit.error(), req.path);
    storage::audit_filter f;
    f.actor = q->get("actor");
    f.target = q->get("target");
    f.action = q->get("action");
    for (auto [name, slot] : {std::pair{"since", &f.since}, std::pair{"until", &f.until}}) {
        auto s = q->get(name);
        if (!s) continue;
        auto t = parse_rfc3339(*s);
        if (!t)
            co_return problem_response(errc::invalid_parameter,
                                       std::string(name) + " must be an RFC 3339 date-time", req.path);
        *slot = *t;
    }
    auto page = a.audit.list(f, q->get("cursor"), limit->value_or(100));
    if (!page) co_return problem_response(page.error(), req.path);
    json items = json::array();
    for (const auto& e : page->items) items.push_back(to_api_json(e));
    co_return json_response(200, {{"items", std::move(items)},
                                  {"next_cursor", page->next_cursor ? json(*page->next_cursor)
                                                                    : json(nullptr)}});
}

// The asset's own audit trail (the record and every version: uploads,
// steps, comments), newest first, for those who may read its comments
// (staff and its designer).
awaitable<response> asset_history(app& a, request& req) {
    auto id = ulid::parse(req.path_params.at(0));
    if (!id) co_return problem_response(errc::not_found, "no asset with id " + req.path_params.at(0), req.path);
    auto checked = load_checked(a, req, *id, action::asset_read);
    if (!checked) co_return problem_response(checked.error(), req.path);
    resource on;
    on.asset = &checked->facts;
    on.now = a.clock.now();
    if (auto allowed = check(a, req, action::comment_read, on); !allowed)
        co_return problem_response(allowed.error(), req.path);
    std::vector<audit_entry> entries;
    for (const auto& target : {"asset:" + id->to_string(), "asset:" + id->to_string() + "/"}) {
        storage::audit_filter f;
        f.target = target;
        auto page = a.audit.list(f, std::nullopt, 500);
        if (!page) co_return problem_response(page.error(), req.path);
        for (auto& e : page->items) entries.push_back(std::move(e));
    }
    std::sort(entries.begin(), entries.end(), [](const auto& x, const auto& y) { return x.id > y.id; });
    json items = json::array();
    for (const auto& e : entries) {
        auto j = to_api_json(e);
        j["actor_name"] = e.actor.empty() ? json(nullptr) : json(display_name(a, e.actor));
        items.push_back(std::move(j));
    }
    co_return json_response(200, {{"items", std::move(items)}});
}

}  // namespace

void add_review_routes(router& r) {
    const std::string v = "/api/v1/assets/{id}/versions/{n}/";
    r.add({"POST", v + "submit", submit, true, body_kind::json, std::nullopt});
    r.add({"POST", v + "approve", approve, true, body_kind::json, std::nullopt});
    r.add({"POST", v + "reject", reject, true, body_kind::json, std::nullopt});
    r.add({"POST", v + "revise", revise, true, body_kind::json, std::nullopt});
    r.add({"POST", v + "archive", archive, true, body_kind::json, std::nullopt});
    r.add({"GET", v + "comments", list_comments, true, body_kind::none, std::nullopt});
    r.add({"POST", v + "comments", add_comment, true, body_kind::json, std::nullopt});
    r.add({"GET", "/api/v1/reviews", review_queue, true, body_kind::none, action::review_queue});
    r.add({"GET", "/api/v1/audit", audit_log, true, body_kind::none, action::audit_read});
    r.add({"GET", "/api/v1/assets/{id}/history", asset_history});
}

}  // namespace kho::api
