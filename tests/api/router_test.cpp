#include "api/router.hpp"
#include "api/system_handler.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

using kho::api::body_kind;
using kho::api::make_router;
using kho::api::route;
using kho::api::route_match;
using kho::api::router;

namespace {

const std::string k_id = "01KAZ8MSBS7RQ4ZV1D8XE9J2MN";

const router& table() {
    static const router r = make_router();
    return r;
}

std::set<std::string> as_set(const std::vector<std::string>& v) {
    return {v.begin(), v.end()};
}

std::string upper(std::string s) {
    for (auto& ch : s)
        if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    return s;
}

}  // namespace

TEST_CASE("make_router matches every route with its parameters", "[router]") {
    struct expectation {
        std::string method;
        std::string path;
        std::string pattern;
        std::vector<std::string> params;
    };
    const std::vector<expectation> cases{
        {"GET", "/healthz", "/healthz", {}},
        {"GET", "/readyz", "/readyz", {}},
        {"GET", "/metrics", "/metrics", {}},
        {"GET", "/api/v1/openapi.json", "/api/v1/openapi.json", {}},
        {"GET", "/api/v1/assets", "/api/v1/assets", {}},
        {"POST", "/api/v1/assets", "/api/v1/assets", {}},
        {"GET", "/api/v1/assets/" + k_id, "/api/v1/assets/{id}", {k_id}},
        {"PATCH", "/api/v1/assets/" + k_id, "/api/v1/assets/{id}", {k_id}},
        {"DELETE", "/api/v1/assets/" + k_id, "/api/v1/assets/{id}", {k_id}},
        {"POST", "/api/v1/assets/" + k_id + "/restore", "/api/v1/assets/{id}/restore", {k_id}},
        {"GET", "/api/v1/assets/" + k_id + "/versions", "/api/v1/assets/{id}/versions", {k_id}},
        {"POST", "/api/v1/assets/" + k_id + "/versions", "/api/v1/assets/{id}/versions", {k_id}},
        {"GET",
         "/api/v1/assets/" + k_id + "/versions/3",
         "/api/v1/assets/{id}/versions/{n}",
         {k_id, "3"}},
        {"GET", "/api/v1/assets/" + k_id + "/original", "/api/v1/assets/{id}/original", {k_id}},
        {"GET",
         "/api/v1/assets/" + k_id + "/versions/12/original",
         "/api/v1/assets/{id}/versions/{n}/original",
         {k_id, "12"}},
    };
    for (const auto& c : cases) {
        INFO(c.method << " " << c.path);
        auto m = table().match(c.method, c.path);
        REQUIRE(m.matched != nullptr);
        CHECK(m.matched->method == c.method);
        CHECK(m.matched->pattern == c.pattern);
        CHECK(m.params == c.params);
    }
}

TEST_CASE("route flags", "[router]") {
    auto flags = [](const char* method, const std::string& path) {
        auto m = table().match(method, path);
        REQUIRE(m.matched != nullptr);
        return std::pair{m.matched->needs_auth, m.matched->body};
    };
    CHECK(flags("GET", "/healthz") == std::pair{false, body_kind::none});
    CHECK(flags("GET", "/readyz") == std::pair{false, body_kind::none});
    CHECK(flags("GET", "/api/v1/openapi.json") == std::pair{false, body_kind::none});
    CHECK(flags("POST", "/api/v1/assets") == std::pair{true, body_kind::upload});
    CHECK(flags("POST", "/api/v1/assets/" + k_id + "/versions") ==
          std::pair{true, body_kind::upload});
    CHECK(flags("PATCH", "/api/v1/assets/" + k_id) == std::pair{true, body_kind::json});
    CHECK(flags("GET", "/api/v1/assets") == std::pair{true, body_kind::none});
    CHECK(flags("DELETE", "/api/v1/assets/" + k_id) == std::pair{true, body_kind::none});
    for (const auto& r : table().routes()) CHECK(static_cast<bool>(r.fn));
}

TEST_CASE("parameters are captured as given", "[router]") {
    SECTION("percent-decoded text with spaces and Vietnamese letters") {
        auto m = table().match("GET", "/api/v1/assets/Áp phích 71");
        REQUIRE(m.matched != nullptr);
        CHECK(m.params == std::vector<std::string>{"Áp phích 71"});
    }
    SECTION("the router does not validate ids or numbers") {
        auto m = table().match("GET", "/api/v1/assets/x/versions/abc");
        REQUIRE(m.matched != nullptr);
        CHECK(m.matched->pattern == "/api/v1/assets/{id}/versions/{n}");
        CHECK(m.params == std::vector<std::string>{"x", "abc"});
    }
    SECTION("a parameter may look like a literal segment") {
        auto m = table().match("GET", "/api/v1/assets/versions");
        REQUIRE(m.matched != nullptr);
        CHECK(m.matched->pattern == "/api/v1/assets/{id}");
        CHECK(m.params == std::vector<std::string>{"versions"});
    }
}

TEST_CASE("HEAD is answered by the GET route", "[router]") {
    for (const std::string& path :
         std::vector<std::string>{"/healthz", "/api/v1/assets", "/api/v1/assets/" + k_id,
                                  "/api/v1/assets/" + k_id + "/original",
                                  "/api/v1/assets/" + k_id + "/versions/2/original"}) {
        INFO(path);
        auto head = table().match("HEAD", path);
        auto get = table().match("GET", path);
        REQUIRE(head.matched != nullptr);
        CHECK(head.matched == get.matched);
        CHECK(head.matched->method == "GET");
        CHECK(head.params == get.params);
    }
    SECTION("HEAD on a path without GET is 405") {
        auto m = table().match("HEAD", "/api/v1/assets/" + k_id + "/restore");
        CHECK(m.matched == nullptr);
        CHECK(as_set(m.allowed) == std::set<std::string>{"POST"});
    }
}

TEST_CASE("a known path with another method lists the allowed methods", "[router]") {
    SECTION("asset") {
        auto m = table().match("PUT", "/api/v1/assets/" + k_id);
        CHECK(m.matched == nullptr);
        CHECK(as_set(m.allowed) == std::set<std::string>{"GET", "HEAD", "PATCH", "DELETE"});
        CHECK(m.allowed.size() == 4);
    }
    SECTION("collection") {
        auto m = table().match("DELETE", "/api/v1/assets");
        CHECK(m.matched == nullptr);
        CHECK(as_set(m.allowed) == std::set<std::string>{"GET", "HEAD", "POST"});
    }
    SECTION("versions") {
        auto m = table().match("PATCH", "/api/v1/assets/" + k_id + "/versions");
        CHECK(m.matched == nullptr);
        CHECK(as_set(m.allowed) == std::set<std::string>{"GET", "HEAD", "POST"});
    }
    SECTION("restore") {
        auto m = table().match("GET", "/api/v1/assets/" + k_id + "/restore");
        CHECK(m.matched == nullptr);
        CHECK(as_set(m.allowed) == std::set<std::string>{"POST"});
    }
    SECTION("system") {
        for (std::string path : {"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"}) {
            auto m = table().match("POST", path);
            CHECK(m.matched == nullptr);
            CHECK(as_set(m.allowed) == std::set<std::string>{"GET", "HEAD"});
        }
    }
    SECTION("methods are case-sensitive") {
        auto m = table().match("get", "/healthz");
        CHECK(m.matched == nullptr);
        CHECK(as_set(m.allowed) == std::set<std::string>{"GET", "HEAD"});
    }
}

TEST_CASE("unknown paths do not match", "[router]") {
    for (const std::string& path : std::vector<std::string>{
             "/", "", "/api", "/api/v1", "/api/v2/assets", "/api/v1/asset", "/API/V1/ASSETS",
             "/healthz/extra", "/api/v1/assets/" + k_id + "/versions/2/original/more",
             "/api/v1/assets/" + k_id + "/unknown", "/api/v1/openapi.yaml"}) {
        INFO("path \"" << path << "\"");
        auto m = table().match("GET", path);
        CHECK(m.matched == nullptr);
        CHECK(m.allowed.empty());
    }
}

TEST_CASE("empty segments and trailing slashes do not match parameters", "[router]") {
    for (const std::string& path : std::vector<std::string>{
             "/api/v1/assets/", "/api/v1/assets//versions", "/api/v1/assets//original",
             "/api/v1/assets/" + k_id + "/versions/",
             "/api/v1/assets/" + k_id + "/versions//original", "/api/v1/assets/" + k_id + "/",
             "/healthz/", "//healthz", "/api//v1/assets"}) {
        for (const char* method : {"GET", "POST", "PATCH", "DELETE", "HEAD"}) {
            INFO(method << " \"" << path << "\"");
            auto m = table().match(method, path);
            CHECK(m.matched == nullptr);
            CHECK(m.allowed.empty());
            CHECK(m.params.empty());
        }
    }
}

TEST_CASE("a router built by hand", "[router]") {
    router r;
    r.add({"GET", "/a/{x}/b/{y}", {}, false});
    r.add({"POST", "/a/{x}/b/{y}", {}, true, body_kind::json});
    r.add({"GET", "/a/fixed", {}, false});
    SECTION("parameters in order") {
        auto m = r.match("GET", "/a/một/b/hai");
        REQUIRE(m.matched != nullptr);
        CHECK(m.params == std::vector<std::string>{"một", "hai"});
    }
    SECTION("first added route wins") {
        r.add({"GET", "/a/{other}", {}, false});
        auto m = r.match("GET", "/a/fixed");
        REQUIRE(m.matched != nullptr);
        CHECK(m.matched->pattern == "/a/fixed");
    }
    SECTION("method choice on a shared pattern") {
        auto m = r.match("POST", "/a/1/b/2");
        REQUIRE(m.matched != nullptr);
        CHECK(m.matched->body == body_kind::json);
        auto bad = r.match("DELETE", "/a/1/b/2");
        CHECK(bad.matched == nullptr);
        CHECK(as_set(bad.allowed) == std::set<std::string>{"GET", "HEAD", "POST"});
    }
    SECTION("an empty router") {
        router empty;
        auto m = empty.match("GET", "/");
        CHECK(m.matched == nullptr);
        CHECK(m.allowed.empty());
    }
    CHECK(r.routes().size() >= 3);
}

TEST_CASE("the routing table has no duplicate routes", "[router]") {
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& r : table().routes()) {
        INFO(r.method << " " << r.pattern);
        CHECK(seen.insert({r.method, r.pattern}).second);
        CHECK(r.pattern.starts_with("/"));
        CHECK(r.method == upper(r.method));
    }
}

TEST_CASE("HEAD uses a route's own HEAD handler when it has one, else its GET handler",
          "[router]") {
    auto upload = table().match("HEAD", "/api/v1/uploads/" + k_id);
    REQUIRE(upload.matched != nullptr);
    CHECK(upload.matched->method == "HEAD");  // tus answers HEAD itself
    CHECK(upload.params == std::vector<std::string>{k_id});
    auto download = table().match("HEAD", "/api/v1/assets/" + k_id + "/original");
    REQUIRE(download.matched != nullptr);
    CHECK(download.matched->method == "GET");
    CHECK(table().match("OPTIONS", "/api/v1/uploads").matched != nullptr);
}

TEST_CASE("the OpenAPI document describes exactly the routing table", "[router][openapi]") {
    auto doc = nlohmann::json::parse(kho::api::openapi_document, nullptr, false);
    REQUIRE_FALSE(doc.is_discarded());
    REQUIRE(doc.contains("paths"));
    REQUIRE(doc["paths"].is_object());

    static const std::set<std::string> http_methods{"get",     "put",  "post",  "delete",
                                                    "options", "head", "patch", "trace"};
    using key = std::pair<std::string, std::string>;  // (METHOD, pattern)
    std::map<key, const nlohmann::json*> documented;
    for (const auto& [path, item] : doc["paths"].items()) {
        REQUIRE(item.is_object());
        for (const auto& [method, operation] : item.items()) {
            // OpenAPI spells methods in lower case; other keys are "parameters", "summary"...
            if (!http_methods.count(method)) continue;
            documented[{upper(method), path}] = &operation;
        }
    }
    std::map<key, const route*> routed;
    for (const auto& r : table().routes()) routed[{r.method, r.pattern}] = &r;

    for (const auto& [k, op] : documented) {
        INFO("documented in openapi.json but not routed: " << k.first << " " << k.second);
        CHECK(routed.count(k) == 1);
    }
    for (const auto& [k, r] : routed) {
        INFO("routed but not documented in openapi.json: " << k.first << " " << k.second);
        CHECK(documented.count(k) == 1);
    }
    std::set<key> documented_keys;
    std::set<key> routed_keys;
    for (const auto& [k, op] : documented) documented_keys.insert(k);
    for (const auto& [k, r] : routed) routed_keys.insert(k);
    REQUIRE(documented_keys == routed_keys);
    REQUIRE(routed_keys.size() == table().routes().size());

    SECTION("authentication and request bodies agree") {
        const auto& global_security =
            doc.contains("security") ? doc["security"] : nlohmann::json::array();
        for (const auto& [k, op] : documented) {
            const route* r = routed.at(k);
            INFO(k.first << " " << k.second);
            const auto& security = op->contains("security") ? op->at("security") : global_security;
            CHECK(r->needs_auth == !security.empty());
            bool has_body = op->contains("requestBody");
            CHECK(has_body == (r->body != body_kind::none));
            if (r->body == body_kind::json) {
                CHECK((has_body && op->at("requestBody")
                                       .value("content", nlohmann::json::object())
                                       .contains("application/json")));
            }
        }
    }
}
