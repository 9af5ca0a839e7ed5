// Accounts and credentials against the real server: sign-in, cookies,
// throttling, sign-out, password changes, API tokens, disabling, role
// changes, the first admin, and what every bad input gets.

#include "tests/support/people.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace kho::test;
using json = nlohmann::json;

namespace {

std::vector<std::string> audit_actions(http_client& c, const std::string& query) {
    auto r = c.request("GET", "/api/v1/audit?" + query, auth());
    REQUIRE(r.status == 200);
    std::vector<std::string> out;
    auto page = json_of(r);
    for (const auto& e : page["items"]) out.push_back(e["action"]);
    return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("the first admin and the bootstrap token", "[accounts][integration]") {
    server_process server;
    http_client c(server.port());
    // The bootstrap API token is the first admin's API token.
    auto me = c.request("GET", "/api/v1/me", auth());
    REQUIRE(me.status == 200);
    CHECK(json_of(me)["username"] == "admin");
    CHECK(json_of(me)["role"] == "admin");
    CHECK(json_of(me)["credential"]["kind"] == "bootstrap");
    // Its password came from KHO_ADMIN_PASSWORD: no change is forced.
    auto r = sign_in(c, "admin", admin_password);
    REQUIRE(r.status == 201);
    CHECK(json_of(r)["user"]["must_change_password"] == false);
    // A restart creates nothing new.
    server.restart();
    http_client c2(server.port());
    auto users = json_of(c2.request("GET", "/api/v1/users", auth()));
    CHECK(users["items"].size() == 1);
    CHECK(c2.request("GET", "/api/v1/me", auth()).status == 200);
}

TEST_CASE("a generated first password must be changed at first sign-in", "[accounts][integration]") {
    server_options o;
    o.env = {{"KHO_ADMIN_PASSWORD", ""}};
    server_process server(o);
    http_client c(server.port());
    auto log = server.log();
    auto at = log.find("as \"admin\" with this password");
    REQUIRE(at != std::string::npos);
    auto line_start = log.find("\n\n    ", at);
    REQUIRE(line_start != std::string::npos);
    auto pw = log.substr(line_start + 6, log.find('\n', line_start + 6) - line_start - 6);
    INFO("password " << pw);
    auto session = session_for(c, "admin", pw);
    check_problem(c.request("GET", "/api/v1/assets", bearer(session)), 403,
                  "password_change_required");
    CHECK(c.request("GET", "/api/v1/me", bearer(session)).status == 200);
    auto changed = c.request("POST", "/api/v1/me/password", bearer(session),
                             json{{"current_password", pw},
                                  {"new_password", "Quyết liệt, nhanh chóng, hiệu quả"}}
                                 .dump());
    REQUIRE(changed.status == 200);
    auto fresh = json_of(changed)["token"].get<std::string>();
    // The old session ended; the new one works.
    CHECK(c.request("GET", "/api/v1/me", bearer(session)).status == 401);
    CHECK(c.request("GET", "/api/v1/assets", bearer(fresh)).status == 200);
    CHECK(sign_in(c, "admin", pw).status == 401);
    CHECK(sign_in(c, "admin", "Quyết liệt, nhanh chóng, hiệu quả").status == 201);
    // The printed password is printed once: a restart does not repeat it
    // (the log file holds both runs).
    server.restart();
    auto both = server.log();
    auto first = both.find("with this password");
    CHECK(first != std::string::npos);
    CHECK(both.find("with this password", first + 1) == std::string::npos);
}

TEST_CASE("sign-in, cookies, sign-out", "[accounts][integration]") {
    server_process server;
    http_client c(server.port());
    create_user(c, "lan.nguyen", "Nguyễn Thị Lan", "designer");
    auto r = sign_in(c, "lan.nguyen", user_password);
    REQUIRE(r.status == 201);
    auto j = json_of(r);
    CHECK(j["user"]["display_name"] == "Nguyễn Thị Lan");
    CHECK_FALSE(j["user"].contains("password_hash"));
    const std::string token = j["token"];
    auto cookie = r.header("Set-Cookie").value_or("");
    CHECK(cookie.starts_with("kho_session=" + token + ";"));
    CHECK(cookie.find("HttpOnly") != std::string::npos);
    CHECK(cookie.find("SameSite=Strict") != std::string::npos);
    CHECK(cookie.find("Path=/") != std::string::npos);
    CHECK(cookie.find("Secure") == std::string::npos);  // plain HTTP here
    // Behind a TLS proxy the cookie is Secure.
    auto tls = sign_in(c, "lan.nguyen", user_password, {{"X-Forwarded-Proto", "https"}});
    CHECK(tls.header("Set-Cookie").value_or("").find("; Secure") != std::string::npos);

    // The cookie authenticates like the bearer token.
    // (the test client sends Host: 127.0.0.1)
    header_fields with_cookie{{"Cookie", "theme=dark; kho_session=" + token}};
    auto me = c.request("GET", "/api/v1/me", with_cookie);
    REQUIRE(me.status == 200);
    CHECK(json_of(me)["credential"]["kind"] == "session");
    // A changing request from another site may not ride on the cookie.
    auto forged = with_cookie;
    forged.emplace_back("Origin", "https://evil.example");
    check_problem(c.request("POST", "/api/v1/tokens", forged, R"({"label":"x"})"), 403,
                  "forbidden");
    auto same_site = with_cookie;
    same_site.emplace_back("Origin", "http://127.0.0.1");
    CHECK(c.request("POST", "/api/v1/tokens", same_site, R"({"label":"trang web"})").status == 201);

    // Sign-out ends the session at once, and clears the cookie.
    auto out = c.request("DELETE", "/api/v1/sessions/current", bearer(token));
    REQUIRE(out.status == 204);
    CHECK(out.header("Set-Cookie").value_or("").find("Max-Age=0") != std::string::npos);
    check_problem(c.request("GET", "/api/v1/me", bearer(token)), 401, "unauthorized");
    check_problem(c.request("GET", "/api/v1/me", with_cookie), 401, "unauthorized");
    // An API token is not a session.
    check_problem(c.request("DELETE", "/api/v1/sessions/current", auth()), 400, "bad_request");

    auto actions = audit_actions(c, "action=session.");
    CHECK(contains(actions, "session.login"));
    CHECK(contains(actions, "session.logout"));
}

TEST_CASE("wrong passwords, unknown users and throttling", "[accounts][integration]") {
    server_process server;
    http_client c(server.port());
    create_user(c, "binh.tran", "Trần Văn Bình", "reviewer");
    // The same answer for an unknown user and a wrong password.
    auto unknown = sign_in(c, "khong.ton.tai", user_password);
    auto wrong = sign_in(c, "binh.tran", "sai mật khẩu rồi");
    check_problem(unknown, 401, "unauthorized");
    check_problem(wrong, 401, "unauthorized");
    CHECK(json_of(unknown)["detail"] == json_of(wrong)["detail"]);
    // Bad bodies.
    check_problem(c.request("POST", "/api/v1/sessions", {}, "{"), 400, "bad_request");
    check_problem(c.request("POST", "/api/v1/sessions", {}, "[]"), 400, "bad_request");
    check_problem(c.request("POST", "/api/v1/sessions", {}, R"({"username":"binh.tran"})"), 400,
                  "invalid_parameter");
    check_problem(c.request("POST", "/api/v1/sessions", {}, R"({"username":1,"password":"x"})"), 400,
                  "invalid_parameter");
    check_problem(c.request("POST", "/api/v1/sessions", {},
                            R"({"username":"a","password":"b","remember":true})"),
                  400, "invalid_parameter");
    // After the free failures the account is locked for a while: 429 with
    // Retry-After, even for the right password.
    for (int i = 0; i < 5; ++i)
        CHECK(sign_in(c, "binh.tran", "đoán mò " + std::to_string(i)).status == 401);
    auto locked = sign_in(c, "binh.tran", user_password);
    check_problem(locked, 429, "too_many_requests");
    auto retry = std::stoi(locked.header("Retry-After").value_or("0"));
    CHECK(retry >= 1);
    CHECK(retry <= 900);
    // Another account from the same address is not locked yet.
    create_user(c, "lan.nguyen", "Nguyễn Thị Lan", "designer");
    CHECK(sign_in(c, "lan.nguyen", user_password).status == 201);
    // Failed sign-ins are audited, without the password.
    auto log = c.request("GET", "/api/v1/audit?action=session.login_failed", auth());
    REQUIRE(log.status == 200);
    CHECK(json_of(log)["items"].size() >= 6);
    CHECK(log.body.find("sai mật khẩu") == std::string::npos);
    CHECK(log.body.find("khong.ton.tai") != std::string::npos);
}

TEST_CASE("API tokens are shown once, listed, and revoked at once", "[accounts][integration]") {
    server_process server;
    http_client c(server.port());
    import_sample_units(c);
    create_user(c, "cuong.le", "Lê Văn Cường", "unit_member", "THPT-CVA");
    auto session = session_for(c, "cuong.le");
    auto made = c.request("POST", "/api/v1/tokens", bearer(session),
                          json{{"label", "máy chủ báo cáo của trường"}}.dump());
    REQUIRE(made.status == 201);
    const std::string token = json_of(made)["token"];
    const std::string id = json_of(made)["id"];
    CHECK(token.starts_with("kho_"));
    // The token acts as its owner, with the owner's role.
    auto me = c.request("GET", "/api/v1/me", bearer(token));
    REQUIRE(me.status == 200);
    CHECK(json_of(me)["username"] == "cuong.le");
    check_problem(c.request("GET", "/api/v1/users", bearer(token)), 403, "forbidden");
    // Listed without the secret.
    auto list = c.request("GET", "/api/v1/tokens", bearer(session));
    REQUIRE(list.status == 200);
    CHECK(list.body.find(token) == std::string::npos);
    std::set<std::string> kinds;
    auto listed = json_of(list);
    for (const auto& t : listed["items"]) kinds.insert(t["kind"].get<std::string>());
    INFO(list.body);
    CHECK(kinds == std::set<std::string>{"api_token", "session"});
    // Someone else's token id is not found.
    check_problem(c.request("DELETE", "/api/v1/tokens/" + id, auth()), 404, "not_found");
    REQUIRE(c.request("DELETE", "/api/v1/tokens/" + id, bearer(session)).status == 204);
    check_problem(c.request("GET", "/api/v1/me", bearer(token)), 401, "unauthorized");
    // An expired token does not authenticate; bad requests are refused.
    check_problem(c.request("POST", "/api/v1/tokens", bearer(session),
                            json{{"label", "cũ"}, {"expires_at", "2020-01-01T00:00:00Z"}}.dump()),
                  400, "invalid_parameter");
    check_problem(c.request("POST", "/api/v1/tokens", bearer(session), "{}"), 400,
                  "invalid_parameter");
    check_problem(c.request("POST", "/api/v1/tokens", bearer(session),
                            json{{"label", "x"}, {"expires_at", "ngày mai"}}.dump()),
                  400, "invalid_parameter");
    auto actions = audit_actions(c, "action=token.");
    INFO(c.request("GET", "/api/v1/audit?action=token.", auth()).body);
    CHECK(contains(actions, "token.created"));
    CHECK(contains(actions, "token.revoked"));
}

TEST_CASE("administering users", "[accounts][integration]") {
    server_process server;
    http_client c(server.port());
    import_sample_units(c);
    auto id = create_user(c, "cuong.le", "Lê Văn Cường", "unit_member", "THPT-CVA");
    auto session = session_for(c, "cuong.le");
    auto made = c.request("POST", "/api/v1/tokens", bearer(session), R"({"label":"script"})");
    const std::string token = json_of(made)["token"];

    SECTION("bad requests") {
        auto post = [&](json body) { return c.request("POST", "/api/v1/users", auth(), body.dump()); };
        check_problem(post({{"username", "x"}, {"display_name", "X"}, {"role", "designer"}}), 400,
                      "invalid_parameter");  // too short
        check_problem(post({{"username", "nguyễn"}, {"display_name", "X"}, {"role", "designer"}}),
                      400, "invalid_parameter");
        check_problem(post({{"username", "abc"}, {"display_name", "X"}, {"role", "boss"}}), 400,
                      "invalid_parameter");
        check_problem(post({{"username", "abc"}, {"display_name", "X"}, {"role", "unit_member"}}),
                      422, "unprocessable");  // no unit
        check_problem(post({{"username", "abc"}, {"display_name", "X"}, {"role", "designer"},
                            {"unit", "KHONG-CO"}}),
                      422, "unprocessable");
        check_problem(post({{"username", "abc"}, {"display_name", "X"}, {"role", "designer"},
                            {"password", "ngắn"}}),
                      400, "invalid_parameter");
        check_problem(post({{"username", "CUONG.LE"}, {"display_name", "Trùng"}, {"role", "designer"}}),
                      409, "conflict");  // user names are case-insensitive
        check_problem(post({{"display_name", "X"}, {"role", "designer"}}), 400, "invalid_parameter");
        check_problem(c.request("POST", "/api/v1/users", bearer(session), "{}"), 403, "forbidden");
        check_problem(c.request("GET", "/api/v1/users/khong-co", auth()), 404, "not_found");
    }
    SECTION("a generated password is shown once and must be changed") {
        auto r = c.request("POST", "/api/v1/users", auth(),
                           json{{"username", "hoa.tran"},
                                {"display_name", "Trần Thị Hoa"},
                                {"role", "journalist"}}
                               .dump());
        REQUIRE(r.status == 201);
        auto pw = json_of(r)["initial_password"].get<std::string>();
        CHECK(json_of(r)["must_change_password"] == true);
        auto s = session_for(c, "hoa.tran", pw);
        check_problem(c.request("GET", "/api/v1/assets", bearer(s)), 403, "password_change_required");
        auto listed = json_of(c.request("GET", "/api/v1/users/" + json_of(r)["id"].get<std::string>(), auth()));
        CHECK_FALSE(listed.contains("initial_password"));
    }
    SECTION("a role change takes effect on the next request") {
        CHECK(c.request("POST", "/api/v1/assets?title=x", bearer(token, {{"Content-Type", "image/png"}}),
                        "x").status == 403);
        auto r = c.request("PATCH", "/api/v1/users/" + id, auth(),
                           json{{"role", "designer"}, {"unit", nullptr}}.dump());
        REQUIRE(r.status == 200);
        CHECK(json_of(r)["role"] == "designer");
        CHECK(json_of(r)["unit"].is_null());
        auto me = json_of(c.request("GET", "/api/v1/me", bearer(token)));
        CHECK(me["role"] == "designer");
        CHECK(c.request("GET", "/api/v1/reviews", bearer(token)).status == 403);
        auto actions = audit_actions(c, "target=user:" + id);
        CHECK(contains(actions, "user.role_changed"));
        CHECK(contains(actions, "user.unit_changed"));
    }
    SECTION("disabling revokes sessions and tokens at once") {
        auto r = c.request("PATCH", "/api/v1/users/" + id, auth(), R"({"disabled":true})");
        REQUIRE(r.status == 200);
        check_problem(c.request("GET", "/api/v1/me", bearer(session)), 401, "unauthorized");
        check_problem(c.request("GET", "/api/v1/me", bearer(token)), 401, "unauthorized");
        check_problem(sign_in(c, "cuong.le", user_password), 401, "unauthorized");
        auto actions = audit_actions(c, "target=user:" + id);
        CHECK(contains(actions, "user.disabled"));
        CHECK(contains(actions, "user.credentials_revoked"));
        // Enabled again: signing in works; old credentials stay revoked.
        REQUIRE(c.request("PATCH", "/api/v1/users/" + id, auth(), R"({"disabled":false})").status == 200);
        CHECK(c.request("GET", "/api/v1/me", bearer(token)).status == 401);
        CHECK(sign_in(c, "cuong.le", user_password).status == 201);
    }
    SECTION("a password reset ends the user's sessions") {
        auto r = c.request("POST", "/api/v1/users/" + id + "/password", auth(), "");
        REQUIRE(r.status == 200);
        auto pw = json_of(r)["password"].get<std::string>();
        check_problem(c.request("GET", "/api/v1/me", bearer(session)), 401, "unauthorized");
        CHECK(c.request("GET", "/api/v1/me", bearer(token)).status == 200);  // tokens are kept
        CHECK(sign_in(c, "cuong.le", user_password).status == 401);
        CHECK(sign_in(c, "cuong.le", pw).status == 201);
        CHECK(contains(audit_actions(c, "target=user:" + id), "user.password_reset"));
    }
    SECTION("an admin cannot lock themselves out") {
        auto me = json_of(c.request("GET", "/api/v1/me", auth()));
        auto self = "/api/v1/users/" + me["id"].get<std::string>();
        check_problem(c.request("PATCH", self, auth(), R"({"disabled":true})"), 409, "conflict");
        check_problem(c.request("PATCH", self, auth(), R"({"role":"designer"})"), 409, "conflict");
    }
    SECTION("changing one's own password ends the other sessions") {
        auto other = session_for(c, "cuong.le");
        auto r = c.request("POST", "/api/v1/me/password", bearer(session),
                           json{{"current_password", user_password},
                                {"new_password", "Hiện đại, chất lượng, công bằng"}}
                               .dump());
        REQUIRE(r.status == 200);
        CHECK(c.request("GET", "/api/v1/me", bearer(other)).status == 401);
        CHECK(c.request("GET", "/api/v1/me", bearer(json_of(r)["token"].get<std::string>())).status == 200);
        check_problem(c.request("POST", "/api/v1/me/password", bearer(token),
                                json{{"current_password", "sai"}, {"new_password", "Mật khẩu mới thật dài"}}
                                    .dump()),
                      403, "forbidden");
        check_problem(c.request("POST", "/api/v1/me/password", bearer(token),
                                json{{"current_password", "Hiện đại, chất lượng, công bằng"},
                                     {"new_password", "ngắn"}}
                                    .dump()),
                      400, "invalid_parameter");
    }
}
