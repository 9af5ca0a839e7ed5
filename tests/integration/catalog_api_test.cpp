// The catalog as a teacher, a designer and a reviewer use it: Vietnamese
// folding, prefixes, filters, facets, pages, and never a version the caller
// may not see.

#include "tests/support/newsroom.hpp"

#include <set>

using namespace kho::test;
using json = nlohmann::json;

namespace {

json search(http_client& c, const std::string& token, const std::string& query) {
    auto r = c.request("GET", "/api/v1/catalog?" + query, bearer(token));
    INFO(query << " -> " << r.body);
    REQUIRE(r.status == 200);
    return json_of(r);
}

std::vector<std::string> titles(const json& page) {
    std::vector<std::string> out;
    for (const auto& item : page.at("items")) out.push_back(item.at("title").get<std::string>());
    return out;
}

bool has_title(const json& page, const std::string& title) {
    auto t = titles(page);
    return std::find(t.begin(), t.end(), title) != t.end();
}

int facet(const json& page, const std::string& dim, const std::string& value) {
    for (const auto& f : page.at("facets").at(dim))
        if (f.at("value") == value) return f.at("count").get<int>();
    return 0;
}

struct library {
    newsroom n;
    std::string poster, video, infographic, draft, unaccented;
    library() {
        poster = n.publish({"Áp phích Nghị quyết 71", "poster", "Nghị quyết 71", {"chuyển đổi số"},
                            "Áp phích khổ A0 cho bảng tin nhà trường"},
                           fake_png(1));
        video = n.publish({"Video Nghị quyết 71 cho học sinh", "video", "Nghị quyết 71",
                           {"học sinh"}, ""},
                          fake_png(2));
        // Offered to primary schools only.
        infographic = n.publish({"Đồ họa đào tạo giáo viên tiểu học", "infographic",
                                 "Bồi dưỡng giáo viên", {"đào tạo", "giáo viên"}, ""},
                                fake_png(3), {{"levels", {"primary"}}});
        draft = n.upload({"Nghị quyết 71 bản nháp", "poster", "Nghị quyết 71", {}, ""}, fake_png(4));
        unaccented = n.publish({"Nghi quyet 71 hoi dap", "document", "", {}, ""}, fake_png(5));
    }
};

}  // namespace

TEST_CASE("catalog: a teacher finds approved materials typing without diacritics",
          "[catalog][integration]") {
    library lib;
    auto& n = lib.n;

    // The story: "nghi quyet 71 poster" finds the poster first.
    auto page = search(n.c, n.member_hn, "q=" + url_encode("nghi quyet 71 poster"));
    REQUIRE(page["items"].size() >= 1);
    CHECK(page["items"][0]["title"] == "Áp phích Nghị quyết 71");
    CHECK(page["items"][0]["version"]["state"] == "approved");
    // Its files: the print original with its size.
    auto files = page["items"][0]["files"];
    REQUIRE(files.size() >= 1);
    CHECK(files[0]["name"] == "original");
    CHECK(files[0]["label"] == "Bản in gốc");
    CHECK(files[0]["size"].get<std::size_t>() == fake_png(1).size());

    // Without the kind: every approved material about it, never the draft.
    page = search(n.c, n.member_hn, "q=" + url_encode("nghi quyet 71"));
    CHECK(has_title(page, "Áp phích Nghị quyết 71"));
    CHECK(has_title(page, "Video Nghị quyết 71 cho học sinh"));
    CHECK(has_title(page, "Nghi quyet 71 hoi dap"));
    CHECK_FALSE(has_title(page, "Nghị quyết 71 bản nháp"));
    CHECK(page["total"] == 3);

    // An accented query finds the unaccented spelling too.
    page = search(n.c, n.member_hn, "q=" + url_encode("Nghị quyết hỏi đáp"));
    CHECK(titles(page) == std::vector<std::string>{"Nghi quyet 71 hoi dap"});

    // Search as you type: the last word is a prefix.
    page = search(n.c, n.member_hn, "q=" + url_encode("nghi quy"));
    CHECK(page["total"] == 3);
    page = search(n.c, n.member_hn, "q=" + url_encode("chuyen doi s"));
    CHECK(titles(page) == std::vector<std::string>{"Áp phích Nghị quyết 71"});
    // Earlier words are whole words.
    CHECK(search(n.c, n.member_hn, "q=" + url_encode("ngh quyet"))["total"] == 0);

    // "dao tao" finds "đào tạo" for the primary school it targets, not for
    // an upper-secondary school.
    page = search(n.c, n.member_hue_primary, "q=" + url_encode("dao tao"));
    CHECK(titles(page) == std::vector<std::string>{"Đồ họa đào tạo giáo viên tiểu học"});
    CHECK(search(n.c, n.member_hn, "q=" + url_encode("dao tao"))["total"] == 0);

    // Staff see drafts; a designer sees their own draft.
    CHECK(has_title(search(n.c, n.reviewer, "q=" + url_encode("ban nhap")), "Nghị quyết 71 bản nháp"));
    CHECK(has_title(search(n.c, n.designer, "q=" + url_encode("ban nhap")), "Nghị quyết 71 bản nháp"));
    CHECK(search(n.c, n.member_hn, "q=" + url_encode("ban nhap"))["total"] == 0);
    // "Mine": a designer's own materials, drafts included.
    auto mine = search(n.c, n.designer, "mine=true");
    CHECK(mine["total"] == 5);
    CHECK(search(n.c, n.reviewer, "mine=true")["total"] == 0);
    // A reviewer can ask for approved versions only.
    CHECK(search(n.c, n.reviewer, "q=" + url_encode("ban nhap") + "&state=approved")["total"] == 0);
}

TEST_CASE("catalog: filters, facets and pages", "[catalog][integration]") {
    library lib;
    auto& n = lib.n;

    // Everything the Hà Nội teacher may see, newest first: 3 (not the
    // primary infographic, not the draft).
    auto all = search(n.c, n.member_hn, "");
    CHECK(all["total"] == 3);
    CHECK(titles(all) == std::vector<std::string>{"Nghi quyet 71 hoi dap",
                                                  "Video Nghị quyết 71 cho học sinh",
                                                  "Áp phích Nghị quyết 71"});
    CHECK(facet(all, "kind", "poster") == 1);
    CHECK(facet(all, "kind", "video") == 1);
    CHECK(facet(all, "kind", "document") == 1);
    CHECK(facet(all, "kind", "infographic") == 0);
    CHECK(facet(all, "campaign", "Nghị quyết 71") == 2);
    CHECK(facet(all, "tag", "học sinh") == 1);

    // A kind filter narrows the items but the kind facet still counts the
    // other kinds (so a person can switch).
    auto videos = search(n.c, n.member_hn, "kind=video");
    CHECK(titles(videos) == std::vector<std::string>{"Video Nghị quyết 71 cho học sinh"});
    CHECK(facet(videos, "kind", "poster") == 1);
    CHECK(facet(videos, "campaign", "Nghị quyết 71") == 1);

    // Campaign and tag filters compare folded.
    auto campaign = search(n.c, n.member_hn, "campaign=" + url_encode("nghi quyet 71"));
    CHECK(campaign["total"] == 2);
    auto tagged = search(n.c, n.member_hn, "tag=" + url_encode("Chuyển Đổi Số"));
    CHECK(titles(tagged) == std::vector<std::string>{"Áp phích Nghị quyết 71"});

    // Education level: the staff view filtered to what primary schools get.
    auto primary = search(n.c, n.reviewer, "level=primary&state=approved");
    CHECK(primary["total"] == 4);
    auto upper = search(n.c, n.reviewer, "level=upper_secondary&state=approved");
    CHECK(upper["total"] == 3);
    CHECK_FALSE(has_title(upper, "Đồ họa đào tạo giáo viên tiểu học"));

    // Date range (Vietnam days): everything was approved today.
    CHECK(search(n.c, n.member_hn, "from=2000-01-01")["total"] == 3);
    CHECK(search(n.c, n.member_hn, "to=2000-01-01")["total"] == 0);

    // Pages of one: the same items in the same order, each once.
    std::vector<std::string> paged;
    std::string cursor;
    for (int i = 0; i < 10; ++i) {
        auto p = search(n.c, n.member_hn, "limit=1" + (cursor.empty() ? "" : "&cursor=" + url_encode(cursor)));
        for (const auto& t : titles(p)) paged.push_back(t);
        if (p["next_cursor"].is_null()) break;
        cursor = p["next_cursor"].get<std::string>();
    }
    CHECK(paged == titles(all));
    // Relevance pages too.
    paged.clear();
    cursor.clear();
    auto ranked = search(n.c, n.member_hn, "q=" + url_encode("nghi quyet"));
    for (int i = 0; i < 10; ++i) {
        auto p = search(n.c, n.member_hn,
                        "q=" + url_encode("nghi quyet") + "&limit=2" +
                            (cursor.empty() ? "" : "&cursor=" + url_encode(cursor)));
        for (const auto& t : titles(p)) paged.push_back(t);
        if (p["next_cursor"].is_null()) break;
        cursor = p["next_cursor"].get<std::string>();
    }
    CHECK(paged == titles(ranked));
}

TEST_CASE("catalog: changes reach the index in the same commit", "[catalog][integration]") {
    library lib;
    auto& n = lib.n;
    auto q = "q=" + url_encode("ap phich");

    // Renamed: found by its new words only.
    auto got = n.c.request("GET", "/api/v1/assets/" + lib.poster, bearer(n.designer));
    REQUIRE(got.status == 200);
    auto revision = json_of(got)["revision"].get<int>();
    auto patched = n.c.request("PATCH", "/api/v1/assets/" + lib.poster,
                               auth({{"If-Match", "\"r" + std::to_string(revision) + "\""}}),
                               json{{"title", "Tranh cổ động Nghị quyết 71"}}.dump());
    INFO(patched.body);
    REQUIRE(patched.status == 200);
    CHECK(search(n.c, n.member_hn, "q=" + url_encode("tranh co dong"))["total"] == 1);
    CHECK_FALSE(has_title(search(n.c, n.member_hn, q), "Áp phích Nghị quyết 71"));

    // Trashed: gone from every search; restored: back.
    auto trash = n.c.request("DELETE", "/api/v1/assets/" + lib.video, auth());
    INFO(trash.body);
    REQUIRE(trash.status == 200);
    CHECK_FALSE(has_title(search(n.c, n.member_hn, "q=video"), "Video Nghị quyết 71 cho học sinh"));
    CHECK_FALSE(has_title(search(n.c, n.reviewer, "q=video"), "Video Nghị quyết 71 cho học sinh"));
    REQUIRE(n.c.request("POST", "/api/v1/assets/" + lib.video + "/restore", auth()).status == 200);
    CHECK(has_title(search(n.c, n.member_hn, "q=video"), "Video Nghị quyết 71 cho học sinh"));

    // Archived: no longer offered to units.
    REQUIRE(n.step(n.reviewer, lib.video, 1, "archive", {{"comment", "hết hạn"}}).status == 200);
    CHECK(search(n.c, n.member_hn, "q=video")["total"] == 0);

    // Purged: gone for staff too, and the index holds nothing of it after a
    // restart (the postings went in the purge's commit).
    REQUIRE(n.c.request("DELETE", "/api/v1/assets/" + lib.unaccented, auth()).status == 200);
    auto purge = n.c.request("DELETE", "/api/v1/assets/" + lib.unaccented + "?permanent=true", auth());
    INFO(purge.body);
    REQUIRE(purge.status == 204);
    n.server.restart();
    http_client c2(n.server.port());
    CHECK(search(c2, n.reviewer, "q=" + url_encode("hoi dap"))["total"] == 0);
    CHECK(search(c2, n.member_hn, "q=" + url_encode("tranh co dong"))["total"] == 1);

    // kho reindex rebuilds the same answers.
    auto re = c2.request("POST", "/api/v1/admin/reindex", auth());
    INFO(re.body);
    REQUIRE(re.status == 200);
    CHECK(json_of(re)["indexed_assets"] == 4);
    CHECK(search(c2, n.member_hn, "q=" + url_encode("tranh co dong"))["total"] == 1);
    CHECK(search(c2, n.member_hue_primary, "q=" + url_encode("dao tao"))["total"] == 1);
    check_problem(c2.request("POST", "/api/v1/admin/reindex", bearer(n.member_hn)), 403, "forbidden");
}

TEST_CASE("catalog: malformed parameters get 400 and a problem", "[catalog][integration]") {
    newsroom n;
    auto bad = [&](const std::string& query) {
        auto r = n.c.request("GET", "/api/v1/catalog?" + query, bearer(n.member_hn));
        INFO(query);
        check_problem(r, 400, "invalid_parameter");
    };
    bad("kind=poem");
    bad("level=kindergarten");
    bad("from=2026-13-01");
    bad("to=yesterday");
    bad("cursor=garbage");
    bad("cursor=1.2.notanid");
    bad("limit=0");
    bad("limit=101");
    bad("state=published");
    bad("q=" + std::string(201, 'a'));
    // The whole query string must be UTF-8.
    check_problem(n.c.request("GET", "/api/v1/catalog?q=%FF%FE", bearer(n.member_hn)), 400,
                  "bad_request");
    CHECK(n.c.request("GET", "/api/v1/catalog", {}).status == 401);
}
