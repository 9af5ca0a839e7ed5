#include "api/dispatch.hpp"

#include "api/app.hpp"
#include "api/cookies.hpp"
#include "api/problem.hpp"
#include "api/tus_headers.hpp"
#include "core/text.hpp"
#include "api/access.hpp"
#include "storage/token_store.hpp"
#include "storage/unit_store.hpp"
#include "storage/user_store.hpp"

#include <spdlog/spdlog.h>
#include <boost/url/parse.hpp>

namespace kho::api {
namespace {

// Splits the target into a decoded path and the raw query. A decoded segment
// may not contain '/' or NUL (it would change the route it matches).
result<void> decode_target(request& req) {
    auto parsed = boost::urls::parse_origin_form(req.target);
    if (!parsed) return make_error(errc::bad_request, "the request target is malformed");
    std::string path;
    for (auto seg : parsed->segments()) {
        if (seg.find('/') != std::string::npos || seg.find('\0') != std::string::npos)
            return make_error(errc::bad_request, "a path segment contains an encoded '/' or NUL");
        path += '/';
        path += seg;
    }
    if (path.empty()) path = "/";
    if (!is_valid_utf8(path)) return make_error(errc::bad_request, "the path is not valid UTF-8");
    req.path = std::move(path);
    req.query = parsed->encoded_query();
    return ok();
}

bool unsafe_method(std::string_view m) {
    return m != "GET" && m != "HEAD" && m != "OPTIONS";
}

result<void> authenticate(app& a, request& req) {
    std::string_view secret;
    bool by_cookie = false;
    if (auto header = req.headers.get("Authorization")) {
        auto v = *header;
        if (v.size() < 7 || !iequals(v.substr(0, 7), "Bearer "))
            return make_error(errc::unauthorized, "only Bearer authorization is supported");
        secret = v.substr(7);
        while (!secret.empty() && secret.front() == ' ') secret.remove_prefix(1);
        while (!secret.empty() && secret.back() == ' ') secret.remove_suffix(1);
    } else if (auto cookie = cookie_value(req, "kho_session")) {
        secret = *cookie;
        by_cookie = true;
    } else {
        return make_error(errc::unauthorized,
                          "this request needs an Authorization: Bearer token or a session");
    }
    // A browser sends the cookie with any request to this site; a changing
    // request from another origin is cross-site request forgery (SameSite
    // stops it in current browsers; this stops it everywhere).
    if (by_cookie && unsafe_method(req.method))
        if (auto origin = req.headers.get("Origin")) {
            auto host = req.headers.get("Host").value_or("");
            auto o = *origin;
            auto scheme_end = o.find("://");
            if (scheme_end == std::string_view::npos || o.substr(scheme_end + 3) != host)
                return make_error(errc::forbidden,
                                  "a request from another site may not use this session");
        }
    auto cred = a.tokens.authenticate(secret);
    if (!cred) return cred.error();
    auto u = a.users.get(cred->user_id);
    if (!u) return make_error(errc::unauthorized, "the token's account no longer exists");
    if (u->disabled) return make_error(errc::unauthorized, "this account is disabled");
    principal p;
    p.id = u->id;
    p.username = u->username;
    p.actor.id = u->id;
    p.actor.role = u->role;
    p.actor.must_change_password =
        u->must_change_password && cred->kind == storage::credential_kind::session;
    if (!u->unit_code.empty())
        if (auto unit = a.units.get(u->unit_code))
            p.actor.unit = unit_position{unit->code, unit->province, unit->level,
                                         a.units.ancestors(unit->code)};
    p.credential = std::move(*cred);
    req.principal = std::move(p);
    if (by_cookie) req.cookie_session = std::string(secret);
    return ok();
}

std::uint64_t limit_for(const app& a, body_kind kind) {
    switch (kind) {
        case body_kind::upload:
            return a.limits.max_upload_bytes;
        case body_kind::json:
            return a.limits.max_json_bytes;
        case body_kind::document:
            return a.limits.max_document_bytes;
        case body_kind::rendition:
            return a.limits.media_max_output;
        case body_kind::none:
            return 64 * 1024;
    }
    return 0;
}

boost::asio::awaitable<dispatch_result> route_and_handle(app& a, const router& r, request& req);

}  // namespace

boost::asio::awaitable<dispatch_result> dispatch(app& a, const router& r, request& req) {
    auto out = co_await route_and_handle(a, r, req);
    // tus requires Tus-Resumable on every response of its endpoint,
    // including the 401s and 404s decided before its handlers run.
    if (req.path.starts_with("/api/v1/uploads"))
        out.resp.headers.set("Tus-Resumable", std::string(tus_version));
    co_return out;
}

namespace {

boost::asio::awaitable<dispatch_result> route_and_handle(app& a, const router& r, request& req) {
    dispatch_result out;
    // tus: clients behind proxies that allow only GET and POST send PATCH
    // and DELETE as POST with X-HTTP-Method-Override.
    if (req.method == "POST")
        if (auto m = req.headers.get("X-HTTP-Method-Override");
            m && (*m == "PATCH" || *m == "DELETE"))
            if (req.target.starts_with("/api/v1/uploads/")) req.method = std::string(*m);
    if (auto d = decode_target(req); !d) {
        out.resp = problem_response(d.error(), req.target);
        co_return out;
    }
    auto m = r.match(req.method, req.path);
    if (!m.matched) {
        if (m.allowed.empty()) {
            out.resp = problem_response(errc::not_found, "no such resource: " + req.path, req.path);
        } else {
            out.resp = problem_response(errc::method_not_allowed,
                                        req.method + " is not allowed here", req.path);
            std::string allow;
            for (const auto& method : m.allowed) allow += (allow.empty() ? "" : ", ") + method;
            out.resp.headers.set("Allow", allow);
        }
        co_return out;
    }
    const route& rt = *m.matched;
    out.route = rt.pattern;
    req.path_params = std::move(m.params);

    if (rt.needs_auth) {
        if (auto auth = authenticate(a, req); !auth) {
            out.resp = problem_response(auth.error(), req.path);
            if (auth.error().code == errc::unauthorized)
                out.resp.headers.set("WWW-Authenticate", "Bearer realm=\"kho\"");
            co_return out;
        }
        out.user = req.principal->username;
        if (rt.gate)
            if (auto allowed = check(a, req, *rt.gate); !allowed) {
                out.resp = problem_response(allowed.error(), req.path);
                co_return out;
            }
    }

    auto limit = limit_for(a, rt.body);
    req.body->limit(limit);
    if (auto declared = req.body->declared_length(); declared && *declared > limit) {
        out.resp =
            problem_response(errc::payload_too_large,
                             "the body is " + std::to_string(*declared) +
                                 " bytes; this resource takes at most " + std::to_string(limit),
                             req.path);
        co_return out;
    }

    try {
        out.resp = co_await rt.fn(a, req);
    } catch (const std::exception& e) {
        spdlog::error("request {} {} failed: {}", req.method, req.target, e.what());
        out.resp = problem_response(errc::internal, "an unexpected error occurred", req.path);
    }
    co_return out;
}

}  // namespace

}  // namespace kho::api
