#include "api/users_handler.hpp"

#include "api/access.hpp"
#include "api/app.hpp"
#include "api/json_body.hpp"
#include "api/user_json.hpp"
#include "api/problem.hpp"
#include "api/query.hpp"
#include "api/router.hpp"
#include "core/password.hpp"
#include "storage/token_store.hpp"
#include "storage/unit_store.hpp"
#include "storage/user_store.hpp"

namespace kho::api {
namespace {

using boost::asio::awaitable;
using json = nlohmann::json;

// A unit member must belong to a unit, and a named unit must exist.
result<void> check_unit(const app& a, role r, const std::string& unit_code) {
    if (!unit_code.empty() && !a.units.get(unit_code))
        return make_error(errc::unprocessable, "no unit has code " + unit_code);
    if (r == role::unit_member && unit_code.empty())
        return make_error(errc::unprocessable, "a unit member must belong to a unit");
    return ok();
}

awaitable<response> list_users(app& a, request& req) {
    auto q = query_params::parse(req.query);
    if (!q) co_return problem_response(q.error(), req.path);
    auto limit = q->get_uint("limit", 1, 1000);
    if (!limit) co_return problem_response(limit.error(), req.path);
    storage::user_filter f;
    if (auto r = q->get("role")) {
        auto parsed = parse_role(*r);
        if (!parsed) co_return problem_response(parsed.error(), req.path);
        f.role = *parsed;
    }
    f.unit = q->get("unit");
    f.query = q->get("q");
    auto page = a.users.list(f, q->get("cursor"), limit->value_or(100));
    if (!page) co_return problem_response(page.error(), req.path);
    json items = json::array();
    for (const auto& u : page->items) items.push_back(user_json(a, u));
    co_return json_response(200, {{"items", std::move(items)},
                                  {"next_cursor", page->next_cursor ? json(*page->next_cursor)
                                                                    : json(nullptr)}});
}

awaitable<response> create_user(app& a, request& req) {
    auto body = co_await read_json_object(a, req);
    if (!body) co_return problem_response(body.error(), req.path);
    if (auto f = only_fields(*body, {"username", "display_name", "role", "unit", "password",
                                     "must_change_password"});
        !f)
        co_return problem_response(f.error(), req.path);
    auto username = string_field(*body, "username");
    auto display = string_field(*body, "display_name");
    auto role_text = string_field(*body, "role");
    auto unit = string_field(*body, "unit");
    auto password = string_field(*body, "password");
    auto must_change = bool_field(*body, "must_change_password");
    for (auto* r : {&username, &display, &role_text, &unit, &password})
        if (!*r) co_return problem_response(r->error(), req.path);
    if (!must_change) co_return problem_response(must_change.error(), req.path);
    if (!*username || !*display || !*role_text)
        co_return problem_response(errc::invalid_parameter,
                                   "username, display_name and role are required", req.path);
    user u;
    auto name = normalize_username(**username);
    if (!name) co_return problem_response(name.error(), req.path);
    u.username = std::move(*name);
    auto dn = normalize_display_name(**display);
    if (!dn) co_return problem_response(dn.error(), req.path);
    u.display_name = std::move(*dn);
    auto r = parse_role(**role_text);
    if (!r) co_return problem_response(r.error(), req.path);
    u.role = *r;
    u.unit_code = unit->value_or("");
    if (auto c = check_unit(a, u.role, u.unit_code); !c) co_return problem_response(c.error(), req.path);
    std::optional<std::string> generated;
    std::string pw;
    if (*password) {
        if (auto p = check_password_policy(**password); !p)
            co_return problem_response(p.error(), req.path);
        pw = **password;
        u.must_change_password = must_change->value_or(true);
    } else {
        generated = generate_password();
        pw = *generated;
        u.must_change_password = true;
    }
    auto hashed = co_await run_blocking(a, [&] { return hash_password(pw); });
    if (!hashed) co_return problem_response(hashed.error(), req.path);
    u.password_hash = std::move(*hashed);
    auto created = co_await run_blocking(a, [&] { return a.users.create(u, audit_who(req)); });
    if (!created) co_return problem_response(created.error(), req.path);
    auto j = user_json(a, *created);
    if (generated) j["initial_password"] = *generated;
    auto resp = json_response(201, j);
    resp.headers.set("Location", "/api/v1/users/" + created->id);
    co_return resp;
}

awaitable<response> get_user(app& a, request& req) {
    auto u = a.users.get(req.path_params.at(0));
    if (!u) co_return problem_response(u.error(), req.path);
    co_return json_response(200, user_json(a, *u));
}

awaitable<response> patch_user(app& a, request& req) {
    const auto& id = req.path_params.at(0);
    auto current = a.users.get(id);
    if (!current) co_return problem_response(current.error(), req.path);
    auto body = co_await read_json_object(a, req);
    if (!body) co_return problem_response(body.error(), req.path);
    if (auto f = only_fields(*body, {"display_name", "role", "unit", "disabled"}); !f)
        co_return problem_response(f.error(), req.path);
    storage::user_patch p;
    auto display = string_field(*body, "display_name");
    auto role_text = string_field(*body, "role");
    auto disabled = bool_field(*body, "disabled");
    if (!display) co_return problem_response(display.error(), req.path);
    if (!role_text) co_return problem_response(role_text.error(), req.path);
    if (!disabled) co_return problem_response(disabled.error(), req.path);
    if (*display) {
        auto dn = normalize_display_name(**display);
        if (!dn) co_return problem_response(dn.error(), req.path);
        p.display_name = std::move(*dn);
    }
    if (*role_text) {
        auto r = parse_role(**role_text);
        if (!r) co_return problem_response(r.error(), req.path);
        p.role = *r;
    }
    if (body->contains("unit")) {
        const auto& v = body->at("unit");
        if (!v.is_null() && !v.is_string())
            co_return problem_response(errc::invalid_parameter, "unit must be a unit code or null",
                                       req.path);
        p.unit_code = v.is_null() ? std::string() : v.get<std::string>();
    }
    p.disabled = *disabled;
    if (id == req.principal->id && ((p.disabled && *p.disabled) || (p.role && *p.role != role::admin)))
        co_return problem_response(errc::conflict,
                                   "you cannot disable or demote yourself; ask another admin",
                                   req.path);
    if (auto c = check_unit(a, p.role.value_or(current->role),
                            p.unit_code.value_or(current->unit_code));
        !c)
        co_return problem_response(c.error(), req.path);
    auto who = audit_who(req);
    auto updated = co_await run_blocking(a, [&] { return a.users.update(id, p, who); });
    if (!updated) co_return problem_response(updated.error(), req.path);
    if (updated->disabled) {
        // Disabling ends every session and token at once (authentication
        // also refuses a disabled account, so nothing slips through meanwhile).
        auto revoked = co_await run_blocking(
            a, [&] { return a.tokens.revoke_all(id, true, who, "user.credentials_revoked"); });
        if (!revoked) co_return problem_response(revoked.error(), req.path);
    }
    co_return json_response(200, user_json(a, *updated));
}

awaitable<response> reset_password(app& a, request& req) {
    const auto& id = req.path_params.at(0);
    auto current = a.users.get(id);
    if (!current) co_return problem_response(current.error(), req.path);
    auto body = co_await read_json_object(a, req, true);
    if (!body) co_return problem_response(body.error(), req.path);
    if (auto f = only_fields(*body, {"password"}); !f) co_return problem_response(f.error(), req.path);
    auto password = string_field(*body, "password");
    if (!password) co_return problem_response(password.error(), req.path);
    std::optional<std::string> generated;
    std::string pw;
    if (*password) {
        if (auto p = check_password_policy(**password); !p)
            co_return problem_response(p.error(), req.path);
        pw = **password;
    } else {
        generated = generate_password();
        pw = *generated;
    }
    auto hashed = co_await run_blocking(a, [&] { return hash_password(pw); });
    if (!hashed) co_return problem_response(hashed.error(), req.path);
    auto who = audit_who(req);
    auto changed = co_await run_blocking(a, [&] {
        return a.users.set_password(id, std::move(*hashed), true, who, "user.password_reset");
    });
    if (!changed) co_return problem_response(changed.error(), req.path);
    auto revoked = co_await run_blocking(
        a, [&] { return a.tokens.revoke_all(id, false, who, "session.revoked_all"); });
    if (!revoked) co_return problem_response(revoked.error(), req.path);
    json j = user_json(a, *changed);
    if (generated) j["password"] = *generated;
    co_return json_response(200, j);
}

awaitable<response> list_user_tokens(app& a, request& req) {
    const auto& id = req.path_params.at(0);
    if (auto u = a.users.get(id); !u) co_return problem_response(u.error(), req.path);
    auto items = a.tokens.list(id);
    if (!items) co_return problem_response(items.error(), req.path);
    json out = json::array();
    for (const auto& c : *items)
        out.push_back({{"id", c.id},
                       {"kind", std::string(storage::to_string(c.kind))},
                       {"label", c.label.empty() ? json(nullptr) : json(c.label)},
                       {"created_at", format_rfc3339(c.created_at)},
                       {"expires_at", c.expires_at ? json(format_rfc3339(c.expires_at)) : json(nullptr)}});
    co_return json_response(200, {{"items", std::move(out)}});
}

awaitable<response> revoke_user_token(app& a, request& req) {
    const auto& id = req.path_params.at(0);
    const auto& token = req.path_params.at(1);
    auto revoked = co_await run_blocking(a, [&] { return a.tokens.revoke(id, token, audit_who(req)); });
    if (!revoked) co_return problem_response(revoked.error(), req.path);
    co_return no_content();
}

}  // namespace

void add_user_routes(router& r) {
    auto admin = action::user_admin;
    r.add({"GET", "/api/v1/users", list_users, true, body_kind::none, admin});
    r.add({"POST", "/api/v1/users", create_user, true, body_kind::json, admin});
    r.add({"GET", "/api/v1/users/{id}", get_user, true, body_kind::none, admin});
    r.add({"PATCH", "/api/v1/users/{id}", patch_user, true, body_kind::json, admin});
    r.add({"POST", "/api/v1/users/{id}/password", reset_password, true, body_kind::json, admin});
    r.add({"GET", "/api/v1/users/{id}/tokens", list_user_tokens, true, body_kind::none, admin});
    r.add({"DELETE", "/api/v1/users/{id}/tokens/{token}", revoke_user_token, true, body_kind::none,
           admin});
}

}  // namespace kho::api
