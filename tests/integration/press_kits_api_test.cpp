// Press kits: prepared by reviewers, invisible to journalists under embargo,
// downloaded as one ZIP that unzip, zipinfo and 7z accept, whose entries
// hash to the originals, that resumes at any offset with the same bytes,
// and that never carries a version withdrawn since.

#include "tests/support/media_commands.hpp"
#include "tests/support/newsroom.hpp"
#include "tests/support/temp_dir.hpp"

#include <fstream>
#include <random>

using namespace kho::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

void write_bytes(const fs::path& p, const std::string& bytes) {
    std::ofstream f(p, std::ios::binary);
    f << bytes;
}

std::string read_bytes(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

struct press_room {
    newsroom n;
    std::string poster_bytes = fake_png(30, 200000), video_bytes = fake_png(31, 120000);
    std::string poster, video, draft;
    press_room() {
        poster = n.publish({"Áp phích Nghị quyết 71", "poster", "Nghị quyết 71", {}, "",
                            "Áp phích Nghị quyết 71.png"},
                           poster_bytes);
        video = n.publish({"Video Ngày Nhà giáo", "video", "", {}, "", "Ngày Nhà giáo 20-11.png"},
                          video_bytes);
        draft = n.upload({"Bản nháp", "poster", "", {}, "", "nháp.png"}, fake_png(32));
    }
    json kit_body(const std::string& embargo = "") {
        json body{{"title", "Thông cáo báo chí: Nghị quyết 71"},
                  {"release", "# Nghị quyết 71\n\nBộ GDĐT **công bố** tài liệu truyền thông.\n\n"
                              "<script>alert(1)</script>\n\n[chi tiết](javascript:alert(1))"},
                  {"contact", "Vụ Truyền thông, 024 3869 0000, truyenthong@moet.gov.vn"},
                  {"items",
                   {{{"asset", poster}, {"version", 1}, {"caption", "Áp phích khổ A0"}, {"credit", "Bộ GDĐT"}},
                    {{"asset", video}, {"version", 1}, {"caption", "Video 30 giây"}, {"credit", "VTV7"}}}}};
        if (!embargo.empty()) body["embargo_until"] = embargo;
        return body;
    }
    std::string create_kit(const json& body) {
        auto r = n.c.request("POST", "/api/v1/press-kits", bearer(n.reviewer), body.dump());
        INFO(r.body);
        REQUIRE(r.status == 201);
        return json_of(r)["id"];
    }
};

}  // namespace

TEST_CASE("press kits: embargo hides a kit from journalists until it lifts, staff are told why",
          "[press][integration]") {
    press_room p;
    auto& n = p.n;
    auto id = p.create_kit(p.kit_body(rfc3339_from_now(3600)));
    const std::string kit = "/api/v1/press-kits/" + id;

    // Staff see it, with its status in words.
    auto staff = n.c.request("GET", kit, bearer(n.reviewer));
    REQUIRE(staff.status == 200);
    auto sj = json_of(staff);
    CHECK(sj["status"] == "embargoed");
    CHECK(sj["status_detail"].get<std::string>().find("under embargo until") != std::string::npos);
    CHECK(sj["items"].size() == 2);
    CHECK(sj["zip"]["size"].get<long>() > long(p.poster_bytes.size() + p.video_bytes.size()));
    // The release is safe HTML: no script, no javascript: link.
    auto html = sj["release_html"].get<std::string>();
    CHECK(html.find("<strong>công bố</strong>") != std::string::npos);
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("javascript:") == std::string::npos);

    // For a journalist it does not exist: not listed, 404, no ZIP.
    check_problem(n.c.request("GET", kit, bearer(n.journalist)), 404, "not_found");
    check_problem(n.c.request("GET", kit + "/download", bearer(n.journalist)), 404, "not_found");
    auto list = n.c.request("GET", "/api/v1/press-kits", bearer(n.journalist));
    REQUIRE(list.status == 200);
    CHECK(json_of(list)["items"].empty());

    // The embargo lifts.
    auto lift = n.c.request("PATCH", kit, bearer(n.reviewer),
                            json{{"embargo_until", rfc3339_from_now(-1)}}.dump());
    INFO(lift.body);
    REQUIRE(lift.status == 200);
    auto seen = n.c.request("GET", kit, bearer(n.journalist));
    REQUIRE(seen.status == 200);
    auto jj = json_of(seen);
    CHECK(jj["status"] == "released");
    CHECK_FALSE(jj.contains("status_detail"));
    CHECK(jj["items"][0]["caption"] == "Áp phích khổ A0");
    CHECK(jj["items"][0]["credit"] == "Bộ GDĐT");
    // Items are reachable through the kit, whatever their own audience.
    CHECK(jj["items"][0]["url"] == kit + "/items/1");
    auto item = n.c.request("GET", kit + "/items/1", bearer(n.journalist));
    REQUIRE(item.status == 200);
    CHECK(item.body == p.poster_bytes);
    check_problem(n.c.request("GET", kit + "/items/3", bearer(n.journalist)), 404, "not_found");
    check_problem(n.c.request("GET", kit + "/items/x", bearer(n.journalist)), 404, "not_found");
    CHECK(json_of(n.c.request("GET", "/api/v1/press-kits", bearer(n.journalist)))["items"].size() == 1);
    CHECK(n.c.request("GET", kit + "/download", bearer(n.journalist)).status == 200);

    // Expired: gone again for journalists, still there for staff.
    REQUIRE(n.c.request("PATCH", kit, bearer(n.reviewer), json{{"embargo_until", nullptr}, {"expires_at", rfc3339_from_now(-1)}}.dump())
                .status == 200);
    check_problem(n.c.request("GET", kit, bearer(n.journalist)), 404, "not_found");
    CHECK(json_of(n.c.request("GET", kit, bearer(n.reviewer)))["status"] == "expired");
}

TEST_CASE("press kits: the ZIP passes unzip, zipinfo and 7z, and every entry hashes to its file",
          "[press][integration]") {
    press_room p;
    auto& n = p.n;
    auto id = p.create_kit(p.kit_body());
    auto r = n.c.request("GET", "/api/v1/press-kits/" + id + "/download", bearer(n.journalist));
    INFO(r.body.substr(0, 400));
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type") == "application/zip");
    CHECK(r.header("content-length") == std::to_string(r.body.size()));
    CHECK(r.header("accept-ranges") == "bytes");
    auto etag = r.header("etag").value_or("");
    REQUIRE(etag.size() > 2);
    CHECK(r.header("content-disposition").value_or("").find(url_encode("Thông cáo báo chí")) != std::string::npos);

    temp_dir dir;
    const auto zip = dir.path() / "kit.zip";
    write_bytes(zip, r.body);
    auto tested = run("LANG=C.UTF-8 unzip -t " + quoted(zip), true);
    INFO(tested.text);
    CHECK(tested.status == 0);
    CHECK(run("7z t " + quoted(zip), true).status == 0);
    auto names = run("LANG=C.UTF-8 zipinfo -1 " + quoted(zip));
    CHECK(names.text ==
          "press-release.md\npress-release.html\nmanifest.csv\n"
          "01 Áp phích Nghị quyết 71.png\n02 Ngày Nhà giáo 20-11.png\n");
    // Media are stored, not deflated.
    auto listing = run("LANG=C.UTF-8 zipinfo " + quoted(zip));
    CHECK(listing.text.find("stor") != std::string::npos);

    const auto out = dir.path() / "out";
    REQUIRE(run("LANG=C.UTF-8 unzip -q " + quoted(zip) + " -d " + quoted(out)).status == 0);
    CHECK(read_bytes(out / "01 Áp phích Nghị quyết 71.png") == p.poster_bytes);
    CHECK(read_bytes(out / "02 Ngày Nhà giáo 20-11.png") == p.video_bytes);
    auto manifest = read_bytes(out / "manifest.csv");
    CHECK(manifest.rfind("\xEF\xBB\xBF" "file,caption,credit,sha256", 0) == 0);
    CHECK(manifest.find("01 Áp phích Nghị quyết 71.png,Áp phích khổ A0,Bộ GDĐT," +
                        sha256_hex(p.poster_bytes)) != std::string::npos);
    CHECK(manifest.find(sha256_hex(p.video_bytes)) != std::string::npos);
    auto release = read_bytes(out / "press-release.html");
    CHECK(release.find("<title>Thông cáo báo chí: Nghị quyết 71</title>") != std::string::npos);
    CHECK(release.find("<script>") == std::string::npos);
    CHECK(read_bytes(out / "press-release.md").find("truyenthong@moet.gov.vn") != std::string::npos);

    // The same kit, the same bytes.
    auto again = n.c.request("GET", "/api/v1/press-kits/" + id + "/download", bearer(n.reviewer));
    CHECK(again.header("etag") == etag);
    CHECK(again.body == r.body);

    // Resuming at any offset gives exactly the rest of the same bytes.
    std::mt19937 rng(7);
    std::uniform_int_distribution<std::size_t> at(1, r.body.size() - 1);
    for (int i = 0; i < 12; ++i) {
        auto from = at(rng);
        auto part = n.c.request("GET", "/api/v1/press-kits/" + id + "/download",
                                bearer(n.journalist, {{"Range", "bytes=" + std::to_string(from) + "-"},
                                                      {"If-Range", etag}}));
        REQUIRE(part.status == 206);
        CHECK(part.body == r.body.substr(from));
    }
    auto middle = n.c.request("GET", "/api/v1/press-kits/" + id + "/download",
                              bearer(n.journalist, {{"Range", "bytes=100-199,5000-5099"}}));
    CHECK(middle.status == 206);
    CHECK(middle.header("content-type").value_or("").rfind("multipart/byteranges", 0) == 0);

    // A version withdrawn after the kit was made leaves the ZIP (and the
    // kit as journalists see it); staff see why.
    REQUIRE(n.step(n.reviewer, p.video, 1, "archive", {{"comment", "hết hạn sử dụng"}}).status == 200);
    auto after = n.c.request("GET", "/api/v1/press-kits/" + id + "/download", bearer(n.journalist));
    REQUIRE(after.status == 200);
    CHECK(after.header("etag") != etag);
    write_bytes(zip, after.body);
    CHECK(run("LANG=C.UTF-8 zipinfo -1 " + quoted(zip)).text ==
          "press-release.md\npress-release.html\nmanifest.csv\n01 Áp phích Nghị quyết 71.png\n");
    CHECK(json_of(n.c.request("GET", "/api/v1/press-kits/" + id, bearer(n.journalist)))["items"].size() == 1);
    auto staff = json_of(n.c.request("GET", "/api/v1/press-kits/" + id, bearer(n.reviewer)));
    CHECK(staff["items"][1]["available"] == false);
    CHECK(staff["items"][1]["reason"] == "version 1 is archived, not approved");
    // An If-Range with the old ETag gets the whole new archive, not a
    // splice of two.
    auto stale = n.c.request("GET", "/api/v1/press-kits/" + id + "/download",
                             bearer(n.journalist, {{"Range", "bytes=1000-"}, {"If-Range", etag}}));
    CHECK(stale.status == 200);
    CHECK(stale.body == after.body);

    // Kit downloads are counted: the journalist's and the reviewer's whole
    // ones, the archive after the change and its stale-If-Range restart;
    // the twelve resumed ranges belong to the first.
    auto rep = json_of(n.c.request("GET", "/api/v1/reports/downloads?group_by=kit", auth()));
    REQUIRE(rep["items"].size() == 1);
    CHECK(rep["items"][0]["key"] == id);
    CHECK(rep["items"][0]["downloads"] == 4);
}

TEST_CASE("press kits: bad input gets a clear 4xx and changes nothing", "[press][integration]") {
    press_room p;
    auto& n = p.n;
    auto post = [&](const std::string& token, const json& body) {
        return n.c.request("POST", "/api/v1/press-kits", bearer(token), body.dump());
    };
    // Only staff prepare kits.
    check_problem(post(n.designer, p.kit_body()), 403, "forbidden");
    check_problem(post(n.journalist, p.kit_body()), 403, "forbidden");
    // Unapproved material cannot go in.
    auto with_draft = p.kit_body();
    with_draft["items"].push_back({{"asset", p.draft}, {"version", 1}});
    auto r = post(n.reviewer, with_draft);
    check_problem(r, 422, "unprocessable");
    CHECK(json_of(r)["detail"].get<std::string>().find("items[2]") != std::string::npos);
    // Nor material outside its validity window (approved for later).
    auto later = n.upload({"Áp phích tháng sau", "poster", "", {}, "", "sau.png"}, fake_png(33));
    n.approve(later, {{"all_units", true}, {"press", true}}, 1, {{"valid_from", rfc3339_from_now(2 * 86400)}});
    auto with_later = p.kit_body();
    with_later["items"].push_back({{"asset", later}, {"version", 1}});
    auto refused = post(n.reviewer, with_later);
    check_problem(refused, 422, "unprocessable");
    CHECK(json_of(refused)["detail"].get<std::string>().find("validity window") != std::string::npos);
    auto missing_file = p.kit_body();
    missing_file["items"][0]["file"] = "video_720p";
    check_problem(post(n.reviewer, missing_file), 422, "unprocessable");
    // Malformed fields.
    for (const auto& [field, value] : std::vector<std::pair<std::string, json>>{
             {"title", ""},
             {"title", 42},
             {"items", "poster"},
             {"items", json::array({{{"asset", "nope"}, {"version", 1}}})},
             {"items", json::array({{{"asset", p.poster}, {"version", 0}}})},
             {"items", json::array({{{"asset", p.poster}, {"version", 1}, {"file", "../../etc/passwd"}}})},
             {"embargo_until", "tomorrow"},
             {"colour", "red"}}) {
        auto body = p.kit_body();
        body[field] = value;
        INFO(field << " = " << value.dump());
        check_problem(post(n.reviewer, body), 400, "invalid_parameter");
    }
    auto backwards = p.kit_body(rfc3339_from_now(3600));
    backwards["expires_at"] = rfc3339_from_now(60);
    check_problem(post(n.reviewer, backwards), 400, "invalid_parameter");
    check_problem(n.c.request("POST", "/api/v1/press-kits", bearer(n.reviewer), "{not json"), 400,
                  "bad_request");
    // Nothing was stored.
    CHECK(json_of(n.c.request("GET", "/api/v1/press-kits", bearer(n.reviewer)))["items"].empty());

    // A stale If-Match loses nothing.
    auto id = p.create_kit(p.kit_body());
    check_problem(n.c.request("PATCH", "/api/v1/press-kits/" + id,
                              bearer(n.reviewer, {{"If-Match", "\"r7\""}}), json{{"title", "X"}}.dump()),
                  412, "precondition_failed");
    CHECK(json_of(n.c.request("GET", "/api/v1/press-kits/" + id, bearer(n.reviewer)))["title"] ==
          "Thông cáo báo chí: Nghị quyết 71");
    check_problem(n.c.request("GET", "/api/v1/press-kits/nonsense", bearer(n.reviewer)), 404, "not_found");
    REQUIRE(n.c.request("DELETE", "/api/v1/press-kits/" + id, bearer(n.reviewer)).status == 204);
    check_problem(n.c.request("GET", "/api/v1/press-kits/" + id, bearer(n.reviewer)), 404, "not_found");
}
