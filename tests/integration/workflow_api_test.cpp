// The approval workflow end to end, as the issue tells it: a designer
// uploads and submits a poster; a reviewer rejects it with a comment; the
// designer uploads a corrected version and resubmits; the reviewer approves
// it for the upper-secondary schools of two provinces in a window. Only
// then, and only those schools, see and download it. Every step is audited.

#include "tests/support/fixtures.hpp"
#include "tests/support/people.hpp"

#include <catch2/catch.hpp>

using namespace kho::test;
using json = nlohmann::json;

namespace {

struct newsroom {
    server_process server;
    http_client c{0};
    std::string designer, designer2, reviewer, member_hn, member_hue_primary, member_ct,
        journalist;
    std::string designer_id, reviewer_id;

    newsroom() : c(server.port()) {
        import_sample_units(c);
        designer_id = create_user(c, "lan.nguyen", "Nguyễn Thị Lan", "designer");
        create_user(c, "hoa.tran", "Trần Thị Hoa", "designer");
        reviewer_id = create_user(c, "binh.tran", "Trần Văn Bình", "reviewer");
        create_user(c, "cuong.le", "Lê Văn Cường", "unit_member", "THPT-CVA");
        create_user(c, "dung.pham", "Phạm Thị Dung", "unit_member", "TH-VD");
        create_user(c, "em.vo", "Võ Văn Em", "unit_member", "THPT-CVL");
        create_user(c, "phong.vien", "Phóng viên Báo GD&TĐ", "journalist");
        designer = session_for(c, "lan.nguyen");
        designer2 = session_for(c, "hoa.tran");
        reviewer = session_for(c, "binh.tran");
        member_hn = session_for(c, "cuong.le");
        member_hue_primary = session_for(c, "dung.pham");
        member_ct = session_for(c, "em.vo");
        journalist = session_for(c, "phong.vien");
    }

    http_response step(const std::string& token, const std::string& asset, int n,
                       const std::string& action, const json& body = json::object()) {
        return c.request("POST",
                         "/api/v1/assets/" + asset + "/versions/" + std::to_string(n) + "/" + action,
                         bearer(token), body.dump());
    }
    int status_of(const std::string& token, const std::string& target) {
        return c.request("GET", target, bearer(token)).status;
    }
};

std::string upload(newsroom& n, const std::string& token, const std::string& target,
                   std::uint32_t seed) {
    auto r = n.c.request("POST", target, bearer(token, {{"Content-Type", "image/png"}}),
                         fake_png(seed));
    INFO(r.body);
    REQUIRE(r.status == 201);
    auto j = json_of(r);
    return j.contains("versions") ? j["id"].get<std::string>() : std::to_string(j["number"].get<int>());
}

}  // namespace

TEST_CASE("the review story from draft to the schools it targets", "[workflow][integration]") {
    newsroom n;
    auto id = upload(n, n.designer,
                     "/api/v1/assets?title=" "%C3%81p%20ph%C3%ADch%20Ngh%E1%BB%8B%20quy%E1%BA%BFt%2071",
                     1);
    const std::string asset = "/api/v1/assets/" + id;

    // A draft is the designer's alone.
    CHECK(n.status_of(n.designer, asset) == 200);
    CHECK(n.status_of(n.designer2, asset) == 404);
    CHECK(n.status_of(n.member_hn, asset) == 404);
    CHECK(n.status_of(n.journalist, asset) == 404);
    CHECK(n.status_of(n.reviewer, asset) == 200);

    // Nothing to approve yet: 409 names what is allowed.
    auto early = n.step(n.reviewer, id, 1, "approve", {{"audience", {{"all_units", true}}}});
    check_problem(early, 409, "conflict");
    CHECK(json_of(early)["allowed_actions"] == json{"submit"});
    CHECK(json_of(early)["state"] == "draft");
    // Only its designer submits it; another designer cannot even see it.
    check_problem(n.step(n.designer2, id, 1, "submit"), 404, "not_found");
    check_problem(n.step(n.reviewer, id, 1, "submit"), 403, "forbidden");
    auto submitted = n.step(n.designer, id, 1, "submit");
    REQUIRE(submitted.status == 200);
    CHECK(json_of(submitted)["state"] == "in_review");

    // The review queue, oldest first.
    auto queue = n.c.request("GET", "/api/v1/reviews", bearer(n.reviewer));
    REQUIRE(queue.status == 200);
    REQUIRE(json_of(queue)["items"].size() == 1);
    CHECK(json_of(queue)["items"][0]["id"] == id);
    CHECK(json_of(queue)["items"][0]["version"]["number"] == 1);
    check_problem(n.c.request("GET", "/api/v1/reviews", bearer(n.designer)), 403, "forbidden");

    // The designer cannot approve their own work; a rejection needs a comment.
    check_problem(n.step(n.designer, id, 1, "approve", {{"audience", {{"all_units", true}}}}), 403,
                  "forbidden");
    check_problem(n.step(n.reviewer, id, 1, "reject"), 422, "unprocessable");
    auto rejected = n.step(n.reviewer, id, 1, "reject", {{"comment", "Logo của Bộ bị sai màu."}});
    REQUIRE(rejected.status == 200);
    CHECK(json_of(rejected)["state"] == "rejected");
    CHECK(json_of(rejected)["reviewed"]["comment"] == "Logo của Bộ bị sai màu.");
    CHECK(json_of(n.c.request("GET", "/api/v1/reviews", bearer(n.reviewer)))["items"].empty());

    // A comment thread on the version.
    auto said = n.c.request("POST", asset + "/versions/1/comments", bearer(n.designer),
                            json{{"text", "Em đã sửa màu logo theo bộ nhận diện."}}.dump());
    REQUIRE(said.status == 201);
    auto thread = n.c.request("GET", asset + "/versions/1/comments", bearer(n.reviewer));
    REQUIRE(thread.status == 200);
    CHECK(json_of(thread)["items"][0]["text"] == "Em đã sửa màu logo theo bộ nhận diện.");
    check_problem(n.c.request("GET", asset + "/versions/1/comments", bearer(n.member_hn)), 404,
                  "not_found");

    // A corrected version, resubmitted, approved for upper-secondary schools
    // of Hà Nội and Huế, from 1 December to 31 March (dates in Vietnam time).
    REQUIRE(upload(n, n.designer, asset + "/versions", 2) == "2");
    REQUIRE(n.step(n.designer, id, 2, "submit").status == 200);
    json approval{{"audience", {{"provinces", {"Hà Nội", "Huế"}}, {"levels", {"upper_secondary"}}}},
                  {"valid_from", "2026-11-01"},
                  {"valid_until", "2099-03-31"},
                  {"comment", "Đạt yêu cầu."}};
    auto approved = n.step(n.reviewer, id, 2, "approve", approval);
    INFO(approved.body);
    REQUIRE(approved.status == 200);
    CHECK(json_of(approved)["state"] == "approved");
    CHECK(json_of(approved)["valid_from"] == "2026-10-31T17:00:00.000Z");
    CHECK(json_of(approved)["valid_until"] == "2099-03-31T17:00:00.000Z");
    CHECK(json_of(approved)["audience"]["levels"] == json{"upper_secondary"});

    // Only the targeted schools see and download it; the rejected draft stays hidden.
    CHECK(n.status_of(n.member_hn, asset) == 200);
    CHECK(n.status_of(n.member_hn, asset + "/original") == 200);
    CHECK(n.status_of(n.member_hn, asset + "/versions/2/original") == 200);
    CHECK(n.status_of(n.member_hn, asset + "/versions/1/original") == 404);
    auto seen = json_of(n.c.request("GET", asset, bearer(n.member_hn)));
    REQUIRE(seen["versions"].size() == 1);
    CHECK(seen["versions"][0]["number"] == 2);
    CHECK(n.status_of(n.member_hue_primary, asset) == 404);  // Huế, but a primary school
    CHECK(n.status_of(n.member_ct, asset + "/original") == 404);  // Cần Thơ is not targeted
    CHECK(n.status_of(n.journalist, asset) == 404);          // not for the press
    // The catalogue lists it only for them.
    auto listed = [&](const std::string& token) {
        auto j = json_of(n.c.request("GET", "/api/v1/assets", bearer(token)));
        for (const auto& item : j["items"])
            if (item["id"] == id) return true;
        return false;
    };
    CHECK(listed(n.member_hn));
    CHECK_FALSE(listed(n.member_ct));
    CHECK(listed(n.designer2));  // the published library
    // What a unit is offered (what `kho export --approved --unit` copies).
    auto offered = [&](const std::string& token, const std::string& query) {
        auto r = n.c.request("GET", "/api/v1/published" + query, bearer(token));
        INFO(r.body);
        REQUIRE(r.status == 200);
        auto j = json_of(r);
        for (const auto& item : j["items"])
            if (item["id"] == id) return item["version"]["number"].get<int>();
        return 0;
    };
    CHECK(offered(n.member_hn, "") == 2);
    CHECK(offered(n.member_ct, "") == 0);
    CHECK(offered(n.reviewer, "?unit=THPT-CVA") == 2);
    CHECK(offered(n.reviewer, "?unit=THPT-QH") == 2);
    CHECK(offered(n.reviewer, "?unit=THPT-CVL") == 0);
    CHECK(offered(n.reviewer, "?unit=SGD-HN") == 0);  // a department is not a school
    CHECK(offered(n.designer, "") == 2);
    check_problem(n.c.request("GET", "/api/v1/published?unit=THPT-CVL", bearer(n.member_hn)), 404,
                  "not_found");
    check_problem(n.c.request("GET", "/api/v1/published?unit=THPT-CVA", bearer(n.designer)), 403,
                  "forbidden");
    check_problem(n.c.request("GET", "/api/v1/published?unit=KHONG-CO", auth()), 404, "not_found");

    // A new version goes through review while version 2 stays published.
    REQUIRE(upload(n, n.designer, asset + "/versions", 3) == "3");
    REQUIRE(n.step(n.designer, id, 3, "submit").status == 200);
    CHECK(n.status_of(n.member_hn, asset + "/versions/3/original") == 404);
    auto latest = n.c.request("GET", asset + "/original", bearer(n.member_hn));
    REQUIRE(latest.status == 200);
    CHECK(latest.body == fake_png(2));
    // Approving version 3 supersedes version 2.
    REQUIRE(n.step(n.reviewer, id, 3, "approve", {{"audience", {{"all_units", true}}}}).status == 200);
    auto v2 = json_of(n.c.request("GET", asset + "/versions/2", auth()));
    CHECK(v2["state"] == "archived");
    CHECK(n.c.request("GET", asset + "/original", bearer(n.member_ct)).body == fake_png(3));
    // Archived: no longer offered.
    REQUIRE(n.step(n.reviewer, id, 3, "archive").status == 200);
    CHECK(n.status_of(n.member_ct, asset) == 404);
    check_problem(n.step(n.reviewer, id, 3, "archive"), 409, "conflict");

    // Every step is in the audit log, with actor, target and comment.
    auto log = json_of(n.c.request("GET", "/api/v1/audit?target=asset:" + id + "/v1", auth()));
    std::vector<std::string> actions;
    for (const auto& e : log["items"]) actions.push_back(e["action"]);
    CHECK(actions == std::vector<std::string>{"comment.added", "version.rejected",
                                              "version.submitted", "asset.created"});
    CHECK(log["items"][1]["actor"] == n.reviewer_id);
    CHECK(log["items"][1]["comment"] == "Logo của Bộ bị sai màu.");
    CHECK(log["items"][1]["client_address"] == "127.0.0.1");
    auto v2log = json_of(n.c.request("GET", "/api/v1/audit?target=asset:" + id + "/v2", auth()));
    std::vector<std::string> v2actions;
    for (const auto& e : v2log["items"]) v2actions.push_back(e["action"]);
    CHECK(v2actions == std::vector<std::string>{"version.archived", "version.approved",
                                                "version.submitted", "version.created"});
    // Only an admin reads it; no API changes it.
    check_problem(n.c.request("GET", "/api/v1/audit", bearer(n.reviewer)), 403, "forbidden");
    CHECK(n.c.request("DELETE", "/api/v1/audit", auth()).status == 405);
}

TEST_CASE("workflow refusals: bad bodies, other people's assets, trash", "[workflow][integration]") {
    newsroom n;
    auto id = upload(n, n.designer, "/api/v1/assets?title=Infographic", 7);
    REQUIRE(n.step(n.designer, id, 1, "submit").status == 200);
    // Bad approval bodies: 400/422 with nothing changed.
    check_problem(n.step(n.reviewer, id, 1, "approve"), 422, "unprocessable");
    check_problem(n.step(n.reviewer, id, 1, "approve", {{"audience", {{"levels", {"đại học"}}}}}),
                  400, "invalid_parameter");
    check_problem(n.step(n.reviewer, id, 1, "approve", {{"audience", {{"units", {"KHONG-CO"}}}}}),
                  400, "invalid_parameter");
    check_problem(n.step(n.reviewer, id, 1, "approve",
                         {{"audience", {{"all_units", true}}}, {"valid_from", "31/12/2026"}}),
                  400, "invalid_parameter");
    check_problem(n.step(n.reviewer, id, 1, "approve",
                         {{"audience", {{"all_units", true}}},
                          {"valid_from", "2027-01-02"},
                          {"valid_until", "2027-01-01"}}),
                  422, "unprocessable");
    check_problem(n.step(n.reviewer, id, 1, "approve", {{"audience", {{"all_units", true}}}, {"x", 1}}),
                  400, "invalid_parameter");
    auto raw = n.c.request("POST", "/api/v1/assets/" + id + "/versions/1/approve",
                           bearer(n.reviewer), "{not json");
    check_problem(raw, 400, "bad_request");
    CHECK(json_of(n.c.request("GET", "/api/v1/assets/" + id + "/versions/1", auth()))["state"] ==
          "in_review");
    // Unknown asset or version: 404 whoever asks.
    check_problem(n.step(n.reviewer, "01ARZ3NDEKTSV4RRFFQ69G5FAV", 1, "approve"), 404, "not_found");
    check_problem(n.step(n.reviewer, id, 9, "approve"), 404, "not_found");
    check_problem(n.step(n.reviewer, id, 0, "approve"), 404, "not_found");
    // A unit member cannot upload; another designer cannot add a version.
    check_problem(n.c.request("POST", "/api/v1/assets?title=x",
                              bearer(n.member_hn, {{"Content-Type", "image/png"}}), fake_png(8)),
                  403, "forbidden");
    check_problem(n.c.request("POST", "/api/v1/assets/" + id + "/versions",
                              bearer(n.designer2, {{"Content-Type", "image/png"}}), fake_png(9)),
                  404, "not_found");
    // Published material is withdrawn by an admin, not by its designer.
    REQUIRE(n.step(n.reviewer, id, 1, "approve", {{"audience", {{"press", true}}}}).status == 200);
    CHECK(n.status_of(n.journalist, "/api/v1/assets/" + id) == 200);
    check_problem(n.c.request("DELETE", "/api/v1/assets/" + id, bearer(n.designer)), 403,
                  "forbidden");
    REQUIRE(n.c.request("DELETE", "/api/v1/assets/" + id, auth()).status == 200);
    CHECK(n.status_of(n.journalist, "/api/v1/assets/" + id) == 404);
    check_problem(n.step(n.reviewer, id, 1, "archive"), 409, "conflict");
    // Only its designer (or an admin) brings it back; deletion and restore are audited.
    check_problem(n.c.request("POST", "/api/v1/assets/" + id + "/restore", bearer(n.reviewer)), 403,
                  "forbidden");
    check_problem(n.c.request("POST", "/api/v1/assets/" + id + "/restore", bearer(n.designer2)), 404,
                  "not_found");
    REQUIRE(n.c.request("POST", "/api/v1/assets/" + id + "/restore", bearer(n.designer)).status == 200);
    REQUIRE(n.c.request("DELETE", "/api/v1/assets/" + id, auth()).status == 200);
    check_problem(n.c.request("DELETE", "/api/v1/assets/" + id + "?permanent=true", bearer(n.designer)),
                  403, "forbidden");
    REQUIRE(n.c.request("DELETE", "/api/v1/assets/" + id + "?permanent=true", auth()).status == 204);
    auto log = json_of(n.c.request("GET", "/api/v1/audit?target=asset:" + id, auth()));
    std::vector<std::string> actions;
    for (const auto& e : log["items"]) actions.push_back(e["action"]);
    CHECK(actions == std::vector<std::string>{"asset.purged", "asset.trashed", "asset.restored",
                                              "asset.trashed"});
    CHECK(log["items"][2]["actor"] == n.designer_id);
}
