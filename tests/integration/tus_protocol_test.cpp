// The tus 1.0 protocol at /api/v1/uploads, request by request: discovery,
// creation (with upload, deferred length), appends, checksums, expiry,
// termination, concatenation, restarts, and the status each bad request gets.
// (tests/tus/ drives the same endpoint with the real tus-js-client.)

#include "core/base64.hpp"
#include "core/sha256.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

using namespace kho::test;
using json = nlohmann::json;

namespace {

std::string b64(std::string_view s) {
    return kho::encode_base64(s);
}

std::string raw_sha256_b64(std::string_view data) {
    auto hex = sha256_hex(data);
    std::string raw;
    for (size_t i = 0; i < hex.size(); i += 2)
        raw += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    return b64(raw);
}

header_fields tus_headers(header_fields extra = {}) {
    extra.emplace_back("Tus-Resumable", "1.0.0");
    return auth(std::move(extra));
}

void require_problem(const http_response& r, int status, const std::string& code) {
    INFO(r.status << " " << r.body);
    REQUIRE(r.status == status);
    CHECK(r.header("Tus-Resumable") == "1.0.0");
    CHECK(json::parse(r.body)["code"] == code);
}

struct tus_fixture {
    server_process server;
    http_client c{server.port()};

    explicit tus_fixture(std::vector<std::string> args = {"--allowed-types", "*"})
        : server(with_args(std::move(args))) {}

    std::string create(std::uint64_t length, const std::string& metadata = "") {
        header_fields h{{"Upload-Length", std::to_string(length)}};
        if (!metadata.empty()) h.emplace_back("Upload-Metadata", metadata);
        auto r = c.request("POST", "/api/v1/uploads", tus_headers(h));
        INFO(r.body);
        REQUIRE(r.status == 201);
        return r.header("Location").value();
    }
    http_response patch(const std::string& url, std::uint64_t offset, const std::string& data,
                        header_fields extra = {}) {
        extra.emplace_back("Upload-Offset", std::to_string(offset));
        extra.emplace_back("Content-Type", "application/offset+octet-stream");
        return c.request("PATCH", url, tus_headers(extra), data);
    }
    std::uint64_t offset(const std::string& url) {
        auto r = c.request("HEAD", url, tus_headers());
        REQUIRE(r.status == 200);
        return std::stoull(r.header("Upload-Offset").value());
    }
    json status(const std::string& url) { return json::parse(c.request("GET", url, auth()).body); }
    json asset(const std::string& id) {
        return json::parse(c.request("GET", "/api/v1/assets/" + id, auth()).body);
    }
};

std::string payload(std::uint64_t seed, std::size_t size) {
    std::string s(size, '\0');
    byte_stream(seed, size).fill(s.data(), size);
    return s;
}

}  // namespace

TEST_CASE("tus: OPTIONS announces version, extensions, size limit and checksums") {
    tus_fixture f;
    auto r = f.c.request("OPTIONS", "/api/v1/uploads");
    REQUIRE(r.status == 204);
    CHECK(r.header("Tus-Version") == "1.0.0");
    CHECK(r.header("Tus-Resumable") == "1.0.0");
    auto ext = r.header("Tus-Extension").value_or("");
    for (const char* e : {"creation", "creation-with-upload", "creation-defer-length", "expiration",
                          "checksum", "termination", "concatenation"})
        CHECK(ext.find(e) != std::string::npos);
    CHECK(r.header("Tus-Max-Size").has_value());
    CHECK(r.header("Tus-Checksum-Algorithm") == "sha256,sha1,md5");
}

TEST_CASE("tus: chunked upload with Vietnamese metadata becomes an asset with the right digest") {
    tus_fixture f;
    auto data = payload(1, 3'000'000);
    auto url =
        f.create(data.size(), "filename " + b64("Phóng sự Nghị quyết 71.mp4") + ",title " +
                                  b64("Phóng sự: chuyển đổi số") + ",tags " + b64("nq71,video") +
                                  ",kind " + b64("video") + ",filetype " + b64("video/mp4"));
    CHECK(f.offset(url) == 0);
    std::uint64_t at = 0;
    for (std::size_t chunk : {1'000'000u, 1'000'000u, 1'000'000u}) {
        auto r = f.patch(url, at, data.substr(at, chunk));
        INFO(r.body);
        REQUIRE(r.status == 204);
        at += chunk;
        CHECK(r.header("Upload-Offset") == std::to_string(at));
    }
    auto st = f.status(url);
    CHECK(st["complete"] == true);
    REQUIRE(st["asset_id"].is_string());
    auto a = f.asset(st["asset_id"]);
    CHECK(a["title"] == "Phóng sự: chuyển đổi số");
    CHECK(a["kind"] == "video");
    CHECK(a["tags"] == json::array({"nq71", "video"}));
    CHECK(a["versions"][0]["file_name"] == "Phóng sự Nghị quyết 71.mp4");
    CHECK(a["versions"][0]["sha256"] == sha256_hex(data));
    CHECK(f.c.request("GET", "/api/v1/assets/" + st["asset_id"].get<std::string>() + "/original",
                      auth())
              .body == data);
    CHECK(std::filesystem::is_empty(f.server.data_dir() / "tmp" / "tus"));
}

TEST_CASE("tus: creation-with-upload and deferred length") {
    tus_fixture f;
    auto data = payload(2, 200'000);
    SECTION("the creation request carries the first chunk") {
        auto r = f.c.request("POST", "/api/v1/uploads",
                             tus_headers({{"Upload-Length", std::to_string(data.size())},
                                          {"Content-Type", "application/offset+octet-stream"}}),
                             data.substr(0, 50'000));
        REQUIRE(r.status == 201);
        CHECK(r.header("Upload-Offset") == "50000");
        auto url = r.header("Location").value();
        REQUIRE(f.patch(url, 50'000, data.substr(50'000)).status == 204);
        CHECK(f.asset(f.status(url)["asset_id"])["versions"][0]["sha256"] == sha256_hex(data));
    }
    SECTION("the length is declared with a later PATCH") {
        auto r =
            f.c.request("POST", "/api/v1/uploads", tus_headers({{"Upload-Defer-Length", "1"}}));
        REQUIRE(r.status == 201);
        auto url = r.header("Location").value();
        auto head = f.c.request("HEAD", url, tus_headers());
        CHECK(head.header("Upload-Defer-Length") == "1");
        REQUIRE(f.patch(url, 0, data.substr(0, 100'000)).status == 204);
        CHECK(f.status(url)["complete"] == false);
        REQUIRE(f.patch(url, 100'000, data.substr(100'000),
                        {{"Upload-Length", std::to_string(data.size())}})
                    .status == 204);
        CHECK(f.asset(f.status(url)["asset_id"])["versions"][0]["sha256"] == sha256_hex(data));
    }
}

TEST_CASE("tus: checksums are verified per chunk and a bad chunk is dropped whole") {
    tus_fixture f;
    auto data = payload(3, 100'000);
    auto url = f.create(data.size());
    auto first = data.substr(0, 60'000);
    auto bad =
        f.patch(url, 0, first, {{"Upload-Checksum", "sha256 " + raw_sha256_b64("something else")}});
    require_problem(bad, 460, "checksum_mismatch");
    CHECK(f.offset(url) == 0);
    REQUIRE(
        f.patch(url, 0, first, {{"Upload-Checksum", "sha256 " + raw_sha256_b64(first)}}).status ==
        204);
    CHECK(f.offset(url) == 60'000);
    require_problem(f.patch(url, 60'000, data.substr(60'000), {{"Upload-Checksum", "crc32 AAAA"}}),
                    400, "bad_request");
    require_problem(f.patch(url, 60'000, data.substr(60'000), {{"Upload-Checksum", "sha256 !!!"}}),
                    400, "bad_request");
    REQUIRE(f.patch(url, 60'000, data.substr(60'000)).status == 204);
    CHECK(f.asset(f.status(url)["asset_id"])["versions"][0]["sha256"] == sha256_hex(data));
}

TEST_CASE("tus: every bad request gets its status and changes nothing") {
    tus_fixture f(
        std::vector<std::string>{"--allowed-types", "*", "--max-upload-bytes", "1000000"});
    auto url = f.create(1000);
    auto post = [&](header_fields h) {
        return f.c.request("POST", "/api/v1/uploads", auth(std::move(h)));
    };

    auto no_version = post({{"Upload-Length", "10"}});
    require_problem(no_version, 412, "precondition_failed");
    CHECK(no_version.header("Tus-Version") == "1.0.0");
    require_problem(post({{"Tus-Resumable", "0.2.2"}, {"Upload-Length", "10"}}), 412,
                    "precondition_failed");
    require_problem(post({{"Tus-Resumable", "1.0.0"}}), 400, "bad_request");
    require_problem(post({{"Tus-Resumable", "1.0.0"}, {"Upload-Length", "-1"}}), 400,
                    "bad_request");
    require_problem(post({{"Tus-Resumable", "1.0.0"}, {"Upload-Length", "12abc"}}), 400,
                    "bad_request");
    require_problem(
        post({{"Tus-Resumable", "1.0.0"}, {"Upload-Length", "10"}, {"Upload-Defer-Length", "1"}}),
        400, "bad_request");
    require_problem(post({{"Tus-Resumable", "1.0.0"}, {"Upload-Defer-Length", "2"}}), 400,
                    "bad_request");
    require_problem(post({{"Tus-Resumable", "1.0.0"}, {"Upload-Length", "2000000"}}), 413,
                    "payload_too_large");
    require_problem(post({{"Tus-Resumable", "1.0.0"},
                          {"Upload-Length", "10"},
                          {"Upload-Metadata", "title %%%"}}),
                    400, "bad_request");
    require_problem(post({{"Tus-Resumable", "1.0.0"},
                          {"Upload-Length", "10"},
                          {"Upload-Metadata", "kind " + b64("banner")}}),
                    400, "invalid_parameter");
    require_problem(post({{"Tus-Resumable", "1.0.0"},
                          {"Upload-Length", "10"},
                          {"Upload-Metadata", "asset_id " + b64("01ARZ3NDEKTSV4RRFFQ69G5FAV")}}),
                    404, "not_found");
    require_problem(post({{"Tus-Resumable", "1.0.0"}, {"Upload-Concat", "final;/nowhere"}}), 400,
                    "bad_request");
    require_problem(f.c.request("POST", "/api/v1/uploads",
                                {{"Tus-Resumable", "1.0.0"}, {"Upload-Length", "10"}}),
                    401, "unauthorized");

    require_problem(f.patch(url, 5, "abc"), 409, "conflict");
    require_problem(
        f.c.request("PATCH", url,
                    tus_headers({{"Upload-Offset", "0"}, {"Content-Type", "text/plain"}}), "abc"),
        415, "unsupported_media_type");
    require_problem(
        f.c.request("PATCH", url,
                    tus_headers({{"Content-Type", "application/offset+octet-stream"}}), "abc"),
        400, "bad_request");
    require_problem(f.patch(url, 0, std::string(1001, 'x')), 413, "payload_too_large");
    require_problem(f.patch(url, 0, "abc", {{"Upload-Length", "5"}}), 400, "bad_request");
    require_problem(f.patch("/api/v1/uploads/01ARZ3NDEKTSV4RRFFQ69G5FAV", 0, "abc"), 404,
                    "not_found");
    require_problem(f.patch("/api/v1/uploads/nonsense", 0, "abc"), 404, "not_found");
    CHECK(f.offset(url) == 0);
    CHECK(json::parse(f.c.request("GET", "/api/v1/assets", auth()).body)["items"].empty());
}

TEST_CASE("tus: termination removes the upload and its data") {
    tus_fixture f;
    auto url = f.create(100);
    REQUIRE(f.patch(url, 0, payload(4, 40)).status == 204);
    auto del = f.c.request("DELETE", url, tus_headers());
    CHECK(del.status == 204);
    require_problem(f.c.request("GET", url, auth()), 404, "not_found");
    CHECK(f.c.request("HEAD", url, tus_headers()).status == 404);
    CHECK(std::filesystem::is_empty(f.server.data_dir() / "tmp" / "tus"));
    // A retried DELETE (its first answer lost) is answered 204 again, for
    // the caller who terminated it only; a PATCH still finds nothing.
    CHECK(f.c.request("DELETE", url, tus_headers()).status == 204);
    require_problem(f.patch(url, 40, "abc"), 404, "not_found");
    header_fields other = tus_headers();
    for (auto& [k, v] : other)
        if (k == "Authorization") v = "Bearer nobody";
    CHECK(f.c.request("DELETE", url, other).status == 401);
}

TEST_CASE("tus: an incomplete upload expires: 410, and its data is removed") {
    tus_fixture f(std::vector<std::string>{"--allowed-types", "*", "--upload-expiry", "1"});
    auto url = f.create(100);
    auto head = f.c.request("HEAD", url, tus_headers());
    CHECK(head.header("Upload-Expires").has_value());
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    require_problem(f.patch(url, 0, "abc"), 410, "gone");
    CHECK(f.c.request("HEAD", url, tus_headers()).status == 404);
    CHECK(std::filesystem::is_empty(f.server.data_dir() / "tmp" / "tus"));
}

TEST_CASE("tus: an upload in progress survives a restart and a crash") {
    tus_fixture f;
    auto data = payload(5, 500'000);
    auto url = f.create(data.size(), "filename " + b64("Đào tạo.bin"));
    REQUIRE(f.patch(url, 0, data.substr(0, 200'000)).status == 204);
    f.c.close();
    f.server.restart();
    http_client c2(f.server.port());
    auto head = c2.request("HEAD", url, tus_headers());
    REQUIRE(head.status == 200);
    CHECK(head.header("Upload-Offset") == "200000");
    REQUIRE(c2.request("PATCH", url,
                       tus_headers({{"Upload-Offset", "200000"},
                                    {"Content-Type", "application/offset+octet-stream"}}),
                       data.substr(200'000, 100'000))
                .status == 204);
    c2.close();
    // Unacknowledged bytes past the committed offset (as a crash mid-write
    // leaves them) are cut off before the next append.
    f.server.kill9();
    {
        std::ofstream tail(
            f.server.data_dir() / "tmp" / "tus" / (url.substr(url.rfind('/') + 1) + ".part"),
            std::ios::app | std::ios::binary);
        tail << "garbage that was never acknowledged";
    }
    f.server.start();
    http_client c3(f.server.port());
    REQUIRE(c3.request("PATCH", url,
                       tus_headers({{"Upload-Offset", "300000"},
                                    {"Content-Type", "application/offset+octet-stream"}}),
                       data.substr(300'000))
                .status == 204);
    auto st = json::parse(c3.request("GET", url, auth()).body);
    auto a = json::parse(
        c3.request("GET", "/api/v1/assets/" + st["asset_id"].get<std::string>(), auth()).body);
    CHECK(a["versions"][0]["sha256"] == sha256_hex(data));
    CHECK(a["versions"][0]["file_name"] == "Đào tạo.bin");
}

TEST_CASE("tus: partial uploads concatenate into one asset") {
    tus_fixture f;
    auto data = payload(6, 300'000);
    std::vector<std::string> parts;
    for (int i = 0; i < 3; ++i) {
        auto piece = data.substr(static_cast<size_t>(i) * 100'000, 100'000);
        auto r =
            f.c.request("POST", "/api/v1/uploads",
                        tus_headers({{"Upload-Length", "100000"}, {"Upload-Concat", "partial"}}));
        REQUIRE(r.status == 201);
        auto url = r.header("Location").value();
        REQUIRE(f.patch(url, 0, piece).status == 204);
        CHECK(f.status(url)["asset_id"].is_null());  // a partial upload is not an asset
        parts.push_back(url);
    }
    auto final_req =
        f.c.request("POST", "/api/v1/uploads",
                    tus_headers({{"Upload-Concat", "final;" + parts[0] + " http://127.0.0.1" +
                                                       parts[1] + " " + parts[2]},
                                 {"Upload-Metadata", "filename " + b64("Toàn bộ.bin")}}));
    INFO(final_req.body);
    REQUIRE(final_req.status == 201);
    auto st = f.status(final_req.header("Location").value());
    CHECK(st["complete"] == true);
    auto a = f.asset(st["asset_id"]);
    CHECK(a["versions"][0]["sha256"] == sha256_hex(data));
    CHECK(a["versions"][0]["size"] == data.size());
    // The partial uploads are gone once concatenated.
    for (const auto& p : parts) CHECK(f.c.request("GET", p, auth()).status == 404);

    auto incomplete =
        f.c.request("POST", "/api/v1/uploads",
                    tus_headers({{"Upload-Length", "10"}, {"Upload-Concat", "partial"}}));
    require_problem(
        f.c.request(
            "POST", "/api/v1/uploads",
            tus_headers({{"Upload-Concat", "final;" + incomplete.header("Location").value()}})),
        400, "invalid_parameter");
}

TEST_CASE("tus: a finished upload of a refused type leaves nothing behind") {
    tus_fixture f(std::vector<std::string>{});  // the default type list
    std::string html = "<!DOCTYPE html><html><body>not a poster</body></html>";
    auto url = f.create(html.size(), "filename " + b64("poster.png"));
    require_problem(f.patch(url, 0, html), 415, "unsupported_media_type");
    CHECK(f.c.request("GET", url, auth()).status == 404);
    CHECK(json::parse(f.c.request("GET", "/api/v1/assets", auth()).body)["items"].empty());
    CHECK(std::filesystem::is_empty(f.server.data_dir() / "tmp" / "tus"));
    CHECK(std::filesystem::is_empty(f.server.data_dir() / "blobs" / "sha256"));
}

TEST_CASE("tus: asset_id metadata uploads a new version") {
    tus_fixture f;
    auto first = f.c.request("POST", "/api/v1/assets?filename=v1.bin", auth(), payload(7, 1000));
    REQUIRE(first.status == 201);
    auto id = json::parse(first.body)["id"].get<std::string>();
    auto data = payload(8, 5000);
    auto url = f.create(data.size(), "asset_id " + b64(id) + ",filename " + b64("v2.bin"));
    auto r = f.patch(url, 0, data);
    REQUIRE(r.status == 204);
    CHECK(r.header("Kho-Asset-Id") == id);
    auto a = f.asset(id);
    CHECK(a["version_count"] == 2);
    CHECK(a["versions"][1]["sha256"] == sha256_hex(data));
    CHECK(f.status(url)["version"] == 2);
}

TEST_CASE("tus: per-user limits on incomplete uploads") {
    tus_fixture f(std::vector<std::string>{"--allowed-types", "*", "--max-incomplete-uploads", "2",
                                           "--max-incomplete-bytes", "1000"});
    f.create(100);
    require_problem(f.c.request("POST", "/api/v1/uploads", tus_headers({{"Upload-Length", "950"}})),
                    413, "payload_too_large");
    f.create(100);
    require_problem(f.c.request("POST", "/api/v1/uploads", tus_headers({{"Upload-Length", "10"}})),
                    429, "too_many_requests");
}

TEST_CASE("tus: start-up removes expired uploads and orphaned files") {
    tus_fixture f(std::vector<std::string>{"--allowed-types", "*", "--upload-expiry", "1"});
    auto url = f.create(100);
    auto tus_dir = f.server.data_dir() / "tmp" / "tus";
    std::ofstream(tus_dir / "01ARZ3NDEKTSV4RRFFQ69G5FAV.part") << "orphan";
    f.c.close();
    f.server.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    f.server.start();
    CHECK(std::filesystem::is_empty(tus_dir));
    http_client c(f.server.port());
    CHECK(c.request("HEAD", url, tus_headers()).status == 404);
}

TEST_CASE("tus: a declared length the disk cannot take is refused with 507") {
    const std::string huge = std::to_string(1ull << 49);  // 512 TiB
    tus_fixture f(std::vector<std::string>{"--allowed-types", "*", "--max-upload-bytes", huge,
                                           "--max-incomplete-bytes", huge});
    auto r = f.c.request("POST", "/api/v1/uploads", tus_headers({{"Upload-Length", huge}}));
    require_problem(r, 507, "insufficient_storage");
    CHECK(std::filesystem::is_empty(f.server.data_dir() / "tmp" / "tus"));
}
