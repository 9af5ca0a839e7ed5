// The assets API end to end against the real server: create (raw and
// multipart), list, inspect, edit with If-Match, versions, trash, restore,
// purge, and what every bad input gets.

#include "tests/support/fixtures.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>

using namespace kho::test;
using json = nlohmann::json;

namespace {

json body_json(const http_response& r) {
    return json::parse(r.body);
}

json create_raw(http_client& c, const std::string& query, const std::string& bytes) {
    auto r = c.request("POST", "/api/v1/assets?" + query, auth(), bytes);
    INFO(r.body);
    REQUIRE(r.status == 201);
    return body_json(r);
}

void require_problem(const http_response& r, int status, const std::string& code) {
    INFO(r.status << " " << r.body);
    REQUIRE(r.status == status);
    REQUIRE(r.header("Content-Type").value_or("") == "application/problem+json");
    auto j = body_json(r);
    REQUIRE(j["status"] == status);
    REQUIRE(j["code"] == code);
    REQUIRE_FALSE(j["detail"].get<std::string>().empty());
}

std::size_t files_in(const std::filesystem::path& dir) {
    std::size_t n = 0;
    for (auto& e : std::filesystem::recursive_directory_iterator(dir))
        if (e.is_regular_file()) ++n;
    return n;
}

std::string multipart_body(const std::string& boundary, const std::string& file_name,
                           const std::string& file_bytes,
                           const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string b;
    for (const auto& [name, value] : fields)
        b += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" +
             value + "\r\n";
    b += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
         file_name + "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + file_bytes + "\r\n";
    b += "--" + boundary + "--\r\n";
    return b;
}

}  // namespace

TEST_CASE("a raw upload creates an asset with sniffed type, Vietnamese metadata and a Location") {
    server_process server;
    http_client c(server.port());
    auto png = fake_png(1);
    auto r = c.request(
        "POST",
        "/api/v1/assets?filename=%C3%81p%20ph%C3%ADch%20Ngh%E1%BB%8B%20quy%E1%BA%BFt%2071.png"
        "&campaign=Ngh%E1%BB%8B%20quy%E1%BA%BFt%2071-NQ%2FTW&tags=chuy%E1%BB%83n%20%C4%91%E1%BB%"
        "95i%20s%E1%BB%91,nq71",
        auth({{"Content-Type", "text/plain"}}), png);
    INFO(r.body);
    REQUIRE(r.status == 201);
    auto a = body_json(r);
    CHECK(a["title"] == "Áp phích Nghị quyết 71.png");
    CHECK(a["campaign"] == "Nghị quyết 71-NQ/TW");
    CHECK(a["tags"] == json::array({"chuyển đổi số", "nq71"}));
    CHECK(a["kind"] == "poster");
    CHECK(a["revision"] == 1);
    CHECK(a["versions"][0]["content_type"] == "image/png");  // not the client's text/plain
    CHECK(a["versions"][0]["sha256"] == sha256_hex(png));
    CHECK(a["versions"][0]["size"] == png.size());
    CHECK(r.header("Location").value_or("") == "/api/v1/assets/" + a["id"].get<std::string>());
    // "r<revision>-<digest of the body>": If-Match checks the revision.
    CHECK(r.header("ETag").value_or("").rfind("\"r1-", 0) == 0);

    auto got = c.request("GET", "/api/v1/assets/" + a["id"].get<std::string>(), auth());
    REQUIRE(got.status == 200);
    CHECK(body_json(got)["title"] == "Áp phích Nghị quyết 71.png");
}

TEST_CASE("the file name of a raw upload comes from Content-Disposition") {
    server_process server;
    http_client c(server.port());
    auto r = c.request(
        "POST", "/api/v1/assets",
        auth(
            {{"Content-Disposition",
              "attachment; filename=\"x.png\"; filename*=UTF-8''%C4%90%C3%A0o%20t%E1%BA%A1o.png"}}),
        fake_png(2));
    REQUIRE(r.status == 201);
    CHECK(body_json(r)["versions"][0]["file_name"] == "Đào tạo.png");
}

TEST_CASE("a multipart upload streams the file part and takes metadata fields") {
    server_process server;
    http_client c(server.port());
    auto png = fake_png(3, 300000);
    auto body = multipart_body("----kho-test-boundary", "../../Infographic Đào tạo.png", png,
                               {{"title", "Infographic: thầy ra thầy, trò ra trò"},
                                {"description", "Dòng 1\nDòng 2"},
                                {"kind", "infographic"},
                                {"tags", "giáo viên"},
                                {"tags", "học sinh"},
                                {"language", "vi"}});
    auto r = c.request(
        "POST", "/api/v1/assets",
        auth({{"Content-Type", "multipart/form-data; boundary=----kho-test-boundary"}}), body);
    INFO(r.body);
    REQUIRE(r.status == 201);
    auto a = body_json(r);
    CHECK(a["title"] == "Infographic: thầy ra thầy, trò ra trò");
    CHECK(a["description"] == "Dòng 1\nDòng 2");
    CHECK(a["kind"] == "infographic");
    CHECK(a["tags"] == json::array({"giáo viên", "học sinh"}));
    CHECK(a["versions"][0]["file_name"] == "Infographic Đào tạo.png");  // no path
    CHECK(a["versions"][0]["sha256"] == sha256_hex(png));
}

TEST_CASE("bad uploads get a 4xx problem and leave nothing behind") {
    server_process server;
    http_client c(server.port());
    auto blobs = server.data_dir() / "blobs";
    auto tmp = server.data_dir() / "tmp";

    SECTION("HTML named .png is refused by content: 415") {
        require_problem(
            c.request("POST", "/api/v1/assets?filename=poster.png", auth(),
                      "<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"),
            415, "unsupported_media_type");
    }
    SECTION("an ImageMagick MVG script named .jpg: 415") {
        require_problem(c.request("POST", "/api/v1/assets?filename=a.jpg", auth(),
                                  "push graphic-context\nviewbox 0 0 640 480\nimage over 0,0 0,0 "
                                  "'/etc/passwd'\npop graphic-context\n"),
                        415, "unsupported_media_type");
    }
    SECTION("an empty file: 415") {
        require_problem(c.request("POST", "/api/v1/assets?filename=empty.png", auth(), ""), 415,
                        "unsupported_media_type");
    }
    SECTION("random bytes: 415") {
        std::string noise(100000, '\0');
        byte_stream(7, noise.size()).fill(noise.data(), noise.size());
        require_problem(c.request("POST", "/api/v1/assets?filename=video.mp4", auth(), noise), 415,
                        "unsupported_media_type");
    }
    SECTION("an unknown kind: 400") {
        require_problem(c.request("POST", "/api/v1/assets?kind=banner", auth(), fake_png()), 400,
                        "invalid_parameter");
    }
    SECTION("an unknown metadata field: 400") {
        require_problem(c.request("POST", "/api/v1/assets?colour=red", auth(), fake_png()), 400,
                        "invalid_parameter");
    }
    SECTION("a title with control characters: 400") {
        require_problem(c.request("POST", "/api/v1/assets?title=a%07b", auth(), fake_png()), 400,
                        "invalid_parameter");
    }
    SECTION("a query with broken percent-encoding: 400") {
        require_problem(c.request("POST", "/api/v1/assets?title=%E1%BB", auth(), fake_png()), 400,
                        "bad_request");
    }
    SECTION("multipart without a file part: 400") {
        std::string body =
            "--b\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nx\r\n--b--\r\n";
        require_problem(
            c.request("POST", "/api/v1/assets",
                      auth({{"Content-Type", "multipart/form-data; boundary=b"}}), body),
            400, "bad_request");
    }
    SECTION("multipart that is cut off: 400") {
        auto body = multipart_body("b", "a.png", fake_png(), {});
        body.resize(body.size() - 10);
        require_problem(
            c.request("POST", "/api/v1/assets",
                      auth({{"Content-Type", "multipart/form-data; boundary=b"}}), body),
            400, "bad_request");
    }
    SECTION("multipart without a boundary: 400") {
        require_problem(c.request("POST", "/api/v1/assets",
                                  auth({{"Content-Type", "multipart/form-data"}}), "x"),
                        400, "bad_request");
    }
    SECTION("two file parts: 400") {
        auto body = multipart_body("b", "a.png", fake_png(1), {});
        auto second = multipart_body("b", "b.png", fake_png(2), {});
        body = body.substr(0, body.size() - std::string("--b--\r\n").size()) + second;
        require_problem(
            c.request("POST", "/api/v1/assets",
                      auth({{"Content-Type", "multipart/form-data; boundary=b"}}), body),
            400, "bad_request");
    }
    SECTION("no token: 401; a wrong token: 401") {
        auto r = c.request("POST", "/api/v1/assets", {}, fake_png());
        require_problem(r, 401, "unauthorized");
        CHECK(r.header("WWW-Authenticate").has_value());
        require_problem(
            c.request("POST", "/api/v1/assets", {{"Authorization", "Bearer nope"}}, fake_png()),
            401, "unauthorized");
        require_problem(c.request("GET", "/api/v1/assets", {{"Authorization", "Basic YTpi"}}), 401,
                        "unauthorized");
    }

    auto list = c.request("GET", "/api/v1/assets", auth());
    REQUIRE(list.status == 200);
    CHECK(body_json(list)["items"].empty());
    CHECK(stored_blob_count(server.data_dir()) == 0);
    if (s3_backend()) CHECK(multipart_uploads_left(server.data_dir()) == 0);
    CHECK(files_in(tmp) == 0);
}

TEST_CASE("listing is newest first, paginated by cursor and filtered") {
    server_process server;
    http_client c(server.port());
    std::vector<std::string> ids;
    for (int i = 0; i < 7; ++i) {
        std::string q = "title=T%C3%A0i%20li%E1%BB%87u%20" + std::to_string(i) +
                        (i % 2 ? "&kind=infographic&tags=a" : "&tags=b") +
                        (i < 3 ? "&campaign=NQ71" : "");
        ids.push_back(create_raw(c, q, fake_png(static_cast<std::uint32_t>(100 + i)))["id"]);
    }
    std::vector<std::string> seen;
    std::string cursor;
    for (int page = 0; page < 10; ++page) {
        auto r = c.request(
            "GET", "/api/v1/assets?limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor), auth());
        REQUIRE(r.status == 200);
        auto j = body_json(r);
        for (auto& item : j["items"]) seen.push_back(item["id"]);
        if (j["next_cursor"].is_null()) break;
        cursor = j["next_cursor"];
    }
    std::vector<std::string> expected(ids.rbegin(), ids.rend());
    CHECK(seen == expected);

    auto count = [&](const std::string& q) {
        auto r = c.request("GET", "/api/v1/assets?" + q, auth());
        REQUIRE(r.status == 200);
        return body_json(r)["items"].size();
    };
    CHECK(count("kind=infographic") == 3);
    CHECK(count("kind=poster") == 4);
    CHECK(count("tag=a") == 3);
    CHECK(count("campaign=NQ71") == 3);
    CHECK(count("campaign=NQ71&tag=b") == 2);
    require_problem(c.request("GET", "/api/v1/assets?limit=0", auth()), 400, "invalid_parameter");
    require_problem(c.request("GET", "/api/v1/assets?limit=abc", auth()), 400, "invalid_parameter");
    require_problem(c.request("GET", "/api/v1/assets?cursor=xyz", auth()), 400,
                    "invalid_parameter");
    require_problem(c.request("GET", "/api/v1/assets?kind=banner", auth()), 400,
                    "invalid_parameter");
}

TEST_CASE("PATCH needs the current revision in If-Match") {
    server_process server;
    http_client c(server.port());
    auto a = create_raw(c, "title=B%E1%BA%A3n%20nh%C3%A1p", fake_png());
    std::string path = "/api/v1/assets/" + a["id"].get<std::string>();
    std::string patch = R"({"title":"Áp phích: hiện đại, chất lượng, công bằng","tags":["nq71"]})";

    require_problem(c.request("PATCH", path, auth({{"Content-Type", "application/json"}}), patch),
                    428, "precondition_required");
    auto ok = c.request("PATCH", path, auth({{"If-Match", "\"r1\""}}), patch);
    INFO(ok.body);
    REQUIRE(ok.status == 200);
    CHECK(body_json(ok)["title"] == "Áp phích: hiện đại, chất lượng, công bằng");
    CHECK(body_json(ok)["revision"] == 2);
    CHECK(ok.header("ETag").value_or("").rfind("\"r2-", 0) == 0);
    // A second editor still holding r1 is refused and changes nothing.
    require_problem(c.request("PATCH", path, auth({{"If-Match", "\"r1\""}}), R"({"title":"Lost"})"),
                    412, "precondition_failed");
    CHECK(body_json(c.request("GET", path, auth()))["title"] ==
          "Áp phích: hiện đại, chất lượng, công bằng");

    require_problem(c.request("PATCH", path, auth({{"If-Match", "\"r2\""}}), "{not json"), 400,
                    "bad_request");
    require_problem(c.request("PATCH", path, auth({{"If-Match", "\"r2\""}}), R"({"id":"x"})"), 400,
                    "invalid_parameter");
    require_problem(c.request("PATCH", path, auth({{"If-Match", "\"r2\""}}), R"({"tags":"x"})"),
                    400, "invalid_parameter");
    require_problem(c.request("PATCH", path, auth({{"If-Match", "\"r2\""}}), R"({"title":""})"),
                    400, "invalid_parameter");
    require_problem(c.request("PATCH", path, auth({{"If-Match", "\"r2\""}}), "[1,2]"), 400,
                    "invalid_parameter");
    require_problem(c.request("PATCH", path, auth({{"If-Match", "W/\"r2\""}}), R"({"title":"x"})"),
                    412, "precondition_failed");
    require_problem(c.request("PATCH", "/api/v1/assets/01ARZ3NDEKTSV4RRFFQ69G5FAV",
                              auth({{"If-Match", "\"r1\""}}), R"({"title":"x"})"),
                    404, "not_found");
    CHECK(body_json(c.request("GET", path, auth()))["revision"] == 2);
}

TEST_CASE("versions are numbered and each keeps its own original") {
    server_process server;
    http_client c(server.port());
    auto a = create_raw(c, "title=Poster", fake_png(1));
    std::string path = "/api/v1/assets/" + a["id"].get<std::string>();
    auto v2_bytes = fake_png(2);
    auto v2 = c.request("POST", path + "/versions?filename=poster-v2.png", auth(), v2_bytes);
    INFO(v2.body);
    REQUIRE(v2.status == 201);
    CHECK(body_json(v2)["number"] == 2);
    CHECK(v2.header("Location").value_or("") == path + "/versions/2");

    auto versions = body_json(c.request("GET", path + "/versions", auth()))["items"];
    REQUIRE(versions.size() == 2);
    CHECK(versions[0]["sha256"] == sha256_hex(fake_png(1)));
    CHECK(versions[1]["sha256"] == sha256_hex(v2_bytes));
    CHECK(body_json(c.request("GET", path, auth()))["version_count"] == 2);
    CHECK(c.request("GET", path + "/original", auth()).body == v2_bytes);
    CHECK(c.request("GET", path + "/versions/1/original", auth()).body == fake_png(1));
    require_problem(c.request("GET", path + "/versions/3", auth()), 404, "not_found");
    require_problem(c.request("GET", path + "/versions/0/original", auth()), 404, "not_found");
    require_problem(c.request("GET", path + "/versions/abc", auth()), 404, "not_found");
    require_problem(c.request("POST", path + "/versions?title=x", auth(), fake_png(3)), 400,
                    "invalid_parameter");
    require_problem(c.request("POST", path + "/versions", auth(), "<html></html>"), 415,
                    "unsupported_media_type");
    require_problem(
        c.request("POST", "/api/v1/assets/01ARZ3NDEKTSV4RRFFQ69G5FAV/versions", auth(), fake_png()),
        404, "not_found");
}

TEST_CASE("identical bytes are stored once") {
    server_process server;
    http_client c(server.port());
    auto bytes = fake_png(9, 5000);
    auto a = create_raw(c, "title=A", bytes);
    auto b = create_raw(c, "title=B", bytes);
    CHECK(a["id"] != b["id"]);
    CHECK(a["versions"][0]["sha256"] == b["versions"][0]["sha256"]);
    CHECK(stored_blob_count(server.data_dir()) == 1);
    auto metrics = c.request("GET", "/metrics");
    REQUIRE(metrics.status == 200);
    CHECK(metrics.body.find("kho_blobs 1\n") != std::string::npos);
    CHECK(metrics.body.find("kho_blob_bytes " + std::to_string(bytes.size()) + "\n") !=
          std::string::npos);
}

TEST_CASE("trash, restore and permanent deletion reclaim blobs only when unreferenced") {
    server_process server;
    http_client c(server.port());
    auto shared = fake_png(5);
    auto a = create_raw(c, "title=A", shared);
    auto b = create_raw(c, "title=B", shared);
    std::string pa = "/api/v1/assets/" + a["id"].get<std::string>();
    std::string pb = "/api/v1/assets/" + b["id"].get<std::string>();

    require_problem(c.request("DELETE", pa + "?permanent=true", auth()), 409, "conflict");
    auto trashed = c.request("DELETE", pa, auth());
    REQUIRE(trashed.status == 200);
    CHECK_FALSE(body_json(trashed)["deleted_at"].is_null());
    require_problem(c.request("DELETE", pa, auth()), 409, "conflict");
    require_problem(c.request("GET", pa + "/original", auth()), 410, "gone");
    auto live = body_json(c.request("GET", "/api/v1/assets", auth()))["items"];
    CHECK(live.size() == 1);
    auto trash = body_json(c.request("GET", "/api/v1/assets?trashed=true", auth()))["items"];
    REQUIRE(trash.size() == 1);
    CHECK(trash[0]["id"] == a["id"]);

    REQUIRE(c.request("POST", pa + "/restore", auth()).status == 200);
    require_problem(c.request("POST", pa + "/restore", auth()), 409, "conflict");
    REQUIRE(c.request("GET", pa + "/original", auth()).body == shared);

    REQUIRE(c.request("DELETE", pa, auth()).status == 200);
    REQUIRE(c.request("DELETE", pa + "?permanent=true", auth()).status == 204);
    require_problem(c.request("GET", pa, auth()), 404, "not_found");
    CHECK(stored_blob_count(server.data_dir()) == 1);  // B still needs it
    REQUIRE(c.request("GET", pb + "/original", auth()).body == shared);

    REQUIRE(c.request("DELETE", pb, auth()).status == 200);
    REQUIRE(c.request("DELETE", pb + "?permanent=true", auth()).status == 204);
    CHECK(stored_blob_count(server.data_dir()) == 0);
}

TEST_CASE("unknown ids, paths and methods get problems") {
    server_process server;
    http_client c(server.port());
    require_problem(c.request("GET", "/api/v1/assets/not-an-id", auth()), 404, "not_found");
    require_problem(c.request("GET", "/api/v1/assets/01ARZ3NDEKTSV4RRFFQ69G5FAV", auth()), 404,
                    "not_found");
    require_problem(c.request("GET", "/api/v1/nothing", auth()), 404, "not_found");
    auto r = c.request("PUT", "/api/v1/assets", auth(), "x");
    require_problem(r, 405, "method_not_allowed");
    CHECK(r.header("Allow").value_or("").find("POST") != std::string::npos);
    require_problem(c.request("GET", "/api/v1/assets/a%2Fb", auth()), 400, "bad_request");
}

TEST_CASE("health, readiness, metrics and the OpenAPI document are served") {
    server_process server;
    http_client c(server.port());
    CHECK(c.request("GET", "/healthz").status == 200);
    CHECK(c.request("GET", "/readyz").status == 200);
    c.request("GET", "/api/v1/assets", auth());
    auto m = c.request("GET", "/metrics");
    REQUIRE(m.status == 200);
    CHECK(
        m.body.find(
            "kho_http_requests_total{route=\"/api/v1/assets\",method=\"GET\",status=\"200\"} 1") !=
        std::string::npos);
    CHECK(m.body.find("kho_http_request_duration_seconds_bucket") != std::string::npos);
    auto doc = c.request("GET", "/api/v1/openapi.json");
    REQUIRE(doc.status == 200);
    auto j = body_json(doc);
    CHECK(j["openapi"] == "3.1.0");
    CHECK(j["paths"].contains("/api/v1/assets/{id}/original"));
}

TEST_CASE("every request is one JSON line in the access log") {
    server_process server;
    http_client c(server.port());
    c.request("GET", "/api/v1/assets?kind=poster", auth());
    server.stop();
    std::ifstream in(server.data_dir().parent_path() / "access.log");
    std::string line, last;
    while (std::getline(in, line))
        if (!line.empty()) last = line;
    auto j = json::parse(last);
    CHECK(j["method"] == "GET");
    CHECK(j["path"] == "/api/v1/assets?kind=poster");
    CHECK(j["status"] == 200);
    CHECK(j["user"] == "admin");
    CHECK(j.contains("duration_ms"));
    CHECK(j.contains("bytes_out"));
    CHECK(j.contains("bytes_in"));
    CHECK(j.contains("time"));
}

TEST_CASE("query strings read '+' as a space and %2B as a plus") {
    server_process server;
    http_client c(server.port());
    auto r = c.request("POST", "/api/v1/assets?title=Th%E1%BA%A7y+ra+th%E1%BA%A7y%2C+1%2B1", auth(),
                       fake_png());
    REQUIRE(r.status == 201);
    CHECK(body_json(r)["title"] == "Thầy ra thầy, 1+1");
}

TEST_CASE("admin maintenance endpoints validate their parameters") {
    server_process server;
    http_client c(server.port());
    require_problem(c.request("POST", "/api/v1/admin/gc?dry_run=maybe", auth()), 400,
                    "invalid_parameter");
    require_problem(c.request("POST", "/api/v1/admin/verify?max_mb_per_second=-1", auth()), 400,
                    "invalid_parameter");
    require_problem(c.request("POST", "/api/v1/admin/gc"), 401, "unauthorized");
    auto v = c.request("POST", "/api/v1/admin/verify", auth());
    REQUIRE(v.status == 200);
    CHECK(body_json(v)["ok"] == true);
}

TEST_CASE("assets can be found by the SHA-256 of any of their versions") {
    server_process server;
    http_client c(server.port());
    auto first = fake_png(31);
    auto second = fake_png(32);
    auto a = create_raw(c, "title=A", first);
    auto b = create_raw(c, "title=B", first);  // the same bytes: both found
    std::string pa = "/api/v1/assets/" + a["id"].get<std::string>();
    REQUIRE(c.request("POST", pa + "/versions", auth(), second).status == 201);
    auto by = [&](const std::string& bytes) {
        auto r = c.request("GET", "/api/v1/assets?sha256=" + sha256_hex(bytes), auth());
        REQUIRE(r.status == 200);
        std::set<std::string> ids;
        auto page = body_json(r);
        for (auto& item : page["items"]) ids.insert(item["id"].get<std::string>());
        return ids;
    };
    CHECK(by(first) == std::set<std::string>{a["id"], b["id"]});
    CHECK(by(second) == std::set<std::string>{a["id"]});
    CHECK(by(fake_png(33)).empty());
    require_problem(c.request("GET", "/api/v1/assets?sha256=xyz", auth()), 400,
                    "invalid_parameter");
    // Permanently deleted assets are no longer found.
    REQUIRE(c.request("DELETE", pa, auth()).status == 200);
    REQUIRE(c.request("DELETE", pa + "?permanent=true", auth()).status == 204);
    CHECK(by(second).empty());
    CHECK(by(first) == std::set<std::string>{b["id"]});
}

TEST_CASE("an asset's JSON revalidates with If-None-Match until it changes") {
    // No media jobs: the body (which shows their progress) stays still.
    server_process server(with_args({"--media-concurrency", "0"}));
    http_client c(server.port());
    auto a = create_raw(c, "title=A", fake_png(41));
    std::string path = "/api/v1/assets/" + a["id"].get<std::string>();
    auto first = c.request("GET", path, auth());
    REQUIRE(first.status == 200);
    auto etag = first.header("ETag").value();
    CHECK(first.header("Last-Modified").has_value());
    auto same = c.request("GET", path, auth({{"If-None-Match", etag}}));
    CHECK(same.status == 304);
    CHECK(same.body.empty());
    REQUIRE(c.request("PATCH", path, auth({{"If-Match", etag}}), R"({"title":"B"})").status == 200);
    auto changed = c.request("GET", path, auth({{"If-None-Match", etag}}));
    CHECK(changed.status == 200);
    CHECK(body_json(changed)["title"] == "B");
}

TEST_CASE("an asset's ETag follows its renditions, not only its revision") {
    server_process server;
    http_client c(server.port());
    auto a = create_raw(c, "title=A", fake_png(42));
    std::string path = "/api/v1/assets/" + a["id"].get<std::string>();
    auto first = c.request("GET", path, auth());
    REQUIRE(first.status == 200);
    // The media job ends (this fake PNG is refused by the decoder): the
    // revision stays, the body and its ETag change.
    std::string state;
    http_response later;
    for (int i = 0; i < 200; ++i) {
        later = c.request("GET", path, auth());
        state = body_json(later)["versions"][0]["renditions"][0].value("state", "");
        if (state == "failed") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    REQUIRE(state == "failed");
    CHECK(body_json(later)["revision"] == body_json(first)["revision"]);
    if (body_json(first)["versions"][0]["renditions"][0].value("state", "") != "failed") {
        CHECK(later.header("ETag") != first.header("ETag"));
        // A client revalidating with the old ETag gets the new body.
        auto stale = c.request("GET", path, auth({{"If-None-Match", *first.header("ETag")}}));
        CHECK(stale.status == 200);
    }
    auto current = c.request("GET", path, auth({{"If-None-Match", *later.header("ETag")}}));
    CHECK(current.status == 304);
}
