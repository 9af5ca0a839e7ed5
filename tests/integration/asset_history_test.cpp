// An asset's history, from the audit log, for the people who work on it.

#include "tests/support/newsroom.hpp"

using namespace kho::test;
using json = nlohmann::json;

TEST_CASE("asset history: every step of the asset and its versions, newest first",
          "[workflow][integration]") {
    newsroom n;
    auto id = n.upload({"Áp phích Nghị quyết 71", "poster", "", {}, ""}, fake_png(60));
    REQUIRE(n.step(n.designer, id, 1, "submit").status == 200);
    // The queue says who submitted it, by name, and carries the renditions.
    auto queue = json_of(n.c.request("GET", "/api/v1/reviews", bearer(n.reviewer)));
    REQUIRE(queue["items"].size() == 1);
    CHECK(queue["items"][0]["version"]["submitted"]["by_name"] == "Nguyễn Thị Lan");
    CHECK(queue["items"][0]["version"]["renditions"].is_array());
    REQUIRE(n.step(n.reviewer, id, 1, "reject", {{"comment", "Sai logo Bộ"}}).status == 200);
    REQUIRE(n.c.request("POST", "/api/v1/assets/" + id + "/versions", bearer(n.designer), fake_png(61)).status == 201);
    n.approve(id, {{"all_units", true}}, 2);
    // Another asset's steps stay out of it.
    n.upload({"Khác", "poster", "", {}, ""}, fake_png(62));

    auto r = n.c.request("GET", "/api/v1/assets/" + id + "/history", bearer(n.reviewer));
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto body = json_of(r);
    std::vector<std::string> actions;
    for (const auto& e : body["items"]) actions.push_back(e["action"]);
    CHECK(actions == std::vector<std::string>{"version.approved", "version.submitted", "version.created",
                                              "version.rejected", "version.submitted", "asset.created"});
    CHECK(body["items"][3]["comment"] == "Sai logo Bộ");
    CHECK(body["items"][3]["actor_name"] == "Trần Văn Bình");
    // Comments name their authors.
    REQUIRE(n.c.request("POST", "/api/v1/assets/" + id + "/versions/2/comments", bearer(n.reviewer),
                        json{{"text", "Đẹp"}}.dump())
                .status == 201);
    auto comments = json_of(n.c.request("GET", "/api/v1/assets/" + id + "/versions/2/comments", bearer(n.designer)));
    CHECK(comments["items"][0]["author_name"] == "Trần Văn Bình");
    // The designer sees their own asset's history; a school and a journalist do not.
    CHECK(n.c.request("GET", "/api/v1/assets/" + id + "/history", bearer(n.designer)).status == 200);
    check_problem(n.c.request("GET", "/api/v1/assets/" + id + "/history", bearer(n.member_hn)), 403, "forbidden");
    check_problem(n.c.request("GET", "/api/v1/assets/01M8BP8SA89534FJ4VESRSV56S/history", bearer(n.reviewer)), 404,
                  "not_found");
}
