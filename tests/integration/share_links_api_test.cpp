// Share links: a journalist without an account opens a signed link after
// the embargo lifts and downloads the kit, resuming it; every tampering,
// expiry, revocation, exhausted limit and wrong password gets a clear 403,
// 404 or 410 with its reason; a link never reaches anything unapproved or
// embargoed; rotating the signing key keeps old links working.

#include "tests/support/newsroom.hpp"

#include <fstream>
#include <iterator>

#include <thread>

using namespace kho::test;
using json = nlohmann::json;

namespace {

struct sharing {
    newsroom n;
    std::string poster_bytes = fake_png(50, 60000);
    std::string poster, draft, kit;
    sharing() {
        poster = n.publish({"Áp phích Nghị quyết 71", "poster", "", {}, "", "Áp phích.png"}, poster_bytes);
        draft = n.upload({"Bản nháp", "poster", "", {}, "", "nháp.png"}, fake_png(51));
        auto r = n.c.request("POST", "/api/v1/press-kits", bearer(n.reviewer),
                             json{{"title", "Bộ tài liệu báo chí"},
                                  {"release", "Thông cáo"},
                                  {"items", {{{"asset", poster}, {"version", 1}}}},
                                  {"embargo_until", rfc3339_from_now(3600)}}
                                 .dump());
        INFO(r.body);
        REQUIRE(r.status == 201);
        kit = json_of(r)["id"];
    }
    json create(const json& body, int status = 201) {
        auto r = n.c.request("POST", "/api/v1/share-links", bearer(n.reviewer), body.dump());
        INFO(body.dump() << " -> " << r.body);
        REQUIRE(r.status == status);
        return json_of(r);
    }
    // Anonymous: no Authorization header at all.
    http_response open(const std::string& token, const std::string& tail = "",
                       header_fields headers = {}) {
        return n.c.request("GET", "/api/v1/links/" + token + tail, headers);
    }
    void lift_embargo() {
        auto r = n.c.request("PATCH", "/api/v1/press-kits/" + kit, bearer(n.reviewer),
                             json{{"embargo_until", rfc3339_from_now(-1)}}.dump());
        REQUIRE(r.status == 200);
    }
};

void check_reason(const http_response& r, int status, const std::string& reason) {
    INFO(r.body);
    CHECK(r.status == status);
    CHECK(r.header("content-type") == "application/problem+json");
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    REQUIRE(j.is_object());
    CHECK(j["reason"] == reason);
}

}  // namespace

TEST_CASE("share links: a kit link opens only after the embargo, without an account",
          "[links][integration]") {
    sharing s;
    auto link = s.create({{"kit", s.kit}});
    const std::string token = link["token"];
    CHECK(link["url"] == "/s/" + token);
    CHECK(link["state"] == "active");
    // Default expiry: 7 days.
    CHECK(link["expires_at"].get<std::string>().substr(0, 10) == rfc3339_from_now(7 * 86400).substr(0, 10));

    // Under embargo the link shows nothing, whatever the path.
    check_reason(s.open(token), 404, "not_available");
    check_reason(s.open(token, "/download"), 404, "not_available");
    check_reason(s.open(token, "/download", {{"Range", "bytes=10-"}}), 404, "not_available");

    s.lift_embargo();
    auto landing = s.open(token);
    INFO(landing.body);
    REQUIRE(landing.status == 200);
    auto lj = json_of(landing);
    CHECK(lj["press_kit"]["title"] == "Bộ tài liệu báo chí");
    CHECK(lj["press_kit"]["items"].size() == 1);
    CHECK(lj["press_kit"]["zip"]["url"] == "/api/v1/links/" + token + "/download");
    CHECK_FALSE(lj["link"].contains("token"));  // staff details stay with staff

    // The ZIP, then the same ZIP resumed from the middle.
    auto full = s.open(token, "/download");
    REQUIRE(full.status == 200);
    CHECK(full.header("content-type") == "application/zip");
    auto etag = full.header("etag").value_or("");
    auto rest = s.open(token, "/download", {{"Range", "bytes=30000-"}, {"If-Range", etag}});
    REQUIRE(rest.status == 206);
    CHECK(rest.body == full.body.substr(30000));
    // Each item on its own, through the link.
    auto item = lj["press_kit"]["items"][0];
    CHECK(item["url"] == "/api/v1/links/" + token + "/items/1");
    auto one = s.n.c.request("GET", item["url"].get<std::string>());
    REQUIRE(one.status == 200);
    CHECK(one.body == s.poster_bytes);
    check_problem(s.open(token, "/items/2"), 404, "not_found");
    check_problem(s.open(token, "/items/0"), 404, "not_found");
    // Identical to what a journalist with an account gets.
    auto direct = s.n.c.request("GET", "/api/v1/press-kits/" + s.kit + "/download", bearer(s.n.journalist));
    CHECK(direct.body == full.body);

    // Usage knows the link.
    auto events = json_of(s.n.c.request("GET", "/api/v1/reports/downloads/events", auth()));
    bool by_link = false;
    for (const auto& e : events["items"]) by_link |= e["link"] == link["id"] && e["kit"] == s.kit;
    CHECK(by_link);

    // The access log shows which link was used, never the token itself.
    std::ifstream log(s.n.server.data_dir().parent_path() / "access.log");
    std::string text((std::istreambuf_iterator<char>(log)), {});
    CHECK(text.find("/api/v1/links/" + token.substr(0, 8) + "…/download") != std::string::npos);
    CHECK(text.find(token) == std::string::npos);
}

TEST_CASE("share links: tampered, expired, revoked and exhausted links say why",
          "[links][integration]") {
    sharing s;
    s.lift_embargo();
    auto link = s.create({{"asset", s.poster}, {"version", 1}});
    const std::string token = link["token"];
    REQUIRE(s.open(token, "/download").status == 200);

    // Every single-character change of the token is refused before any lookup.
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (std::size_t i = 0; i < token.size(); ++i) {
        auto t = token;
        t[i] = alphabet[(alphabet.find(t[i]) + 17) % alphabet.size()];
        INFO("position " << i);
        check_reason(s.open(t), 403, "invalid");
    }
    check_reason(s.open(token.substr(0, token.size() - 1)), 403, "invalid");
    check_reason(s.open(token + "A"), 403, "invalid");
    check_reason(s.open("x"), 403, "invalid");
    check_reason(s.open(std::string(400, 'A')), 403, "invalid");
    check_reason(s.open("..%2E"), 403, "invalid");
    // An encoded slash never reaches the link code.
    check_problem(s.open("%2E%2E%2F%2E%2E%2Fetc"), 400, "bad_request");

    // Revoked: 410 everywhere, and it stays revoked.
    auto revoke = s.n.c.request("DELETE", "/api/v1/share-links/" + link["id"].get<std::string>(),
                                bearer(s.n.reviewer));
    REQUIRE(revoke.status == 204);
    check_reason(s.open(token), 410, "revoked");
    check_reason(s.open(token, "/download", {{"Range", "bytes=5-"}}), 410, "revoked");
    check_problem(s.n.c.request("DELETE", "/api/v1/share-links/" + link["id"].get<std::string>(),
                                bearer(s.n.reviewer)),
                  409, "conflict");

    // Exhausted: two downloads; resuming one is not another for the client
    // that started it (its download ticket cookie), but a resume without one
    // is a download like any other.
    auto limited = s.create({{"asset", s.poster}, {"version", 1}, {"max_downloads", 2}});
    const std::string lt = limited["token"];
    auto started = s.open(lt, "/download", {{"Range", "bytes=0-99"}});
    REQUIRE(started.status == 206);
    auto set_cookie = started.header("set-cookie").value_or("");
    CHECK(set_cookie.find("HttpOnly") != std::string::npos);
    const auto ticket = set_cookie.substr(0, set_cookie.find(';'));
    REQUIRE(s.open(lt, "/download", {{"Range", "bytes=100-"}, {"Cookie", ticket}}).status == 206);
    REQUIRE(s.open(lt, "/download").status == 200);
    check_reason(s.open(lt, "/download"), 410, "exhausted");
    check_reason(s.open(lt, "/download", {{"Range", "bytes=1-"}}), 410, "exhausted");
    // The ticket still resumes its own download; a forged one does not.
    CHECK(s.open(lt, "/download", {{"Range", "bytes=200-"}, {"Cookie", ticket}}).status == 206);
    check_reason(s.open(lt, "/download", {{"Range", "bytes=200-"}, {"Cookie", "kho_dl=" + lt}}), 410,
                 "exhausted");
    check_reason(s.open(lt), 410, "exhausted");  // the landing says so too

    // Expired.
    auto short_lived = s.create({{"asset", s.poster}, {"version", 1}, {"expires_at", rfc3339_from_now(2)}});
    REQUIRE(s.open(short_lived["token"]).status == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    check_reason(s.open(short_lived["token"]), 410, "expired");
    check_reason(s.open(short_lived["token"], "/download"), 410, "expired");

    // The staff list shows each link's state.
    auto list = json_of(s.n.c.request("GET", "/api/v1/share-links?asset=" + s.poster, bearer(s.n.reviewer)));
    std::map<std::string, std::string> states;
    for (const auto& l : list["items"]) states[l["id"]] = l["state"];
    CHECK(states[link["id"]] == "revoked");
    CHECK(states[limited["id"]] == "exhausted");
    CHECK(states[short_lived["id"]] == "expired");
}

TEST_CASE("share links: a password guards the contents until it is given",
          "[links][integration]") {
    sharing s;
    s.lift_embargo();
    auto link = s.create({{"kit", s.kit}, {"password", "báo chí 2026"}});
    const std::string token = link["token"];
    auto landing = json_of(s.open(token));
    CHECK(landing["link"]["password_required"] == true);
    CHECK(landing["unlocked"] == false);
    CHECK_FALSE(landing.contains("press_kit"));
    check_reason(s.open(token, "/download"), 403, "password_required");

    auto unlock = [&](const std::string& pw) {
        return s.n.c.request("POST", "/api/v1/links/" + token + "/unlock", {},
                             json{{"password", pw}}.dump());
    };
    check_reason(unlock("sai mật khẩu"), 403, "wrong_password");
    check_problem(s.n.c.request("POST", "/api/v1/links/" + token + "/unlock", {}, "{bad"), 400, "bad_request");
    check_problem(s.n.c.request("POST", "/api/v1/links/" + token + "/unlock", {}, "{}"), 400,
                  "invalid_parameter");
    auto ok = unlock("báo chí 2026");
    REQUIRE(ok.status == 200);
    auto cookie = ok.header("set-cookie").value_or("");
    CHECK(cookie.find("HttpOnly") != std::string::npos);
    CHECK(cookie.find("Path=/api/v1/links/" + token) != std::string::npos);
    auto value = cookie.substr(0, cookie.find(';'));
    auto with_cookie = s.open(token, "/download", {{"Cookie", value}});
    CHECK(with_cookie.status == 200);
    CHECK(json_of(s.open(token, "", {{"Cookie", value}}))["unlocked"] == true);
    // Only the unlock cookie opens it: guesses go through /unlock, throttled.
    check_reason(s.open(token, "/download", {{"X-Kho-Link-Password", "báo chí 2026"}}), 403,
                 "password_required");
    // A grant does not open a link, and a forged cookie opens nothing.
    check_reason(s.open(value.substr(value.find('=') + 1)), 403, "invalid");
    check_reason(s.open(token, "/download", {{"Cookie", "kho_link=" + token}}), 403, "password_required");

    // Guessing is throttled.
    int throttled = 0;
    for (int i = 0; i < 8; ++i) throttled += unlock("đoán " + std::to_string(i)).status == 429;
    CHECK(throttled > 0);
}

TEST_CASE("share links: never to anything unapproved, rotation keeps old links",
          "[links][integration]") {
    sharing s;
    // Only approved versions and files that exist.
    check_problem(s.n.c.request("POST", "/api/v1/share-links", bearer(s.n.reviewer),
                                json{{"asset", s.draft}, {"version", 1}}.dump()),
                  422, "unprocessable");
    check_problem(s.n.c.request("POST", "/api/v1/share-links", bearer(s.n.reviewer),
                                json{{"asset", s.poster}, {"version", 1}, {"file", "video_720p"}}.dump()),
                  422, "unprocessable");
    // Expiry is required and bounded: no "never".
    for (const auto& body : std::vector<json>{
             {{"kit", s.kit}, {"expires_in_days", 0}},
             {{"kit", s.kit}, {"expires_in_days", 91}},
             {{"kit", s.kit}, {"expires_in_days", nullptr}},
             {{"kit", s.kit}, {"expires_at", rfc3339_from_now(91 * 86400)}},
             {{"kit", s.kit}, {"expires_at", rfc3339_from_now(-60)}},
             {{"kit", s.kit}, {"expires_at", "never"}},
             {{"kit", s.kit}, {"max_downloads", 0}},
             {{"kit", s.kit}, {"password", "123"}},
             {{"kit", s.kit}, {"asset", s.poster}, {"version", 1}},
             {{"asset", s.poster}},
             {{"kit", "nonsense"}},
             {{"bogus", 1}},
         }) {
        INFO(body.dump());
        check_problem(s.n.c.request("POST", "/api/v1/share-links", bearer(s.n.reviewer), body.dump()), 400,
                      "invalid_parameter");
    }
    // Only staff share.
    check_problem(s.n.c.request("POST", "/api/v1/share-links", bearer(s.n.journalist),
                                json{{"kit", s.kit}}.dump()),
                  403, "forbidden");

    // An approved version shared, then superseded by a new approved one: the
    // old link stops reaching it.
    auto link = s.create({{"asset", s.poster}, {"version", 1}});
    auto got = s.open(link["token"], "/download");
    REQUIRE(got.status == 200);
    CHECK(got.body == s.poster_bytes);
    CHECK(got.header("content-disposition").value_or("").find(url_encode("Áp phích.png")) != std::string::npos);
    auto v2 = s.n.c.request("POST", "/api/v1/assets/" + s.poster + "/versions", bearer(s.n.designer),
                            fake_png(52));
    REQUIRE(v2.status == 201);
    s.n.approve(s.poster, {{"all_units", true}}, 2);
    check_reason(s.open(link["token"]), 410, "withdrawn");
    check_reason(s.open(link["token"], "/download", {{"Range", "bytes=10-"}}), 410, "withdrawn");

    // Rotating the signing key: old links still open, new ones use the new key.
    s.lift_embargo();
    auto before = s.create({{"kit", s.kit}});
    auto rotated = s.n.c.request("POST", "/api/v1/admin/link-keys/rotate", auth());
    INFO(rotated.body);
    REQUIRE(rotated.status == 200);
    auto after = s.create({{"kit", s.kit}});
    CHECK(s.open(before["token"]).status == 200);
    CHECK(s.open(after["token"]).status == 200);
    CHECK(before["token"] != after["token"]);
    // And after a restart (the key ring is on disk, 0600).
    s.n.server.restart();
    http_client c2(s.n.server.port());
    CHECK(c2.request("GET", "/api/v1/links/" + before["token"].get<std::string>()).status == 200);
    CHECK(c2.request("GET", "/api/v1/links/" + after["token"].get<std::string>()).status == 200);
    auto mode = std::filesystem::status(s.n.server.data_dir() / "secrets" / "link-keys.json").permissions();
    CHECK((mode & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
          std::filesystem::perms::none);
}
