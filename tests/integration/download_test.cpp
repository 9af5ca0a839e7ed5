// Downloads of originals: conditional requests, single and multiple ranges,
// If-Range, HEAD, and the headers that keep Vietnamese file names intact.
// Every body is compared byte for byte with the uploaded bytes.

#include "tests/support/fixtures.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace kho::test;
using json = nlohmann::json;

namespace {

struct fixture {
    server_process server;
    http_client c{server.port()};
    std::string bytes = fake_png(42, 100000);
    std::string path;
    std::string etag;

    fixture() {
        auto r = c.request(
            "POST",
            "/api/v1/assets?filename=%C3%81p%20ph%C3%ADch%20%22Ngh%E1%BB%8B%20quy%E1%BA%BFt%22.png",
            auth(), bytes);
        REQUIRE(r.status == 201);
        path = "/api/v1/assets/" + json::parse(r.body)["id"].get<std::string>() + "/original";
        etag = "\"" + sha256_hex(bytes) + "\"";
    }
    http_response get(header_fields h = {}) { return c.request("GET", path, auth(std::move(h))); }
};

// Splits a multipart/byteranges body into (Content-Range, data) parts.
std::vector<std::pair<std::string, std::string>> parse_byteranges(const std::string& body,
                                                                  const std::string& boundary) {
    std::vector<std::pair<std::string, std::string>> parts;
    std::string delim = "\r\n--" + boundary;
    size_t pos = body.find(delim);
    while (pos != std::string::npos) {
        pos += delim.size();
        if (body.compare(pos, 2, "--") == 0) break;
        auto header_end = body.find("\r\n\r\n", pos);
        auto headers = body.substr(pos, header_end - pos);
        auto cr = headers.find("Content-Range: ");
        auto cr_end = headers.find("\r\n", cr);
        auto range = headers.substr(
            cr + 15, cr_end == std::string::npos ? std::string::npos : cr_end - cr - 15);
        auto next = body.find(delim, header_end + 4);
        parts.emplace_back(range, body.substr(header_end + 4, next - header_end - 4));
        pos = next;
    }
    return parts;
}

}  // namespace

TEST_CASE("a whole download carries validators, safe headers and the Vietnamese name") {
    fixture f;
    auto r = f.get();
    REQUIRE(r.status == 200);
    CHECK(r.body == f.bytes);
    CHECK(r.header("ETag") == f.etag);
    CHECK(r.header("Last-Modified").has_value());
    CHECK(r.header("Accept-Ranges") == "bytes");
    CHECK(r.header("Content-Type") == "image/png");
    CHECK(r.header("X-Content-Type-Options") == "nosniff");
    CHECK(r.header("Content-Security-Policy") == "default-src 'none'; sandbox");
    auto cd = r.header("Content-Disposition").value_or("");
    CHECK(cd.rfind("attachment;", 0) == 0);
    CHECK(
        cd.find("filename*=UTF-8''%C3%81p%20ph%C3%ADch%20%22Ngh%E1%BB%8B%20quy%E1%BA%BFt%22.png") !=
        std::string::npos);
    CHECK(cd.find("filename=\"Ap phich _Nghi quyet_.png\"") != std::string::npos);
}

TEST_CASE("HEAD answers the same headers as GET and no body") {
    fixture f;
    auto get = f.get();
    auto head = f.c.request("HEAD", f.path, auth());
    REQUIRE(head.status == 200);
    CHECK(head.body.empty());
    for (const char* h : {"ETag", "Last-Modified", "Content-Length", "Content-Type",
                          "Content-Disposition", "Accept-Ranges"})
        CHECK(head.header(h) == get.header(h));
    CHECK(head.header("Content-Length") == std::to_string(f.bytes.size()));
}

TEST_CASE("conditional GET: If-None-Match and If-Modified-Since give 304, If-Match can give 412") {
    fixture f;
    auto lm = f.get().header("Last-Modified").value();
    auto nm = f.get({{"If-None-Match", f.etag}});
    CHECK(nm.status == 304);
    CHECK(nm.body.empty());
    CHECK(nm.header("ETag") == f.etag);
    CHECK(f.get({{"If-None-Match", "\"other\", " + f.etag}}).status == 304);
    CHECK(f.get({{"If-None-Match", "*"}}).status == 304);
    CHECK(f.get({{"If-None-Match", "\"other\""}}).status == 200);
    CHECK(f.get({{"If-Modified-Since", lm}}).status == 304);
    CHECK(f.get({{"If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"}}).status == 200);
    CHECK(f.get({{"If-Modified-Since", "not a date"}}).status == 200);
    // If-None-Match wins over If-Modified-Since.
    CHECK(f.get({{"If-None-Match", "\"other\""}, {"If-Modified-Since", lm}}).status == 200);
    CHECK(f.get({{"If-Match", f.etag}}).status == 200);
    auto failed = f.get({{"If-Match", "\"other\""}});
    CHECK(failed.status == 412);
    CHECK(json::parse(failed.body)["code"] == "precondition_failed");
    CHECK(f.get({{"If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"}}).status == 412);
}

TEST_CASE("single ranges give 206 with the exact bytes") {
    fixture f;
    const auto size = f.bytes.size();
    struct range_case {
        std::string header;
        size_t first, last;
    };
    std::vector<range_case> cases{
        {"bytes=0-0", 0, 0},
        {"bytes=0-99", 0, 99},
        {"bytes=1000-", 1000, size - 1},
        {"bytes=-500", size - 500, size - 1},
        {"bytes=5000-999999999", 5000, size - 1},
        {"bytes=-999999999", 0, size - 1},
        {"bytes=" + std::to_string(size - 1) + "-", size - 1, size - 1},
    };
    for (const auto& rc : cases) {
        INFO(rc.header);
        auto r = f.get({{"Range", rc.header}});
        REQUIRE(r.status == 206);
        CHECK(r.header("Content-Range") == "bytes " + std::to_string(rc.first) + "-" +
                                               std::to_string(rc.last) + "/" +
                                               std::to_string(size));
        CHECK(r.body == f.bytes.substr(rc.first, rc.last - rc.first + 1));
        CHECK(r.header("ETag") == f.etag);
    }
}

TEST_CASE("several ranges give multipart/byteranges, adjacent ones joined, in order") {
    fixture f;
    auto r = f.get({{"Range", "bytes=500-599, 0-9,-10"}});
    REQUIRE(r.status == 206);
    auto ct = r.header("Content-Type").value_or("");
    REQUIRE(ct.rfind("multipart/byteranges; boundary=", 0) == 0);
    auto parts = parse_byteranges(r.body, ct.substr(31));
    REQUIRE(parts.size() == 3);
    auto size = std::to_string(f.bytes.size());
    CHECK(parts[0].first == "bytes 0-9/" + size);
    CHECK(parts[0].second == f.bytes.substr(0, 10));
    CHECK(parts[1].first == "bytes 500-599/" + size);
    CHECK(parts[1].second == f.bytes.substr(500, 100));
    CHECK(parts[2].second == f.bytes.substr(f.bytes.size() - 10));
    CHECK(r.header("Content-Length") == std::to_string(r.body.size()));

    auto merged = f.get({{"Range", "bytes=0-99,100-149,150-199"}});
    REQUIRE(merged.status == 206);
    CHECK(merged.header("Content-Range") == "bytes 0-199/" + size);
    CHECK(merged.body == f.bytes.substr(0, 200));
}

TEST_CASE("more than 16 ranges, or overlapping ones, are refused with 416") {
    fixture f;
    auto size = std::to_string(f.bytes.size());
    std::string seventeen = "bytes=0-0";
    for (int i = 1; i < 17; ++i) seventeen += "," + std::to_string(i * 10) + "-" + std::to_string(i * 10);
    for (const std::string& h : {seventeen, std::string("bytes=0-99,50-149"), std::string("bytes=0-,0-"),
                                 std::string("bytes=-500,0-")}) {
        INFO(h);
        auto r = f.get({{"Range", h}});
        CHECK(r.status == 416);
        CHECK(r.header("Content-Range") == "bytes */" + size);
        CHECK(r.header("Content-Type") == "application/problem+json");
        CHECK(json::parse(r.body)["code"] == "range_not_satisfiable");
    }
    // Sixteen separate ranges are still served.
    std::string sixteen = "bytes=0-0";
    for (int i = 1; i < 16; ++i) sixteen += "," + std::to_string(i * 10) + "-" + std::to_string(i * 10);
    CHECK(f.get({{"Range", sixteen}}).status == 206);
}

TEST_CASE("unsatisfiable ranges give 416 with the size, invalid ones are ignored") {
    fixture f;
    auto size = std::to_string(f.bytes.size());
    for (const std::string& h :
         std::vector<std::string>{"bytes=" + size + "-", "bytes=999999999-", "bytes=-0"}) {
        INFO(h);
        auto r = f.get({{"Range", h}});
        CHECK(r.status == 416);
        CHECK(r.header("Content-Range") == "bytes */" + size);
        CHECK(json::parse(r.body)["code"] == "range_not_satisfiable");
    }
    for (const char* h : {"bytes=5-2", "bytes=abc", "items=0-5", "bytes=", "bytes=1-2,,"}) {
        INFO(h);
        auto r = f.get({{"Range", h}});
        CHECK(r.status == 200);
        CHECK(r.body == f.bytes);
    }
}

TEST_CASE("If-Range honours the range only for the current representation") {
    fixture f;
    auto lm = f.get().header("Last-Modified").value();
    CHECK(f.get({{"Range", "bytes=0-9"}, {"If-Range", f.etag}}).status == 206);
    CHECK(f.get({{"Range", "bytes=0-9"}, {"If-Range", lm}}).status == 206);
    auto stale = f.get({{"Range", "bytes=0-9"}, {"If-Range", "\"old\""}});
    CHECK(stale.status == 200);
    CHECK(stale.body == f.bytes);
    CHECK(f.get({{"Range", "bytes=0-9"}, {"If-Range", "W/" + f.etag}}).status == 200);
}
