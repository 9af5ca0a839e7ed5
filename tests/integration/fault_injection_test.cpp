// Fault injection: the server runs with tests/faults/fault_shim.c preloaded,
// which makes write, fsync, rename and open fail with EIO or ENOSPC under
// its data directory while the tests drive it.
//
// - Random faults on the blob and upload files during concurrent direct and
//   resumable uploads: no upload that hit a fault is acknowledged, nothing
//   partial becomes visible, every acknowledged upload hash-verifies after
//   a restart, and downloads keep working throughout.
// - One failed fdatasync fails its upload (direct or resumable) for good: it
//   is never retried and then acknowledged.
// - A full disk (every write ENOSPC, the database's included) answers 507
//   to uploads, resumable appends and edits, keeps serving reads, and takes
//   writes again once space returns, without a restart.
// - An I/O error on the database's log stops changes (503), not reads, and
//   a restart loses nothing acknowledged.
//
// KHO_FAULT_ROUNDS=N repeats the random-fault run N times (default 1).

#include "core/sha256.hpp"
#include "tests/support/fault_control.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tus_steps.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

using namespace kho::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string random_bytes(std::uint64_t seed, std::size_t size) {
    std::string s(size, '\0');
    byte_stream(seed, size).fill(s.data(), size);
    return s;
}

bool is_problem(const http_response& r) {
    return r.header("Content-Type").value_or("") == "application/problem+json";
}

// A server on a data directory of the test's own, with the shim preloaded.
struct faulty_server {
    temp_dir dir{"kho-faults"};
    fault_control faults{dir.path() / "faults.conf"};
    fs::path data = dir.path() / "data";
    server_process server;

    faulty_server() : server(options(dir.path() / "data", faults)) {}

    static server_options options(const fs::path& data, const fault_control& f) {
        auto o = with_args({"--allowed-types", "*", "--media-concurrency", "0"});
        o.data_dir = data;
        o.local_blobs = true;  // the shim breaks local files
        f.preload(o);
        return o;
    }

    std::string log() const { return server.log(); }
};

// Every asset the server lists (trash excluded), id -> SHA-256 of version 1.
std::map<std::string, std::string> visible_assets(http_client& c) {
    std::map<std::string, std::string> out;
    std::string cursor;
    for (;;) {
        auto r = c.request(
            "GET", "/api/v1/assets?limit=200" + (cursor.empty() ? "" : "&cursor=" + cursor), auth());
        REQUIRE(r.status == 200);
        auto j = json::parse(r.body);
        for (auto& item : j["items"]) {
            auto a = json::parse(
                c.request("GET", "/api/v1/assets/" + item["id"].get<std::string>(), auth()).body);
            out[item["id"]] = a["versions"][0]["sha256"];
        }
        if (j["next_cursor"].is_null()) break;
        cursor = j["next_cursor"];
    }
    return out;
}

std::string downloaded_sha(http_client& c, const std::string& id, int* status = nullptr) {
    kho::sha256 h;
    auto r = c.download("GET", "/api/v1/assets/" + id + "/original", auth(),
                        [&](std::string_view d) { h.update(d); });
    if (status) *status = r.status;
    return h.finish_hex();
}

std::size_t direct_upload_leftovers(const fs::path& tmp) {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(tmp))
        if (e.is_regular_file() && e.path().filename().string().starts_with("upload-")) ++n;
    return n;
}

struct outcome_log {
    std::mutex mutex;
    std::map<std::string, std::string> acknowledged;  // asset id -> sha256
    std::map<int, int> failures;                      // status -> count
    std::vector<std::string> wrong;                   // answers that break the rules
    void ack(const std::string& id, const std::string& sha) {
        std::lock_guard lock(mutex);
        acknowledged[id] = sha;
    }
    // A write that failed must say so with a 5xx problem (or 409 for a
    // resumable append whose upload went back to its checkpoint).
    void failed(const http_response& r, bool conflict_allowed = false) {
        std::lock_guard lock(mutex);
        ++failures[r.status];
        bool allowed = (r.status == 500 || r.status == 507 || (conflict_allowed && r.status == 409));
        if (!allowed || !is_problem(r))
            wrong.push_back(std::to_string(r.status) + " " + r.body.substr(0, 200));
    }
};

// One resumable upload through faults: on a failed append, ask for the
// offset and go on from there; give up after a few failed requests.
void tus_upload(http_client& c, const std::string& bytes, const std::string& name,
                outcome_log& log, std::uint64_t chunk) {
    auto created = tus_create(c, auth(), bytes.size(), name);
    if (created.status != 201) {
        log.failed(created);
        return;
    }
    const std::string location = *created.header("Location");
    std::uint64_t offset = 0;
    for (int failures = 0; failures < 8;) {
        auto n = std::min<std::uint64_t>(chunk, bytes.size() - offset);
        auto r = tus_patch(c, auth(), location, offset, std::string_view(bytes).substr(offset, n));
        if (r.status == 204) {
            offset = std::stoull(*r.header("Upload-Offset"));
            if (auto asset = r.header("Kho-Asset-Id")) {
                log.ack(*asset, sha256_hex(bytes));
                return;
            }
            continue;
        }
        log.failed(r, true);
        ++failures;
        c.close();  // the server may have closed the connection after an early answer
        // As tus clients do: ask where the upload stands. A complete upload
        // whose asset could not be committed is finished by this HEAD.
        auto head = c.request("HEAD", location, tus_request_headers(auth()));
        if (head.status != 200) {
            // A HEAD answer has no body to hold a problem: judge the status
            // (409: the bytes were lost before the upload became an asset,
            // and it starts again from 0, as tus clients are told).
            if (head.status != 500 && head.status != 507 && head.status != 409) {
                std::lock_guard lock(log.mutex);
                log.wrong.push_back("HEAD " + std::to_string(head.status));
            }
            return;
        }
        if (auto asset = head.header("Kho-Asset-Id")) {
            log.ack(*asset, sha256_hex(bytes));
            return;
        }
        offset = std::stoull(head.header("Upload-Offset").value_or("0"));
    }
}

void random_fault_round(int round) {
    INFO("round " << round);
    faulty_server s;
    http_client c(s.server.port());
    const auto keep = random_bytes(7000 + round, 300 * 1000);
    auto kept = c.request("POST", "/api/v1/assets?filename=keep.bin", auth(), keep);
    REQUIRE(kept.status == 201);
    const std::string keep_id = json::parse(kept.body)["id"];

    s.faults.set({{s.data / "tmp/", s.data / "blobs/"}, "write,fsync,rename,open", "mixed", 0.12});
    outcome_log log;
    std::atomic<int> reads{0}, bad_reads{0};
    std::atomic<bool> writing{true};
    std::vector<std::thread> clients;
    for (int t = 0; t < 3; ++t) {
        clients.emplace_back([&, t] {
            std::mt19937 rng(round * 100 + t);
            for (int k = 0; k < 12; ++k) {
                auto bytes = random_bytes(round * 100000 + t * 1000 + k,
                                          std::uniform_int_distribution<std::size_t>(1, 600000)(rng));
                try {
                    http_client u(s.server.port());
                    auto r = u.request("POST", "/api/v1/assets?filename=f.bin", auth(), bytes);
                    if (r.status == 201)
                        log.ack(json::parse(r.body)["id"], sha256_hex(bytes));
                    else
                        log.failed(r);
                } catch (const std::exception& e) {
                    std::lock_guard lock(log.mutex);
                    log.wrong.push_back(std::string("connection failed: ") + e.what());
                }
            }
        });
    }
    clients.emplace_back([&] {
        for (int k = 0; k < 4; ++k) {
            try {
                http_client u(s.server.port());
                tus_upload(u, random_bytes(round * 100000 + 9000 + k, 400 * 1000),
                           "tus-" + std::to_string(k) + ".bin", log, 64 * 1024);
            } catch (const std::exception& e) {
                std::lock_guard lock(log.mutex);
                log.wrong.push_back(std::string("tus connection failed: ") + e.what());
            }
        }
    });
    // Reads keep working while writes fail.
    std::thread reader([&] {
        http_client r(s.server.port());
        const auto want = sha256_hex(keep);
        while (writing) {
            int status = 0;
            try {
                if (downloaded_sha(r, keep_id, &status) != want || status != 200) ++bad_reads;
            } catch (...) {
                ++bad_reads;
                r.close();
            }
            ++reads;
        }
    });
    for (auto& t : clients) t.join();
    writing = false;
    reader.join();
    s.faults.off();

    INFO(s.log());
    for (const auto& w : log.wrong) UNSCOPED_INFO(w);
    CHECK(log.wrong.empty());
    CHECK(bad_reads == 0);
    CHECK(reads > 0);
    CHECK(fault_control::injected(s.log()) > 0);
    CHECK_FALSE(log.acknowledged.empty());
    UNSCOPED_INFO("acknowledged " << log.acknowledged.size() << ", faults "
                                  << fault_control::injected(s.log()));
    {
        std::ostringstream line;
        line << "fault round " << round << ": " << fault_control::injected(s.log())
             << " faults injected, " << log.acknowledged.size() << " uploads acknowledged, failures";
        for (const auto& [status, n] : log.failures) line << " " << status << "x" << n;
        line << ", " << reads << " reads (" << bad_reads << " bad), " << log.wrong.size()
             << " wrong answers";
        for (const auto& w : log.wrong) line << " [" << w << "]";
        std::cout << line.str() << std::endl;
    }

    // After a restart: exactly the acknowledged uploads, complete.
    s.server.restart();  // on a new port
    http_client after(s.server.port());
    auto visible = visible_assets(after);
    CHECK(visible.size() == log.acknowledged.size() + 1);
    for (const auto& [id, sha] : log.acknowledged) {
        INFO(id);
        REQUIRE(visible.count(id) == 1);
        CHECK(visible[id] == sha);
        CHECK(downloaded_sha(after, id) == sha);
    }
    for (const auto& [id, sha] : visible) {
        INFO("visible but never acknowledged: " << id);
        CHECK((id == keep_id || log.acknowledged.count(id) == 1));
    }
    auto v = json::parse(after.request("POST", "/api/v1/admin/verify", auth()).body);
    INFO(v.dump());
    CHECK(v["ok"] == true);
    // A failed upload left no blob behind (not even one whose directory
    // entry could not be made durable) and no temporary file.
    auto gc = json::parse(after.request("POST", "/api/v1/admin/gc?dry_run=true", auth()).body);
    CHECK(gc["unreferenced_blobs"] == 0);
    CHECK(direct_upload_leftovers(s.data / "tmp") == 0);
}

}  // namespace

TEST_CASE("random write, fsync, rename and open failures never acknowledge a failed upload") {
    int rounds = 1;
    if (const char* env = std::getenv("KHO_FAULT_ROUNDS")) rounds = std::max(1, std::atoi(env));
    for (int round = 0; round < rounds; ++round) random_fault_round(round);
}

TEST_CASE("a failed fdatasync fails its upload for good, direct or resumable") {
    faulty_server s;
    http_client c(s.server.port());

    SECTION("a direct upload") {
        const auto bytes = random_bytes(11, 200 * 1000);
        s.faults.set({{s.data / "tmp/upload-"}, "fsync", "EIO", 1.0, 1});
        auto r = c.request("POST", "/api/v1/assets?filename=a.bin", auth(), bytes);
        INFO(r.body);
        CHECK(r.status == 500);
        CHECK(is_problem(r));
        CHECK(fault_control::injected(s.log(), "fdatasync") == 1);
        s.faults.off();
        c.close();
        // Not visible, now or after a restart; the same bytes again work.
        CHECK(visible_assets(c).empty());
        auto again = c.request("POST", "/api/v1/assets?filename=a.bin", auth(), bytes);
        REQUIRE(again.status == 201);
        s.server.restart();
        http_client after(s.server.port());
        auto visible = visible_assets(after);
        REQUIRE(visible.size() == 1);
        CHECK(visible.begin()->first == json::parse(again.body)["id"]);
        CHECK(downloaded_sha(after, visible.begin()->first) == sha256_hex(bytes));
    }

    SECTION("a resumable upload goes back to its last checkpoint") {
        const auto bytes = random_bytes(12, 300 * 1000);
        auto created = tus_create(c, auth(), bytes.size(), "b.bin");
        REQUIRE(created.status == 201);
        const auto location = *created.header("Location");
        // The first third is acknowledged without an fsync (no checkpoint
        // is due yet).
        auto first = tus_patch(c, auth(), location, 0, std::string_view(bytes).substr(0, 100000));
        REQUIRE(first.status == 204);
        // The last append's checkpoint fsync fails: the upload must not be
        // finished by fsyncing again, and what was acknowledged without an
        // fsync is given up (the kernel may have dropped those pages).
        s.faults.set({{s.data / "tmp/tus/"}, "fsync", "EIO", 1.0, 1});
        auto rest = tus_patch(c, auth(), location, 100000, std::string_view(bytes).substr(100000));
        INFO(rest.body);
        CHECK(rest.status == 500);
        CHECK(fault_control::injected(s.log(), "fdatasync") == 1);
        s.faults.off();
        c.close();
        CHECK(tus_offset(c, auth(), location) == std::uint64_t{0});
        CHECK(tus_patch(c, auth(), location, 100000, "x").status == 409);
        CHECK(visible_assets(c).empty());
        // The client resends from the checkpoint; now it completes.
        auto whole = tus_patch(c, auth(), location, 0, bytes);
        REQUIRE(whole.status == 204);
        auto id = whole.header("Kho-Asset-Id");
        REQUIRE(id);
        s.server.restart();
        http_client after(s.server.port());
        CHECK(downloaded_sha(after, *id) == sha256_hex(bytes));
        CHECK(visible_assets(after).size() == 1);
    }
}

TEST_CASE("a resumable upload whose completion failed is finished by the next HEAD") {
    // The last append is acknowledged only with the asset made; when making
    // it fails on storage trouble, or the server stops half-way, the upload
    // stays complete and a client's HEAD (all a tus client sends once it
    // sees every byte taken) finishes it: from its file, or from the blob
    // the file was already moved into.
    faulty_server s;
    http_client c(s.server.port());
    auto upload_all_but_finish = [&](const std::string& bytes) {
        auto created = tus_create(c, auth(), bytes.size(), "r.bin");
        REQUIRE(created.status == 201);
        const auto location = *created.header("Location");
        s.faults.set({{s.data / "tmp/tus/"}, "rename", "EIO", 1.0, 1});
        auto last = tus_patch(c, auth(), location, 0, bytes);
        INFO(last.body);
        CHECK(last.status == 500);
        s.faults.off();
        c.close();
        return location;
    };
    auto head = [&](const std::string& location) {
        return c.request("HEAD", location, tus_request_headers(auth()));
    };

    SECTION("from its file") {
        const auto bytes = random_bytes(41, 150000);
        const auto location = upload_all_but_finish(bytes);
        auto h = head(location);
        REQUIRE(h.status == 200);
        CHECK(h.header("Upload-Offset") == std::to_string(bytes.size()));
        auto id = h.header("Kho-Asset-Id");
        REQUIRE(id);
        CHECK(downloaded_sha(c, *id) == sha256_hex(bytes));
        // Asked again: the same asset, not a second one.
        CHECK(head(location).header("Kho-Asset-Id") == id);
        CHECK(visible_assets(c).size() == 1);
    }

    SECTION("from the blob its file was moved into") {
        const auto bytes = random_bytes(42, 150000);
        const auto location = upload_all_but_finish(bytes);
        // As if the server had stopped between placing the blob and
        // committing the asset.
        s.server.stop();
        const auto sha = sha256_hex(bytes);
        const auto id = location.substr(location.rfind('/') + 1);
        const auto blob = s.data / "blobs/sha256" / sha.substr(0, 2) / sha.substr(2, 2) / sha;
        fs::create_directories(blob.parent_path());
        fs::rename(s.data / "tmp/tus" / (id + ".part"), blob);
        s.server.start();
        http_client after(s.server.port());
        auto h = after.request("HEAD", location, tus_request_headers(auth()));
        REQUIRE(h.status == 200);
        auto asset = h.header("Kho-Asset-Id");
        REQUIRE(asset);
        CHECK(downloaded_sha(after, *asset) == sha);
        auto v = json::parse(after.request("POST", "/api/v1/admin/verify", auth()).body);
        CHECK(v["ok"] == true);
    }

    SECTION("and starts over when its bytes are gone") {
        const auto bytes = random_bytes(43, 150000);
        const auto location = upload_all_but_finish(bytes);
        const auto id = location.substr(location.rfind('/') + 1);
        fs::remove(s.data / "tmp/tus" / (id + ".part"));
        auto h = head(location);
        INFO(h.status);
        CHECK(h.status == 409);
        c.close();
        CHECK(tus_offset(c, auth(), location) == std::uint64_t{0});
        auto again = tus_patch(c, auth(), location, 0, bytes);
        REQUIRE(again.status == 204);
        REQUIRE(again.header("Kho-Asset-Id"));
        CHECK(downloaded_sha(c, *again.header("Kho-Asset-Id")) == sha256_hex(bytes));
    }
}

TEST_CASE("a full disk answers 507 to writes, keeps serving reads and recovers without a restart") {
    faulty_server s;
    http_client c(s.server.port());
    const auto keep = random_bytes(21, 250 * 1000);
    auto kept = c.request("POST", "/api/v1/assets?filename=keep.bin&title=Before", auth(), keep);
    REQUIRE(kept.status == 201);
    const std::string id = json::parse(kept.body)["id"];
    const auto pending = random_bytes(22, 200 * 1000);
    auto created = tus_create(c, auth(), pending.size(), "pending.bin");
    REQUIRE(created.status == 201);
    const auto location = *created.header("Location");
    REQUIRE(tus_patch(c, auth(), location, 0, std::string_view(pending).substr(0, 50000)).status ==
            204);
    auto check_507 = [](const http_response& r) {
        INFO(r.status << " " << r.body);
        CHECK(r.status == 507);
        CHECK(is_problem(r));
        if (is_problem(r)) CHECK(json::parse(r.body)["code"] == "insufficient_storage");
    };
    auto edit = [&](const std::string& title) {
        auto a = c.request("GET", "/api/v1/assets/" + id, auth());
        auto rev = json::parse(a.body)["revision"].get<int>();
        return c.request("PATCH", "/api/v1/assets/" + id,
                         auth({{"If-Match", "\"r" + std::to_string(rev) + "\""},
                               {"Content-Type", "application/json"}}),
                         json{{"title", title}}.dump());
    };

    s.faults.set({{s.data.string() + "/"}, "write,fsync,rename,open", "ENOSPC", 1.0, -1, true});
    check_507(c.request("POST", "/api/v1/assets?filename=new.bin", auth(), random_bytes(23, 100000)));
    c.close();
    check_507(tus_create(c, auth(), 1000, "new.bin"));
    check_507(tus_patch(c, auth(), location, 50000, std::string_view(pending).substr(50000, 50000)));
    c.close();
    check_507(edit("During"));
    // Reads go on.
    auto a = c.request("GET", "/api/v1/assets/" + id, auth());
    CHECK(a.status == 200);
    CHECK(json::parse(a.body)["title"] == "Before");
    int status = 0;
    CHECK(downloaded_sha(c, id, &status) == sha256_hex(keep));
    CHECK(status == 200);
    CHECK(fault_control::injected(s.log()) > 0);

    // Space returns: writes work again, without a restart (the database
    // lifts its stop on its own within seconds).
    s.faults.off();
    const auto fresh = random_bytes(24, 100000);
    http_response up;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    do {
        c.close();
        up = c.request("POST", "/api/v1/assets?filename=fresh.bin", auth(), fresh);
        if (up.status == 201) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    } while (std::chrono::steady_clock::now() < deadline);
    INFO(up.body);
    REQUIRE(up.status == 201);
    auto edited = edit("After");
    INFO(edited.body);
    CHECK(edited.status == 200);
    auto offset = tus_offset(c, auth(), location);
    REQUIRE(offset == std::uint64_t{50000});
    auto done = tus_patch(c, auth(), location, 50000, std::string_view(pending).substr(50000));
    CHECK(done.status == 204);
    CHECK(done.header("Kho-Asset-Id").has_value());
    s.server.restart();
    http_client after(s.server.port());
    auto visible = visible_assets(after);
    CHECK(visible.size() == 3);
    auto v = json::parse(after.request("POST", "/api/v1/admin/verify", auth()).body);
    CHECK(v["ok"] == true);
}

TEST_CASE("an I/O error on the database log stops changes, not reads, and loses nothing acknowledged") {
    faulty_server s;
    http_client c(s.server.port());
    const auto keep = random_bytes(31, 100000);
    auto kept = c.request("POST", "/api/v1/assets?filename=keep.bin", auth(), keep);
    REQUIRE(kept.status == 201);
    const std::string id = json::parse(kept.body)["id"];

    s.faults.set({{s.data / "db/"}, "write,fsync", "EIO", 1.0});
    auto r = c.request("POST", "/api/v1/assets?filename=lost.bin", auth(), random_bytes(32, 100000));
    INFO(r.body);
    CHECK(r.status >= 500);
    CHECK(is_problem(r));
    c.close();
    s.faults.off();
    // RocksDB cannot tell what reached its log: changes stay refused
    // (503, saying to restart) while reads go on.
    auto refused = c.request("POST", "/api/v1/assets?filename=later.bin", auth(), random_bytes(33, 1000));
    INFO(refused.body);
    CHECK(refused.status == 503);
    CHECK(is_problem(refused));
    c.close();
    int status = 0;
    CHECK(downloaded_sha(c, id, &status) == sha256_hex(keep));
    CHECK(status == 200);
    s.server.restart();
    http_client after(s.server.port());
    auto visible = visible_assets(after);
    CHECK(visible.size() == 1);
    CHECK(visible.count(id) == 1);
    auto again =
        after.request("POST", "/api/v1/assets?filename=later.bin", auth(), random_bytes(33, 1000));
    CHECK(again.status == 201);
}
