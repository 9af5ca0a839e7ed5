// What only the S3 backend has: objects under their digest in a real Ceph
// RGW bucket, multipart uploads aborted on refusal and swept after a crash,
// 503 while the object store is unreachable, presigned redirect downloads,
// and the online migration of a local store. Tagged [s3-only]: these run in
// the "s3: " CTest entries only (tests/CMakeLists.txt), where
// KHO_TEST_S3_ENV points at the RGW that tests/s3/start-s3.sh started.

#include "storage/s3_client.hpp"
#include "tests/support/cli_runner.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/tcp_relay.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

using namespace kho::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t k_part = 5u << 20;  // the smallest part size S3 allows

std::vector<kho::storage::s3_object> objects(kho::storage::s3_client& s3, const std::string& prefix) {
    std::vector<kho::storage::s3_object> out;
    auto listed = s3.list(prefix, [&](const kho::storage::s3_object& o) { out.push_back(o); });
    REQUIRE(listed.has_value());
    return out;
}

std::size_t multipart_uploads(kho::storage::s3_client& s3) {
    auto u = s3.list_multipart("");
    REQUIRE(u.has_value());
    return u->size();
}

std::string upload(http_client& c, const std::string& bytes, const std::string& name = "poster.png") {
    auto r = c.request("POST", "/api/v1/assets?filename=" + name, auth(), bytes);
    INFO(r.body);
    REQUIRE(r.status == 201);
    return json::parse(r.body)["id"].get<std::string>();
}

std::uint16_t port_of(const std::string& url) {
    auto host = url.substr(url.find("//") + 2);
    auto colon = host.find(':');
    return static_cast<std::uint16_t>(std::stoi(host.substr(colon + 1, host.find('/') - colon - 1)));
}

std::string target_of(const std::string& url) {
    auto host = url.substr(url.find("//") + 2);
    return host.substr(host.find('/'));
}

}  // namespace

TEST_CASE("s3: blobs are objects under their digest, deduplicated, with nothing temporary left",
          "[s3-only]") {
    server_process server(with_args({"--s3-part-size", std::to_string(k_part)}));
    http_client c(server.port());
    auto s3 = test_bucket(server.data_dir());

    // 12 MiB: three parts of a multipart upload, then a server-side copy.
    const auto big = fake_png(7, 12u << 20);
    const auto small = fake_png(8, 1000);
    auto big_id = upload(c, big);
    auto small_id = upload(c, small);
    auto again_id = upload(c, big, "copy.png");  // the same bytes once more
    CHECK(again_id != big_id);

    auto stored = objects(s3, "blobs/sha256/");
    auto has = [&](const std::string& bytes) {
        auto sha = sha256_hex(bytes);
        for (const auto& o : stored)
            if (o.key == "blobs/sha256/" + sha.substr(0, 2) + "/" + sha.substr(2, 2) + "/" + sha)
                return o.size == bytes.size();
        return false;
    };
    CHECK(has(big));
    CHECK(has(small));
    CHECK(stored.size() == 2);  // renditions are not made for fake PNGs' tail; dedup kept one copy
    CHECK(objects(s3, "tmp/").empty());
    CHECK(multipart_uploads(s3) == 0);

    for (const auto& [id, bytes] : {std::pair{big_id, big}, std::pair{small_id, small}}) {
        auto r = c.request("GET", "/api/v1/assets/" + id + "/original", auth());
        REQUIRE(r.status == 200);
        CHECK(r.body.size() == bytes.size());
        CHECK(sha256_hex(r.body) == sha256_hex(bytes));
    }
    // A range that crosses a part boundary comes back byte for byte.
    auto r = c.request("GET", "/api/v1/assets/" + big_id + "/original",
                       auth({{"Range", "bytes=5242000-5243999"}}));
    REQUIRE(r.status == 206);
    CHECK(r.body == big.substr(5242000, 2000));
}

TEST_CASE("s3: a refused upload leaves no object and no multipart upload behind", "[s3-only]") {
    server_process server(with_args({"--s3-part-size", std::to_string(k_part), "--max-upload-bytes",
                                     std::to_string(8u << 20)}));
    http_client c(server.port());
    auto s3 = test_bucket(server.data_dir());
    auto r = c.request("POST", "/api/v1/assets?filename=big.png", auth(), fake_png(3, 12u << 20));
    CHECK(r.status == 413);
    CHECK(r.header("Content-Type") == "application/problem+json");
    CHECK(objects(s3, "").empty());
    CHECK(multipart_uploads(s3) == 0);
    auto list = c.request("GET", "/api/v1/assets", auth());
    CHECK(json::parse(list.body)["items"].empty());
}

TEST_CASE("s3: an upload cut short by a crash is swept from the bucket at the next start",
          "[s3-only]") {
    server_process server(with_args({"--s3-part-size", std::to_string(k_part)}));
    auto s3 = test_bucket(server.data_dir());
    const std::uint64_t declared = 30u << 20;
    const auto head = fake_png(5, 12u << 20);
    std::atomic<bool> release{false};
    std::thread sender([&] {
        try {
            http_client c(server.port());
            std::uint64_t sent = 0;
            c.upload("POST", "/api/v1/assets?filename=cut.png", auth(), declared,
                     [&](char* buf, std::size_t cap) -> std::size_t {
                         if (sent >= head.size()) {
                             while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(10));
                             return 0;
                         }
                         auto n = std::min<std::size_t>(cap, head.size() - sent);
                         std::memcpy(buf, head.data() + sent, n);
                         sent += n;
                         return n;
                     });
        } catch (...) {
            // The server dies mid-request: expected.
        }
    });
    // Two parts sent: a multipart upload exists in the bucket.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (multipart_uploads(s3) == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(multipart_uploads(s3) == 1);
    server.kill9();
    release = true;
    sender.join();

    server.start();
    CHECK(multipart_uploads(s3) == 0);
    CHECK(objects(s3, "").empty());
    http_client c(server.port());
    CHECK(json::parse(c.request("GET", "/api/v1/assets", auth()).body)["items"].empty());
}

TEST_CASE("s3: while the object store is unreachable, reads and writes get 503 and nothing is acknowledged",
          "[s3-only]") {
    auto e = s3_backend();
    REQUIRE(e.has_value());
    tcp_relay relay(port_of(e->endpoint + "/"));
    server_options o;
    o.extra_args = {"--s3-endpoint", "http://127.0.0.1:" + std::to_string(relay.port())};
    server_process server(o);
    http_client c(server.port());
    const auto bytes = fake_png(11, 200000);
    auto id = upload(c, bytes);

    relay.cut();
    // The blob's size was read before (cached): the 200's headers go out,
    // the body cannot come, and the connection is closed short of the
    // declared length, so no client takes it for the file. A blob never
    // seen gets a 503 problem.
    bool complete_body = false;
    try {
        auto down = c.request("GET", "/api/v1/assets/" + id + "/original", auth());
        complete_body = down.status == 200 && down.body.size() == bytes.size();
        CHECK(down.status == 503);
    } catch (const std::exception& e) {
        CHECK(std::string(e.what()).find("partial message") != std::string::npos);
    }
    CHECK_FALSE(complete_body);
    http_client c2(server.port());
    auto up = c2.request("POST", "/api/v1/assets?filename=new.png", auth(), fake_png(12, 300000));
    CHECK(up.status == 503);
    CHECK(up.header("Content-Type") == "application/problem+json");
    auto list = json::parse(c2.request("GET", "/api/v1/assets", auth()).body);
    CHECK(list["items"].size() == 1);  // the refused upload left no asset

    relay.restore();
    http_client c3(server.port());
    auto back = c3.request("GET", "/api/v1/assets/" + id + "/original", auth());
    REQUIRE(back.status == 200);
    CHECK(sha256_hex(back.body) == sha256_hex(bytes));
    auto later = c3.request("POST", "/api/v1/assets?filename=later.png", auth(), fake_png(13, 300000));
    CHECK(later.status == 201);
}

TEST_CASE("s3: redirect downloads hand out presigned URLs that serve the exact bytes and name",
          "[s3-only]") {
    server_process server(with_args({"--downloads", "redirect", "--presign-expiry", "60"}));
    http_client c(server.port());
    const auto bytes = fake_png(21, 300000);
    auto id = upload(c, bytes, "%C3%81p%20ph%C3%ADch%20Ngh%E1%BB%8B%20quy%E1%BA%BFt.png");
    const std::string path = "/api/v1/assets/" + id + "/original";

    auto r = c.request("GET", path, auth());
    REQUIRE(r.status == 302);
    CHECK(r.header("Cache-Control") == "no-store");
    auto location = r.header("Location").value_or("");
    REQUIRE(location.find("X-Amz-Signature=") != std::string::npos);
    CHECK(location.find("X-Amz-Expires=60") != std::string::npos);

    http_client store(port_of(location));
    auto got = store.request("GET", target_of(location));
    REQUIRE(got.status == 200);
    CHECK(sha256_hex(got.body) == sha256_hex(bytes));
    CHECK(got.header("Content-Type") == "image/png");
    auto cd = got.header("Content-Disposition").value_or("");
    CHECK(cd.find("attachment") == 0);
    CHECK(cd.find("filename*=UTF-8''%C3%81p%20ph%C3%ADch%20Ngh%E1%BB%8B%20quy%E1%BA%BFt.png") !=
          std::string::npos);

    // A range goes through the same URL.
    auto ranged = store.request("GET", target_of(location), {{"Range", "bytes=1000-1999"}});
    REQUIRE(ranged.status == 206);
    CHECK(ranged.body == bytes.substr(1000, 1000));
    // A tampered signature or path is refused by the store.
    auto tampered = location;
    tampered.back() = tampered.back() == '0' ? '1' : '0';
    CHECK(store.request("GET", target_of(tampered)).status == 403);
    auto other = target_of(location);
    other.replace(other.find("blobs/sha256/") + 13, 1, other[other.find("blobs/sha256/") + 13] == 'a' ? "b" : "a");
    CHECK(store.request("GET", other).status == 403);

    // HEAD and conditional requests are answered by kho itself.
    CHECK(c.request("HEAD", path, auth()).status == 200);
    auto etag = "\"" + sha256_hex(bytes) + "\"";
    CHECK(c.request("GET", path, auth({{"If-None-Match", etag}})).status == 304);
    // Without access there is no URL.
    CHECK(c.request("GET", path).status == 401);

    // Each URL handed out counts as a download.
    auto report = c.request("GET", "/api/v1/reports/downloads?group_by=asset", auth());
    REQUIRE(report.status == 200);
    auto rows = json::parse(report.body)["items"];
    REQUIRE(rows.size() == 1);
    CHECK(rows[0]["downloads"] == 1);
}

TEST_CASE("s3: kho migrate-blobs moves a local store into the bucket while the server serves",
          "[s3-only]") {
    server_options o;
    o.local_blobs = true;
    server_process server(o);
    std::vector<std::pair<std::string, std::string>> assets;
    {
        http_client c(server.port());
        for (std::uint32_t i = 0; i < 4; ++i) {
            auto bytes = fake_png(100 + i, i == 0 ? (20u << 20) : 50000 * (i + 1));
            assets.emplace_back(upload(c, bytes, "m" + std::to_string(i) + ".png"), bytes);
        }
    }
    auto local_blobs = [&] {
        std::size_t n = 0;
        for (auto& e : fs::recursive_directory_iterator(server.data_dir() / "blobs"))
            n += e.is_regular_file() ? 1 : 0;
        return n;
    };
    REQUIRE(local_blobs() == 4);

    server.stop();
    server.options().local_blobs = false;
    server.start();
    http_client c(server.port());
    // Before the migration: still served (from local disk).
    for (const auto& [id, bytes] : assets) {
        auto r = c.request("GET", "/api/v1/assets/" + id + "/original", auth());
        REQUIRE(r.status == 200);
        CHECK(sha256_hex(r.body) == sha256_hex(bytes));
    }
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port());
    cli_options env{{{"KHO_TOKEN", admin_token}}, {}, {}};
    auto run = run_kho({"--url", url, "migrate-blobs", "--to", "s3"}, env);
    INFO(run.out << run.err);
    CHECK(run.exit_code == 0);
    CHECK(run.out.find("done: 4 blobs sent") != std::string::npos);
    CHECK(local_blobs() == 0);
    auto s3 = test_bucket(server.data_dir());
    CHECK(objects(s3, "blobs/sha256/").size() == 4);
    for (const auto& [id, bytes] : assets) {
        auto r = c.request("GET", "/api/v1/assets/" + id + "/original", auth());
        REQUIRE(r.status == 200);
        CHECK(sha256_hex(r.body) == sha256_hex(bytes));
    }
    auto verify = c.request("POST", "/api/v1/admin/verify", auth());
    CHECK(json::parse(verify.body)["ok"] == true);
    // Again: nothing left to move.
    auto again = run_kho({"--url", url, "migrate-blobs", "--to", "s3"}, env);
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("done: 0 blobs sent") != std::string::npos);
    // A server on local disk has nothing to migrate to.
    server_options lo;
    lo.local_blobs = true;
    server_process local(lo);
    auto refused = run_kho({"--url", "http://127.0.0.1:" + std::to_string(local.port()),
                            "migrate-blobs", "--to", "s3"},
                           env);
    CHECK(refused.exit_code != 0);
    CHECK(refused.err.find("--blob-store s3") != std::string::npos);
}

TEST_CASE("s3: a migration stopped midway by a restart finishes on the next run", "[s3-only]") {
    server_options o;
    o.local_blobs = true;
    server_process server(o);
    std::vector<std::pair<std::string, std::string>> assets;
    {
        http_client c(server.port());
        for (std::uint32_t i = 0; i < 40; ++i) {
            auto bytes = fake_png(300 + i, 1u << 20);
            assets.emplace_back(upload(c, bytes, "r" + std::to_string(i) + ".png"), bytes);
        }
    }
    server.stop();
    server.options().local_blobs = false;
    server.start();
    {
        http_client c(server.port());
        REQUIRE(c.request("POST", "/api/v1/admin/blob-migration", auth()).status == 202);
    }
    server.stop();  // SIGTERM while it runs (or just after it ended)
    std::size_t left = 0;
    for (auto& e : fs::recursive_directory_iterator(server.data_dir() / "blobs"))
        left += e.is_regular_file() ? 1 : 0;
    INFO("left on disk after the stop: " << left);

    server.start();
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port());
    auto run = run_kho({"--url", url, "migrate-blobs", "--to", "s3"}, {{{"KHO_TOKEN", admin_token}}, {}, {}});
    INFO(run.out << run.err);
    CHECK(run.exit_code == 0);
    CHECK(run.out.find("done: " + std::to_string(left) + " blobs sent") != std::string::npos);
    CHECK(stored_blob_count(server.data_dir()) == 40);
    std::size_t still = 0;
    for (auto& e : fs::recursive_directory_iterator(server.data_dir() / "blobs"))
        still += e.is_regular_file() ? 1 : 0;
    CHECK(still == 0);
    http_client c(server.port());
    for (const auto& [id, bytes] : assets) {
        auto r = c.request("GET", "/api/v1/assets/" + id + "/original", auth());
        REQUIRE(r.status == 200);
        CHECK(sha256_hex(r.body) == sha256_hex(bytes));
    }
    CHECK(multipart_uploads_left(server.data_dir()) == 0);
}
