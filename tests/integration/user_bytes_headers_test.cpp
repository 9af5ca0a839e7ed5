// Bytes that people uploaded are never served in a way a browser would run
// them: an SVG with a script, whatever path it is fetched by (the original,
// a press kit's item, the kit's ZIP, a share link), comes as an attachment,
// with nosniff and a sandboxing CSP. HTML declared as an image is refused,
// and image/HTML polyglots are stored unchanged but never served as pages.

#include "tests/support/media_commands.hpp"
#include "tests/support/newsroom.hpp"
#include "tests/support/temp_dir.hpp"

#include <fstream>
#include <iterator>
#include <thread>
#include <tuple>

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

TEST_CASE("user bytes: HTML dressed as an image is refused, and image polyglots are served inert",
          "[security][integration]") {
    newsroom n;
    // An HTML page named and declared as a PNG: kho believes the bytes.
    const std::string page = "<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n";
    auto refused = n.c.request("POST", "/api/v1/assets?filename=poster.png",
                               bearer(n.designer, {{"Content-Type", "image/png"}}), page);
    CHECK(refused.status == 415);
    CHECK(json_of(refused)["code"] == "unsupported_media_type");

    // A real GIF with an HTML page after its trailer (a GIF/HTML polyglot)
    // and a JPEG with a script in a comment: images to every decoder, pages
    // to a browser that sniffs.
    temp_dir dir("polyglot");
    const auto gif = dir.path() / "p.gif";
    const auto jpg = dir.path() / "p.jpg";
    REQUIRE(run("convert -size 32x32 xc:red " + quoted(gif)).status == 0);
    REQUIRE(run("convert -size 32x32 xc:blue -set comment '<script>alert(1)</script>' " + quoted(jpg)).status == 0);
    auto read = [](const std::filesystem::path& p) {
        std::ifstream in(p, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    const std::string gif_polyglot = read(gif) + page;
    const std::string jpg_polyglot = read(jpg);
    REQUIRE(jpg_polyglot.find("<script>") != std::string::npos);

    for (const auto& [name, bytes, type] :
         {std::tuple{std::string("tho-moi.gif"), gif_polyglot, std::string("image/gif")},
          std::tuple{std::string("anh.jpg"), jpg_polyglot, std::string("image/jpeg")}}) {
        INFO(name);
        auto id = n.publish({"Đa định dạng", "poster", "", {}, "", name}, bytes);
        auto original = n.c.request("GET", "/api/v1/assets/" + id + "/original", bearer(n.member_hn));
        check_inert(original, "original " + name);
        CHECK(original.header("Content-Type") == type);
        CHECK(original.body == bytes);  // stored and served unchanged, but inert

        // The thumbnail is kho's own re-encoding: no byte of the page survives.
        http_response thumb;
        for (int i = 0; i < 300; ++i) {
            thumb = n.c.request("GET", "/api/v1/assets/" + id + "/versions/1/renditions/thumb", bearer(n.member_hn));
            if (thumb.status == 200) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        REQUIRE(thumb.status == 200);
        CHECK(thumb.header("Content-Type") == "image/webp");
        CHECK(thumb.header("X-Content-Type-Options") == "nosniff");
        CHECK(thumb.body.find("<script") == std::string::npos);
        CHECK(thumb.body.rfind("RIFF", 0) == 0);
    }
}
