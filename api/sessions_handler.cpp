#include "api/sessions_handler.hpp"

#include "api/access.hpp"
#include "api/cookies.hpp"
#include "api/app.hpp"
#include "api/json_body.hpp"
#include "api/user_json.hpp"
#include "api/problem.hpp"
#include "api/router.hpp"
#include "core/login_throttle.hpp"
#include "core/password.hpp"
#include "core/text.hpp"
#include "storage/audit_log.hpp"
#include "storage/token_store.hpp"
#include "storage/unit_store.hpp"
#include "storage/user_store.hpp"

#include <spdlog/spdlog.h>

namespace kho::api {
namespace {

using boost::asio::awaitable;
using json = nlohmann::json;

constexpr std::string_view k_wrong_credentials = "the user name or password is wrong";

std::string session_cookie(const app& a, const request& req, const std::string& secret,
                           unix_ms expires_at, unix_ms now) {
    std::string c = "kho_session=" + secret + "; Path=/; HttpOnly; SameSite=Strict";
    c += "; Max-Age=" + std::to_string(std::max<unix_ms>(0, (expires_at - now) / 1000));
    if (over_tls(a, req)) c += "; Secure";
    return c;
}

std::string cleared_cookie(const app& a, const request& req) {
    std::string c = "kho_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
    if (over_tls(a, req)) c += "; Secure";
    return c;
}

json credential_json(const storage::credential& c, const request& req) {
    json j{{"id", c.id},
           {"kind", std::string(storage::to_string(c.kind))},
           {"label", c.label.empty() ? json(nullptr) : json(c.label)},
           {"created_at", format_rfc3339(c.created_at)},
           {"expires_at", c.expires_at ? json(format_rfc3339(c.expires_at)) : json(nullptr)},
           {"current", req.principal && req.principal->credential.id == c.id}};
    if (c.kind == storage::credential_kind::session) {
        j["last_used_at"] = format_rfc3339(c.last_used_at);
        j["client_address"] = c.client_address;
    }
    return j;
}

// A hash of a random password, verified when the user name is unknown so
// that an unknown user costs the same time as a wrong password.
const std::string& decoy_hash() {
    static const std::string h = hash_password(generate_password()).value();
    return h;
}

response too_many(unix_ms retry_ms) {
    auto seconds = (retry_ms + 999) / 1000;
    auto r = problem_response(errc::too_many_requests,
                              "too many failed sign-ins; try again in " + std::to_string(seconds) +
                                  " seconds");
    r.headers.set("Retry-After", std::to_string(seconds));
    return r;
}

awaitable<response> sign_in(app& a, request& req) {
    auto body = co_await read_json_object(a, req);
    if (!body) co_return problem_response(body.error(), req.path);
    if (auto f = only_fields(*body, {"username", "password"}); !f)
        co_return problem_response(f.error(), req.path);
    auto name = string_field(*body, "username");
    auto password = string_field(*body, "password");
    if (!name) co_return problem_response(name.error(), req.path);
    if (!password) co_return problem_response(password.error(), req.path);
    if (!*name || !*password || (*password)->size() > 4096)
        co_return problem_response(errc::invalid_parameter,
                                   "send {\"username\": ..., \"password\": ...}", req.path);
    std::string account = fold_for_search(to_valid_utf8(**name));
    if (auto wait = a.throttle.retry_after(account, req.client_address)) co_return too_many(*wait);

    auto normalized = normalize_username(**name);
    std::optional<user> found;
    if (normalized)
        if (auto u = a.users.find_by_username(*normalized)) found = std::move(*u);
    const std::string pw = **password;
    bool good = co_await run_blocking(a, [&] {
        if (found && !found->disabled) return verify_password(found->password_hash, pw);
        (void)verify_password(decoy_hash(), pw);
        return false;
    });
    if (!good) {
        a.throttle.failed(account, req.client_address);
        audit_entry e;
        e.action = "session.login_failed";
        e.target = found ? "user:" + found->id : "username:" + account;
        e.client_address = req.client_address;
        e.detail = {{"username", to_valid_utf8(**name)}};
        if (found && found->disabled) e.detail["disabled"] = true;
        co_await run_blocking(a, [&] { return a.audit.record(std::move(e)); });
        co_return problem_response(errc::unauthorized, std::string(k_wrong_credentials), req.path);
    }
    a.throttle.succeeded(account, req.client_address);
    if (needs_rehash(found->password_hash)) {
        auto stronger = co_await run_blocking(a, [&] { return hash_password(pw); });
        if (stronger) (void)a.users.upgrade_hash(found->id, std::move(*stronger));
    }
    auto session = co_await run_blocking(a, [&] {
        return a.tokens.create_session(found->id, audit_context{found->id, req.client_address});
    });
    if (!session) co_return problem_response(session.error(), req.path);
    auto now = a.clock.now();
    auto r = json_response(201, {{"token", session->first},
                                 {"session", credential_json(session->second, req)},
                                 {"user", user_json(a, *found)}});
    r.headers.set("Set-Cookie",
                  session_cookie(a, req, session->first, session->second.expires_at, now));
    co_return r;
}

awaitable<response> sign_out(app& a, request& req) {
    const auto& c = req.principal->credential;
    if (c.kind != storage::credential_kind::session)
        co_return problem_response(errc::bad_request,
                                   "this request was made with an API token, not a session; "
                                   "revoke tokens with DELETE /api/v1/tokens/{id}",
                                   req.path);
    auto revoked = co_await run_blocking(
        a, [&] { return a.tokens.revoke(req.principal->id, c.id, audit_who(req)); });
    if (!revoked) co_return problem_response(revoked.error(), req.path);
    auto r = no_content();
    r.headers.set("Set-Cookie", cleared_cookie(a, req));
    co_return r;
}

awaitable<response> me(app& a, request& req) {
    auto u = a.users.get(req.principal->id);
    if (!u) co_return problem_response(u.error(), req.path);
    auto j = user_json(a, *u);
    j["credential"] = credential_json(req.principal->credential, req);
    co_return json_response(200, j);
}

awaitable<response> change_password(app& a, request& req) {
    auto body = co_await read_json_object(a, req);
    if (!body) co_return problem_response(body.error(), req.path);
    if (auto f = only_fields(*body, {"current_password", "new_password"}); !f)
        co_return problem_response(f.error(), req.path);
    auto current = string_field(*body, "current_password");
    auto next = string_field(*body, "new_password");
    if (!current) co_return problem_response(current.error(), req.path);
    if (!next) co_return problem_response(next.error(), req.path);
    if (!*current || !*next || (*current)->size() > 4096)
        co_return problem_response(
            errc::invalid_parameter, "send {\"current_password\": ..., \"new_password\": ...}",
            req.path);
    if (auto p = check_password_policy(**next); !p) co_return problem_response(p.error(), req.path);
    auto u = a.users.get(req.principal->id);
    if (!u) co_return problem_response(u.error(), req.path);
    const std::string account = u->username;
    if (auto wait = a.throttle.retry_after(account, req.client_address)) co_return too_many(*wait);
    const std::string cur = **current, nxt = **next;
    bool good = co_await run_blocking(a, [&] { return verify_password(u->password_hash, cur); });
    if (!good) {
        a.throttle.failed(account, req.client_address);
        co_return problem_response(errc::forbidden, "the current password is wrong", req.path);
    }
    if (cur == nxt)
        co_return problem_response(errc::invalid_parameter,
                                   "the new password must differ from the current one", req.path);
    auto hashed = co_await run_blocking(a, [&] { return hash_password(nxt); });
    if (!hashed) co_return problem_response(hashed.error(), req.path);
    auto who = audit_who(req);
    auto changed = co_await run_blocking(a, [&] {
        return a.users.set_password(u->id, std::move(*hashed), false, who,
                                    "user.password_changed");
    });
    if (!changed) co_return problem_response(changed.error(), req.path);
    // Every session ends (a thief's too); the caller gets a fresh one.
    auto revoked = co_await run_blocking(
        a, [&] { return a.tokens.revoke_all(u->id, false, who, "session.revoked_all"); });
    if (!revoked) co_return problem_response(revoked.error(), req.path);
    if (req.principal->credential.kind != storage::credential_kind::session)
        co_return no_content();
    auto session = co_await run_blocking(a, [&] { return a.tokens.create_session(u->id, who); });
    if (!session) co_return problem_response(session.error(), req.path);
    auto r = json_response(200, {{"token", session->first},
                                 {"session", credential_json(session->second, req)}});
    r.headers.set("Set-Cookie", session_cookie(a, req, session->first,
                                               session->second.expires_at, a.clock.now()));
    co_return r;
}

awaitable<response> list_tokens(app& a, request& req) {
    auto items = a.tokens.list(req.principal->id);
    if (!items) co_return problem_response(items.error(), req.path);
    json out = json::array();
    for (const auto& c : *items) out.push_back(credential_json(c, req));
    co_return json_response(200, {{"items", std::move(out)}});
}

awaitable<response> create_token(app& a, request& req) {
    auto body = co_await read_json_object(a, req, true);
    if (!body) co_return problem_response(body.error(), req.path);
    if (auto f = only_fields(*body, {"label", "expires_at"}); !f)
        co_return problem_response(f.error(), req.path);
    auto label = string_field(*body, "label");
    auto expires = string_field(*body, "expires_at");
    if (!label) co_return problem_response(label.error(), req.path);
    if (!expires) co_return problem_response(expires.error(), req.path);
    std::string l = label->value_or("");
    if (l.empty() || l.size() > 200 || !is_valid_utf8(l))
        co_return problem_response(errc::invalid_parameter,
                                   "label is required: 1 to 200 bytes naming what the token is for",
                                   req.path);
    std::optional<unix_ms> until;
    if (*expires) {
        until = parse_rfc3339(**expires);
        if (!until)
            co_return problem_response(errc::invalid_parameter,
                                       "expires_at must be an RFC 3339 date-time", req.path);
    }
    auto created = co_await run_blocking(a, [&] {
        return a.tokens.create_api_token(req.principal->id, l, until, audit_who(req));
    });
    if (!created) co_return problem_response(created.error(), req.path);
    auto j = credential_json(created->second, req);
    j["token"] = created->first;
    co_return json_response(201, j);
}

awaitable<response> revoke_token(app& a, request& req) {
    const auto& id = req.path_params.at(0);
    auto revoked = co_await run_blocking(
        a, [&] { return a.tokens.revoke(req.principal->id, id, audit_who(req)); });
    if (!revoked) co_return problem_response(revoked.error(), req.path);
    auto r = no_content();
    if (revoked->kind == storage::credential_kind::session && id == req.principal->credential.id)
        r.headers.set("Set-Cookie", cleared_cookie(a, req));
    co_return r;
}

}  // namespace

void add_session_routes(router& r) {
    r.add({"POST", "/api/v1/sessions", sign_in, false, body_kind::json, std::nullopt});
    r.add({"DELETE", "/api/v1/sessions/current", sign_out, true, body_kind::none, action::self});
    r.add({"GET", "/api/v1/me", me, true, body_kind::none, action::self});
    r.add({"POST", "/api/v1/me/password", change_password, true, body_kind::json, action::self});
    r.add({"GET", "/api/v1/tokens", list_tokens, true, body_kind::none, action::self});
    r.add({"POST", "/api/v1/tokens", create_token, true, body_kind::json, action::self});
    r.add({"DELETE", "/api/v1/tokens/{id}", revoke_token, true, body_kind::none, action::self});
}

}  // namespace kho::api
