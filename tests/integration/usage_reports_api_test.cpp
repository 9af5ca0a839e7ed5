// Usage: every download is an event; a download resumed with ranges counts
// once; reports by material, unit, province, level and day equal what the
// raw events say; coverage names the schools that downloaded nothing; CSV
// opens in Excel with Vietnamese intact.

#include "tests/support/newsroom.hpp"

#include <map>

using namespace kho::test;
using json = nlohmann::json;

namespace {

json report(http_client& c, const std::string& query) {
    auto r = c.request("GET", "/api/v1/reports/" + query, auth());
    INFO(query << " -> " << r.body);
    REQUIRE(r.status == 200);
    return json_of(r);
}

std::map<std::string, long> downloads_by_key(const json& rep) {
    std::map<std::string, long> out;
    for (const auto& item : rep.at("items")) out[item.at("key")] = item.at("downloads").get<long>();
    return out;
}

struct usage_fixture {
    newsroom n;
    std::string poster, video, poster_bytes = fake_png(11, 5000), video_bytes = fake_png(12, 3000);
    usage_fixture() {
        poster = n.publish({"Áp phích Nghị quyết 71", "poster", "Nghị quyết 71", {}, ""}, poster_bytes);
        video = n.publish({"Video Ngày Nhà giáo 20/11", "video", "", {}, ""}, video_bytes);
    }
    http_response get(const std::string& token, const std::string& asset,
                      const header_fields& extra = {}) {
        return n.c.request("GET", "/api/v1/assets/" + asset + "/original", bearer(token, extra));
    }
};

}  // namespace

TEST_CASE("usage: downloads are counted once each, per material, unit, province, level and day",
          "[usage][integration]") {
    usage_fixture f;
    auto& n = f.n;
    const auto size = f.poster_bytes.size();

    // Hà Nội (upper secondary): the poster once, the video twice.
    REQUIRE(f.get(n.member_hn, f.poster).status == 200);
    REQUIRE(f.get(n.member_hn, f.video).status == 200);
    REQUIRE(f.get(n.member_hn, f.video).status == 200);
    // Huế (primary): the poster in three ranges, as a resumed download
    // sends them: one download, complete.
    auto part1 = f.get(n.member_hue_primary, f.poster, {{"Range", "bytes=0-999"}});
    REQUIRE(part1.status == 206);
    auto part2 = f.get(n.member_hue_primary, f.poster, {{"Range", "bytes=1000-2999"}});
    REQUIRE(part2.status == 206);
    auto part3 = f.get(n.member_hue_primary, f.poster, {{"Range", "bytes=3000-"}});
    REQUIRE(part3.status == 206);
    CHECK(part1.body + part2.body + part3.body == f.poster_bytes);
    // Not downloads: a HEAD, a 304, a refused request.
    REQUIRE(n.c.request("HEAD", "/api/v1/assets/" + f.poster + "/original", bearer(n.member_hn)).status == 200);
    auto etag = part1.header("etag").value_or("");
    REQUIRE(f.get(n.member_hn, f.poster, {{"If-None-Match", etag}}).status == 304);
    REQUIRE(f.get(n.member_hn, f.poster, {{"Range", "bytes=99999-"}}).status == 416);

    // By material.
    auto by_asset = report(n.c, "downloads?group_by=asset");
    CHECK(by_asset["totals"]["downloads"] == 4);
    CHECK(by_asset["totals"]["complete"] == 4);
    CHECK(downloads_by_key(by_asset) == std::map<std::string, long>{{f.poster, 2}, {f.video, 2}});
    CHECK(by_asset["items"][0]["label"].is_string());
    for (const auto& item : by_asset["items"])
        if (item["key"] == f.poster) {
            CHECK(item["label"] == "Áp phích Nghị quyết 71");
            CHECK(item["bytes"].get<std::size_t>() == 2 * size);
        }
    // By unit, province, level.
    CHECK(downloads_by_key(report(n.c, "downloads?group_by=unit")) ==
          std::map<std::string, long>{{"THPT-CVA", 3}, {"TH-VD", 1}});
    CHECK(downloads_by_key(report(n.c, "downloads?group_by=province")) ==
          std::map<std::string, long>{{"Hà Nội", 3}, {"Huế", 1}});
    CHECK(downloads_by_key(report(n.c, "downloads?group_by=level")) ==
          std::map<std::string, long>{{"upper_secondary", 3}, {"primary", 1}});
    // Narrowed to one province: what Huế's units downloaded.
    CHECK(downloads_by_key(report(n.c, "downloads?group_by=asset&province=" + url_encode("Huế"))) ==
          std::map<std::string, long>{{f.poster, 1}});
    CHECK(report(n.c, "downloads?group_by=asset&province=" + url_encode("Cần Thơ"))["items"].empty());
    // A unit that changes province later keeps its past downloads where
    // they happened.
    auto moved = n.c.request("PATCH", "/api/v1/units/TH-VD", auth(), json{{"province", "Đà Nẵng"}}.dump());
    INFO(moved.body);
    REQUIRE(moved.status == 200);
    CHECK(downloads_by_key(report(n.c, "downloads?group_by=province")) ==
          std::map<std::string, long>{{"Hà Nội", 3}, {"Huế", 1}});
    // By day: every day of the default 30-day period, today's four.
    auto by_day = report(n.c, "downloads?group_by=day");
    REQUIRE(by_day["items"].size() == 30);
    CHECK(by_day["items"].back()["downloads"] == 4);
    CHECK(by_day["items"].front()["downloads"] == 0);
    // A period without downloads.
    CHECK(report(n.c, "downloads?from=2020-01-01&to=2020-01-31")["totals"]["downloads"] == 0);

    // The counters equal a count made from the raw events.
    auto events = report(n.c, "downloads/events");
    REQUIRE(events["items"].size() == 4);
    std::map<std::string, long> counted, bytes;
    for (const auto& e : events["items"]) {
        counted[e["asset"]] += 1;
        bytes[e["asset"]] += e["bytes_sent"].get<long>();
        CHECK(e["complete"] == true);
        CHECK(e["size"] == (e["asset"] == f.poster ? f.poster_bytes.size() : f.video_bytes.size()));
    }
    CHECK(counted == downloads_by_key(by_asset));
    for (const auto& item : by_asset["items"]) CHECK(bytes[item["key"]] == item["bytes"].get<long>());
    // The resumed download: three requests, one event.
    for (const auto& e : events["items"])
        if (e["unit"] == "TH-VD") {
            CHECK(e["requests"] == 3);
            CHECK(e["province"] == "Huế");
            CHECK(e["level"] == "primary");
        }
}

TEST_CASE("usage: a cut-off download is partial until it is resumed to the end",
          "[usage][integration]") {
    usage_fixture f;
    auto& n = f.n;
    // A client that asks for the first half and never comes back.
    REQUIRE(f.get(n.member_hn, f.video, {{"Range", "bytes=0-99"}}).status == 206);
    auto rep = report(n.c, "downloads?group_by=asset");
    CHECK(rep["totals"]["downloads"] == 1);
    CHECK(rep["totals"]["complete"] == 0);
    CHECK(rep["totals"]["bytes"] == 100);
    // It resumes: still one download, now complete.
    REQUIRE(f.get(n.member_hn, f.video, {{"Range", "bytes=100-"}}).status == 206);
    rep = report(n.c, "downloads?group_by=asset");
    CHECK(rep["totals"]["downloads"] == 1);
    CHECK(rep["totals"]["complete"] == 1);
    CHECK(rep["totals"]["bytes"].get<std::size_t>() == f.video_bytes.size());
    // Starting again from byte 0 is a new download.
    REQUIRE(f.get(n.member_hn, f.video).status == 200);
    CHECK(report(n.c, "downloads?group_by=asset")["totals"]["downloads"] == 2);
}

TEST_CASE("usage: coverage names who downloaded a material and who did not",
          "[usage][integration]") {
    usage_fixture f;
    auto& n = f.n;
    REQUIRE(f.get(n.member_hn, f.poster).status == 200);

    auto cov = report(n.c, "coverage?asset=" + f.poster);
    CHECK(cov["asset"]["title"] == "Áp phích Nghị quyết 71");
    CHECK(cov["units_total"] == 7);  // every unit but the Ministry
    CHECK(cov["units_downloaded"] == 1);
    CHECK(cov["provinces_downloaded"] == 1);
    std::map<std::string, json> by_province;
    for (const auto& p : cov["provinces"]) by_province[p["province"]] = p;
    REQUIRE(by_province.count("Hà Nội") == 1);
    CHECK(by_province["Hà Nội"]["downloaded"][0]["code"] == "THPT-CVA");
    CHECK(by_province["Hà Nội"]["downloaded"][0]["downloads"] == 1);
    CHECK(by_province["Huế"]["units_downloaded"] == 0);
    CHECK(by_province["Huế"]["not_downloaded"].size() == 3);

    // Which schools downloaded nothing at all: upper-secondary schools
    // outside Hà Nội.
    auto idle = report(n.c, "coverage?level=upper_secondary");
    std::vector<std::string> none;
    for (const auto& p : idle["provinces"])
        for (const auto& u : p["not_downloaded"]) none.push_back(u["code"]);
    std::sort(none.begin(), none.end());
    CHECK(none == std::vector<std::string>{"THPT-CVL", "THPT-QH"});

    // As CSV for Excel: BOM, Vietnamese headers and names.
    auto csv = n.c.request("GET", "/api/v1/reports/coverage?format=csv&asset=" + f.poster, auth());
    REQUIRE(csv.status == 200);
    CHECK(csv.header("content-type").value_or("") == "text/csv; charset=utf-8");
    CHECK(csv.body.rfind("\xEF\xBB\xBF", 0) == 0);
    CHECK(csv.body.find("Tỉnh/thành phố,Mã đơn vị,Tên đơn vị") != std::string::npos);
    CHECK(csv.body.find("Hà Nội,THPT-CVA,Trường THPT Chu Văn An,upper_secondary,có,1,") !=
          std::string::npos);
    CHECK(csv.body.find("Cần Thơ,THPT-CVL,Trường THPT Châu Văn Liêm,upper_secondary,chưa,0,0") !=
          std::string::npos);
    CHECK(csv.header("content-disposition").value_or("").find("filename*=UTF-8''") != std::string::npos);
}

TEST_CASE("usage: CSV exports cannot smuggle spreadsheet formulas", "[usage][integration]") {
    newsroom n;
    auto id = n.publish({"=HYPERLINK(\"http://evil.example\",\"bấm vào\")", "poster", "", {}, ""},
                        fake_png(40));
    REQUIRE(n.c.request("GET", "/api/v1/assets/" + id + "/original", bearer(n.member_hn)).status == 200);
    auto csv = n.c.request("GET", "/api/v1/reports/downloads?group_by=asset",
                           auth({{"Accept", "text/csv"}}));
    REQUIRE(csv.status == 200);
    CHECK(csv.body.find("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"bấm vào\"\")\"") != std::string::npos);
}

TEST_CASE("usage: reports are the ministry's, bad parameters get 400", "[usage][integration]") {
    newsroom n;
    check_problem(n.c.request("GET", "/api/v1/reports/downloads", bearer(n.member_hn)), 403, "forbidden");
    check_problem(n.c.request("GET", "/api/v1/reports/coverage", bearer(n.designer)), 403, "forbidden");
    check_problem(n.c.request("GET", "/api/v1/reports/downloads/events", bearer(n.journalist)), 403,
                  "forbidden");
    CHECK(n.c.request("GET", "/api/v1/reports/downloads", bearer(n.reviewer)).status == 200);
    for (const char* q : {"downloads?group_by=school", "downloads?from=2026-02-30x",
                          "downloads?from=2026-12-01&to=2026-11-01", "downloads?format=xml",
                          "downloads?from=2000-01-01&to=2026-01-01", "downloads?limit=0",
                          "coverage?asset=nonsense", "coverage?level=kindergarten",
                          "downloads/events?cursor=xyz", "downloads?group_by=unit&province=Hu%E1%BA%BF"}) {
        INFO(q);
        check_problem(n.c.request("GET", std::string("/api/v1/reports/") + q, auth()), 400,
                      "invalid_parameter");
    }
    check_problem(n.c.request("GET", "/api/v1/reports/coverage?asset=01ARZ3NDEKTSV4RRFFQ69G5FAV",
                              auth()),
                  404, "not_found");
}
