// The unit tree over HTTP: CSV import (UTF-8 with or without BOM, all or
// nothing, every bad row reported), export, CRUD, and who may do what.

#include "tests/support/people.hpp"

#include <catch2/catch.hpp>

using namespace kho::test;
using json = nlohmann::json;

namespace {

http_response import_csv(http_client& c, const std::string& csv,
                         const std::string& type = "text/csv; charset=utf-8") {
    return c.request("POST", "/api/v1/units/import", auth({{"Content-Type", type}}), csv);
}

std::size_t unit_count(http_client& c) {
    auto r = c.request("GET", "/api/v1/units?limit=10000", auth());
    REQUIRE(r.status == 200);
    return json_of(r)["items"].size();
}

}  // namespace

TEST_CASE("units: CSV import and export", "[units][integration]") {
    server_process server;
    http_client c(server.port());

    SECTION("a good file, with a BOM, then the same file again") {
        auto r = import_csv(c, "\xEF\xBB\xBF" + std::string(sample_units_csv));
        INFO(r.body);
        REQUIRE(r.status == 200);
        CHECK(json_of(r) == json{{"created", 8}, {"updated", 0}, {"unchanged", 0}});
        auto again = import_csv(c, sample_units_csv);
        REQUIRE(again.status == 200);
        CHECK(json_of(again)["unchanged"] == 8);
        // Browsing: children of a department, by level, by a diacritic-free query.
        auto hue = json_of(c.request("GET", "/api/v1/units?parent=SGD-HUE", auth()));
        CHECK(hue["items"].size() == 2);
        auto high = json_of(c.request("GET", "/api/v1/units?level=upper_secondary", auth()));
        CHECK(high["items"].size() == 3);
        auto q = json_of(c.request("GET", "/api/v1/units?q=chau%20van%20liem", auth()));
        REQUIRE(q["items"].size() == 1);
        CHECK(q["items"][0]["name"] == "Trường THPT Châu Văn Liêm");
        auto one = json_of(c.request("GET", "/api/v1/units/THPT-CVA", auth()));
        CHECK(one["ancestors"] == json{"SGD-HN", "BGDDT"});
        CHECK(one["level"] == "upper_secondary");
        // Paging.
        auto page = json_of(c.request("GET", "/api/v1/units?limit=3", auth()));
        CHECK(page["items"].size() == 3);
        auto next = json_of(c.request(
            "GET", "/api/v1/units?limit=100&cursor=" + page["next_cursor"].get<std::string>(), auth()));
        CHECK(next["items"].size() == 5);
        // Export: UTF-8 with BOM, re-importable unchanged.
        auto exported = c.request("GET", "/api/v1/units/export", auth());
        REQUIRE(exported.status == 200);
        CHECK(exported.header("Content-Type").value_or("").starts_with("text/csv"));
        CHECK(exported.body.starts_with("\xEF\xBB\xBF" "code,name,parent_code,province,level"));
        CHECK(exported.body.find("Sở GDĐT Hà Nội") != std::string::npos);
        auto reimport = import_csv(c, exported.body);
        REQUIRE(reimport.status == 200);
        CHECK(json_of(reimport)["unchanged"] == 8);
        // Updating by import: a school renamed, a new one added.
        auto update = import_csv(c,
                                 "code,name,parent_code,province,level\n"
                                 "THPT-CVA,Trường THPT Chu Văn An (Hà Nội),SGD-HN,Hà Nội,upper_secondary\n"
                                 "MN-HOASEN,Trường Mầm non Hoa Sen,SGD-CT,Cần Thơ,preschool\n");
        REQUIRE(update.status == 200);
        CHECK(json_of(update) == json{{"created", 1}, {"updated", 1}, {"unchanged", 0}});
        auto log = json_of(c.request("GET", "/api/v1/audit?action=unit.imported", auth()));
        CHECK(log["items"].size() == 4);
    }

    SECTION("a file with bad rows imports nothing and names every bad row") {
        import_sample_units(c);
        const std::string bad =
            "code,name,parent_code,province,level\n"
            "THCS-NEW,Trường THCS Mới,SGD-HN,Hà Nội,lower_secondary\n"  // fine on its own
            "THCS-X,Trường THCS X,KHONG-CO,Hà Nội,lower_secondary\n"     // line 3: unknown parent
            "THPT-Y,Trường THPT Y,SGD-HN,Hà Nội,dai_hoc\n"               // line 4: unknown level
            ",Không có mã,SGD-HN,Hà Nội,\n"                             // line 5: no code
            "THCS-NEW,Trùng mã,SGD-HN,Hà Nội,lower_secondary\n"         // line 6: duplicate
            "\"THPT-Z,Trường thiếu dấu nháy\n";                          // line 7: unterminated
        auto r = import_csv(c, bad);
        check_problem(r, 422, "unprocessable");
        auto j = json_of(r);
        std::vector<std::size_t> lines;
        for (const auto& e : j["errors"]) {
            lines.push_back(e["line"].get<std::size_t>());
            CHECK_FALSE(e["message"].get<std::string>().empty());
        }
        CHECK(lines == std::vector<std::size_t>{3, 4, 5, 6, 7});
        CHECK(unit_count(c) == 8);  // nothing imported, not even line 2
        CHECK(c.request("GET", "/api/v1/units/THCS-NEW", auth()).status == 404);
    }

    SECTION("malformed uploads") {
        check_problem(import_csv(c, sample_units_csv, "application/json"), 415,
                      "unsupported_media_type");
        check_problem(import_csv(c, "mã,tên\nA,B\n"), 422, "unprocessable");  // unknown columns
        check_problem(import_csv(c, "code,name\n\xC3\x28,x\n"), 422, "unprocessable");  // bad UTF-8
        check_problem(import_csv(c, "code,name,parent_code\nA,Gốc 1,\nB,Gốc 2,\n"), 422,
                      "unprocessable");  // two roots
        check_problem(import_csv(c, "code,name,parent_code\nR,Gốc,\nA,Vòng A,B\nB,Vòng B,A\n"), 422,
                      "unprocessable");  // a cycle
        CHECK(unit_count(c) == 0);
    }
}

TEST_CASE("units: editing, deleting, and who may", "[units][integration]") {
    server_process server;
    http_client c(server.port());
    import_sample_units(c);
    create_user(c, "cuong.le", "Lê Văn Cường", "unit_member", "THPT-CVA");
    auto member = session_for(c, "cuong.le");

    // Everyone signed in may read the tree; only an admin changes it.
    CHECK(c.request("GET", "/api/v1/units", bearer(member)).status == 200);
    CHECK(c.request("GET", "/api/v1/units/SGD-HN", bearer(member)).status == 200);
    check_problem(c.request("POST", "/api/v1/units", bearer(member), "{}"), 403, "forbidden");
    check_problem(c.request("POST", "/api/v1/units/import",
                            bearer(member, {{"Content-Type", "text/csv"}}), sample_units_csv),
                  403, "forbidden");
    check_problem(c.request("GET", "/api/v1/units/export", bearer(member)), 403, "forbidden");
    check_problem(c.request("GET", "/api/v1/units/KHONG-CO", auth()), 404, "not_found");
    check_problem(c.request("GET", "/api/v1/units", {}), 401, "unauthorized");

    auto created = c.request("POST", "/api/v1/units", auth(),
                             json{{"code", "THCS-TQT"},
                                  {"name", "Trường THCS Trưng Vương"},
                                  {"parent_code", "SGD-HN"},
                                  {"province", "Hà Nội"},
                                  {"level", "lower_secondary"}}
                                 .dump());
    REQUIRE(created.status == 201);
    check_problem(c.request("POST", "/api/v1/units", auth(), created.body.substr(0, 0) +
                                                                 json{{"code", "THCS-TQT"}, {"name", "Trùng"}, {"parent_code", "SGD-HN"}}.dump()),
                  409, "conflict");
    check_problem(c.request("POST", "/api/v1/units", auth(),
                            json{{"code", "có dấu"}, {"name", "X"}, {"parent_code", "SGD-HN"}}.dump()),
                  400, "invalid_parameter");
    check_problem(c.request("POST", "/api/v1/units", auth(),
                            json{{"code", "X1"}, {"name", "X"}, {"parent_code", "KHONG-CO"}}.dump()),
                  422, "unprocessable");
    auto renamed = c.request("PATCH", "/api/v1/units/THCS-TQT", auth(),
                             json{{"name", "Trường THCS Trưng Vương (Hoàn Kiếm)"}}.dump());
    REQUIRE(renamed.status == 200);
    CHECK(json_of(renamed)["name"] == "Trường THCS Trưng Vương (Hoàn Kiếm)");
    check_problem(c.request("PATCH", "/api/v1/units/SGD-HN", auth(),
                            json{{"parent_code", "THPT-CVA"}}.dump()),
                  422, "unprocessable");  // would make a cycle
    // A unit with children or members stays.
    check_problem(c.request("DELETE", "/api/v1/units/SGD-HN", auth()), 409, "conflict");
    check_problem(c.request("DELETE", "/api/v1/units/THPT-CVA", auth()), 409, "conflict");
    CHECK(c.request("DELETE", "/api/v1/units/THCS-TQT", auth()).status == 204);
    CHECK(c.request("GET", "/api/v1/units/THCS-TQT", auth()).status == 404);
    auto log = json_of(c.request("GET", "/api/v1/audit?target=unit:THCS-TQT", auth()));
    std::vector<std::string> actions;
    for (const auto& e : log["items"]) actions.push_back(e["action"]);
    CHECK(actions == std::vector<std::string>{"unit.deleted", "unit.updated", "unit.created"});
}
