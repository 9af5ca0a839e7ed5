// Bytes that people uploaded are never served in a way a browser would run
// them: an SVG with a script, whatever path it is fetched by (the original,
// a press kit's item, the kit's ZIP, a share link), comes as an attachment,
// with nosniff and a sandboxing CSP.

#include "tests/support/newsroom.hpp"

using namespace kho::test;
using json = nlohmann::json;

namespace {

const std::string hostile_svg =
    "<?xml version=\"1.0\"?>\n"
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\">"
    "<script>alert(document.cookie)</script><rect width=\"10\" height=\"10\"/></svg>\n";

void check_inert(const http_response& r, const std::string& where) {
    INFO(where << ": " << r.status);
    REQUIRE(r.status == 200);
    CHECK(r.header("X-Content-Type-Options") == "nosniff");
    CHECK(r.header("Content-Security-Policy") == "default-src 'none'; sandbox");
    CHECK(r.header("Content-Disposition").value_or("").rfind("attachment", 0) == 0);
    CHECK(r.header("Content-Type").value_or("").find("text/html") == std::string::npos);
}

}  // namespace

TEST_CASE("user bytes: a scripted SVG is inert on every path that serves it", "[security][integration]") {
    newsroom n;
    auto id = n.publish({"Biểu trưng", "poster", "", {}, "", "bieu-trung.svg"}, hostile_svg);
    check_inert(n.c.request("GET", "/api/v1/assets/" + id + "/original", bearer(n.member_hn)), "original");

    auto kit = n.c.request("POST", "/api/v1/press-kits", bearer(n.reviewer),
                           json{{"title", "Bộ tài liệu"}, {"items", {{{"asset", id}, {"version", 1}}}}}.dump());
    INFO(kit.body);
    REQUIRE(kit.status == 201);
    const std::string kit_id = json_of(kit)["id"];
    check_inert(n.c.request("GET", "/api/v1/press-kits/" + kit_id + "/items/1", bearer(n.journalist)),
                "kit item");
    auto zip = n.c.request("GET", "/api/v1/press-kits/" + kit_id + "/download", bearer(n.journalist));
    check_inert(zip, "kit ZIP");
    CHECK(zip.header("Content-Type") == "application/zip");

    auto link = n.c.request("POST", "/api/v1/share-links", bearer(n.reviewer),
                            json{{"asset", id}, {"version", 1}}.dump());
    REQUIRE(link.status == 201);
    const std::string token = json_of(link)["token"];
    check_inert(n.c.request("GET", "/api/v1/links/" + token + "/download"), "share link");
    auto kit_link = n.c.request("POST", "/api/v1/share-links", bearer(n.reviewer), json{{"kit", kit_id}}.dump());
    REQUIRE(kit_link.status == 201);
    const std::string kit_token = json_of(kit_link)["token"];
    check_inert(n.c.request("GET", "/api/v1/links/" + kit_token + "/items/1"), "kit item by link");
    check_inert(n.c.request("GET", "/api/v1/links/" + kit_token + "/download"), "kit ZIP by link");
}
