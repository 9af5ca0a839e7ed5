// Crash safety: kill -9 the server at random moments during 8 concurrent
// uploads, 20 rounds. After each restart every upload that got its 201 is
// complete and hash-verified, none that did not is visible, and no temporary
// file is left after recovery (nor, with the S3 backend, any tmp/ object or
// unfinished multipart upload in the bucket).

#include "core/sha256.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "storage/s3_client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <thread>

using namespace kho::test;
using json = nlohmann::json;

namespace {

std::size_t upload_leftovers(const std::filesystem::path& tmp) {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(tmp))
        if (e.is_regular_file() && e.path().string().find("/job-") == std::string::npos) ++n;
    return n;
}

}  // namespace

TEST_CASE(
    "kill -9 during concurrent uploads loses no acknowledged upload and shows no partial one") {
    server_process server(with_args({"--allowed-types", "*"}));
    std::mt19937_64 rng(20261126);
    std::map<std::string, std::string> acknowledged;  // id -> sha256
    std::mutex mutex;
    std::uint64_t seed = 1;

    for (int round = 0; round < 20; ++round) {
        INFO("round " << round);
        std::atomic<bool> crashed{false};
        std::vector<std::thread> clients;
        for (int i = 0; i < 8; ++i) {
            auto size = std::uniform_int_distribution<std::uint64_t>(1, 3u << 20)(rng);
            auto s = seed++;
            clients.emplace_back([&, size, s] {
                // Keep uploading until the crash.
                for (std::uint64_t k = 0; !crashed; ++k) {
                    try {
                        http_client c(server.port());
                        byte_stream gen(s * 1000 + k, size);
                        kho::sha256 h;
                        auto r = c.upload("POST", "/api/v1/assets?filename=crash.bin", auth(), size,
                                          [&](char* buf, std::size_t cap) {
                                              auto n = gen.fill(
                                                  buf, std::min<std::size_t>(cap, 64 * 1024));
                                              h.update({buf, n});
                                              return n;
                                          });
                        if (r.status == 201) {
                            std::lock_guard lock(mutex);
                            acknowledged[json::parse(r.body)["id"]] = h.finish_hex();
                        }
                    } catch (...) {
                        // The server died under us: this upload was never acknowledged.
                    }
                }
            });
        }
        auto wait_ms = std::uniform_int_distribution<int>(50, 600)(rng);
        std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
        server.kill9();
        crashed = true;
        for (auto& t : clients) t.join();

        server.start();
        // Recovery removed every temporary upload file (the folders of
        // media jobs that are queued again and already run do not count).
        INFO(list_files_under(server.data_dir() / "tmp"));
        CHECK(upload_leftovers(server.data_dir() / "tmp") == 0);
        if (s3_backend()) {
            // And from the bucket: no tmp/ object, no unfinished multipart upload.
            auto s3 = test_bucket(server.data_dir());
            std::size_t tmp_objects = 0;
            auto listed = s3.list("tmp/", [&](const kho::storage::s3_object&) { ++tmp_objects; });
            REQUIRE(listed.has_value());
            CHECK(tmp_objects == 0);
            auto uploads = s3.list_multipart("");
            REQUIRE(uploads.has_value());
            CHECK(uploads->empty());
        }
        http_client c(server.port());
        std::map<std::string, std::string> visible;
        std::string cursor;
        for (;;) {
            auto r = c.request(
                "GET", "/api/v1/assets?limit=200" + (cursor.empty() ? "" : "&cursor=" + cursor),
                auth());
            REQUIRE(r.status == 200);
            auto j = json::parse(r.body);
            for (auto& item : j["items"]) {
                auto v = json::parse(
                    c.request("GET", "/api/v1/assets/" + item["id"].get<std::string>(), auth())
                        .body);
                visible[item["id"]] = v["versions"][0]["sha256"];
            }
            if (j["next_cursor"].is_null()) break;
            cursor = j["next_cursor"];
        }
        // Every acknowledged upload is there with its hash.
        for (const auto& [id, sha] : acknowledged) {
            INFO(id);
            REQUIRE(visible.count(id) == 1);
            CHECK(visible[id] == sha);
        }
        // Anything visible but unacknowledged (committed just before the
        // kill, its 201 lost) must still be complete: verify its bytes.
        for (const auto& [id, sha] : visible) {
            if (acknowledged.count(id)) continue;
            kho::sha256 h;
            auto r = c.download("GET", "/api/v1/assets/" + id + "/original", auth(),
                                [&](std::string_view d) { h.update(d); });
            REQUIRE(r.status == 200);
            CHECK(h.finish_hex() == sha);
        }
    }
    // The acknowledged uploads' bytes are intact after all those crashes.
    http_client c(server.port());
    int checked = 0;
    for (const auto& [id, sha] : acknowledged) {
        if (++checked > 40) break;
        kho::sha256 h;
        auto r = c.download("GET", "/api/v1/assets/" + id + "/original", auth(),
                            [&](std::string_view d) { h.update(d); });
        REQUIRE(r.status == 200);
        CHECK(h.finish_hex() == sha);
    }
    CHECK(acknowledged.size() > 20);
}
