// Crash loop: kill -9 the server at random moments while concurrent clients
// upload (direct and resumable), edit metadata, submit and approve versions,
// trash and purge assets, and media jobs run. After every restart:
//
// - every acknowledged upload is there with its SHA-256 (downloaded and
//   hashed: the assets touched lately and a sample of the others every
//   round, all of them at the end), and every acknowledged edit, workflow
//   step, trash and purge shows; an answer lost to the kill may have taken
//   effect or not, nothing else;
// - a resumable upload goes on from at least its acknowledged offset;
// - nothing partial is visible: an asset committed but never acknowledged
//   is complete, and `verify` re-hashes every stored blob;
// - reference counts equal the references (versions and renditions), and
//   the blob statistics (the kho_blobs metric) the distinct blobs in use;
// - every image version has exactly one media job;
// - no temporary upload file is left (with S3: no tmp/ object, no
//   unfinished multipart upload).
// At the end, once the jobs have run: every job is done, gc leaves exactly
// the referenced blobs, and no temporary file of any kind remains.
//
// KHO_CRASH_ROUNDS=N sets the number of kills (default 15; the long run in
// docs/operations.md is 200). A summary line goes to stdout.

#include "core/sha256.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/media_commands.hpp"
#include "tests/support/people.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tus_steps.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
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

// Random bytes behind a fixed head, so that the type sniffer never takes
// one for audio or video by chance (those would get media jobs).
std::string random_bytes(std::uint64_t seed, std::size_t size) {
    static const std::string head("\0kho-crash-loop\0", 16);
    std::string s(size, '\0');
    byte_stream(seed, size).fill(s.data(), size);
    s.replace(0, std::min(size, head.size()), head, 0, std::min(size, head.size()));
    return s;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Small real PNGs, so that media jobs run (and dedup: the same few images
// are uploaded again and again, and so are their renditions' blobs).
std::vector<std::string> image_pool(const fs::path& dir) {
    std::vector<std::string> out;
    const char* colors[] = {"red", "navy", "teal", "orange", "purple", "olive"};
    int i = 0;
    for (const char* color : colors) {
        auto file = dir / (std::string(color) + ".png");
        ffmpeg("-f lavfi -i color=c=" + std::string(color) + ":s=" + std::to_string(48 + 8 * i) +
               "x40 -frames:v 1 " + quoted(file));
        out.push_back(read_file(file));
        ++i;
    }
    return out;
}

enum : int { draft = 0, in_review = 1, approved = 2 };

int state_rank(const std::string& s) {
    return s == "draft" ? draft : s == "in_review" ? in_review : s == "approved" ? approved : -1;
}

// What the clients were told, per asset. "tried" is what was sent: an
// answer lost to the kill may or may not have taken effect.
struct asset_model {
    std::string sha256;
    std::uint64_t size = 0;
    bool image = false;
    int edit_acked = -1, edit_tried = -1;  // title "edit <n>"
    int state_acked = draft, state_tried = draft;
    bool trash_acked = false, trash_tried = false;
    bool purge_acked = false, purge_tried = false;
    int touched_round = 0;
};

struct tus_model {
    std::string location;
    std::string bytes;
    std::uint64_t acked = 0;
};

struct tally {
    std::atomic<long> uploads{0}, tus_uploads{0}, tus_appends{0}, edits{0}, steps{0}, trashes{0},
        purges{0};
    std::atomic<long> assets_checked{0}, downloads_hashed{0}, bytes_hashed{0}, adopted{0};
    long acknowledged() const {
        return uploads + tus_uploads + tus_appends + edits + steps + trashes + purges;
    }
};

struct world {
    std::mutex mutex;
    std::map<std::string, asset_model> assets;
    std::vector<tus_model> resumable;  // in progress, resumed after each restart
    std::vector<std::string> violations;
    int round = 0;
    int edit_counter = 0;
    tally count;

    void violation(std::string what) {
        std::lock_guard lock(mutex);
        violations.push_back(std::move(what));
    }
    // A random asset (under the lock) that `want` accepts.
    template <class F>
    std::optional<std::string> pick(std::mt19937_64& rng, F want) {
        std::vector<std::string> ids;
        for (auto& [id, a] : assets)
            if (want(a)) ids.push_back(id);
        if (ids.empty()) return std::nullopt;
        return ids[std::uniform_int_distribution<std::size_t>(0, ids.size() - 1)(rng)];
    }
};

struct people_tokens {
    std::string designer, reviewer;
};

// ---- the clients of one round; each runs until the kill --------------------

void direct_uploader(std::uint16_t port, world& w, const people_tokens& p,
                     const std::vector<std::string>& images, std::uint64_t seed,
                     const std::atomic<bool>& crashed) {
    std::mt19937_64 rng(seed);
    for (std::uint64_t k = 0; !crashed; ++k) {
        const bool image = std::uniform_int_distribution<int>(0, 99)(rng) < 15;
        std::string bytes =
            image ? images[k % images.size()]
                  : random_bytes(seed * 100000 + k,
                                 std::uniform_int_distribution<std::size_t>(1, 256 * 1024)(rng));
        try {
            http_client c(port);
            auto r = c.request("POST", "/api/v1/assets?filename=f" + std::string(image ? ".png" : ".bin"),
                               bearer(p.designer), bytes);
            if (r.status == 201) {
                std::lock_guard lock(w.mutex);
                auto& a = w.assets[json::parse(r.body)["id"]];
                a.sha256 = sha256_hex(bytes);
                a.size = bytes.size();
                a.image = image;
                a.touched_round = w.round;
                ++w.count.uploads;
            } else if (r.status != 503) {
                w.violation("upload answered " + std::to_string(r.status) + ": " + r.body);
            }
        } catch (...) {
            // The server died under us: never acknowledged.
        }
    }
}

void tus_uploader(std::uint16_t port, world& w, const people_tokens& p, std::uint64_t seed,
                  const std::atomic<bool>& crashed) {
    std::mt19937_64 rng(seed);
    const auto who = bearer(p.designer);
    for (std::uint64_t k = 0; !crashed; ++k) {
        tus_model u;
        {
            std::lock_guard lock(w.mutex);
            if (!w.resumable.empty()) u = w.resumable.front();
        }
        try {
            http_client c(port);
            if (u.location.empty()) {
                u.bytes = random_bytes(seed * 1000 + k,
                                       std::uniform_int_distribution<std::size_t>(100, 600) (rng) * 1000);
                auto created = tus_create(c, who, u.bytes.size(), "tus.bin");
                if (created.status != 201) continue;
                u.location = *created.header("Location");
                std::lock_guard lock(w.mutex);
                w.resumable.push_back(u);
            } else {
                // Resumed after a restart: the server has at least what it
                // acknowledged (it may have more, when an answer was lost).
                auto head = c.request("HEAD", u.location, tus_request_headers(who));
                if (head.status != 200) {
                    w.violation("HEAD " + u.location + " answered " + std::to_string(head.status));
                    std::lock_guard lock(w.mutex);
                    w.resumable.erase(w.resumable.begin());
                    continue;
                }
                auto offset = std::stoull(head.header("Upload-Offset").value_or("0"));
                if (offset < u.acked)
                    w.violation("upload " + u.location + " resumed at " + std::to_string(offset) +
                                " after " + std::to_string(u.acked) + " were acknowledged");
                if (auto asset = head.header("Kho-Asset-Id")) {
                    // Finished before the kill; its answer was lost.
                    std::lock_guard lock(w.mutex);
                    auto& a = w.assets[*asset];
                    a.sha256 = sha256_hex(u.bytes);
                    a.size = u.bytes.size();
                    a.touched_round = w.round;
                    w.resumable.erase(w.resumable.begin());
                    continue;
                }
                u.acked = offset;
            }
            while (!crashed) {
                auto n = std::min<std::uint64_t>(64 * 1024, u.bytes.size() - u.acked);
                auto r = tus_patch(c, who, u.location, u.acked,
                                   std::string_view(u.bytes).substr(u.acked, n));
                if (r.status != 204) {
                    w.violation("PATCH answered " + std::to_string(r.status) + ": " + r.body);
                    break;
                }
                u.acked = std::stoull(*r.header("Upload-Offset"));
                std::lock_guard lock(w.mutex);
                ++w.count.tus_appends;
                w.resumable.front().acked = u.acked;
                if (auto asset = r.header("Kho-Asset-Id")) {
                    auto& a = w.assets[*asset];
                    a.sha256 = sha256_hex(u.bytes);
                    a.size = u.bytes.size();
                    a.touched_round = w.round;
                    ++w.count.tus_uploads;
                    w.resumable.erase(w.resumable.begin());
                    break;
                }
            }
        } catch (...) {
        }
    }
}

void editor(std::uint16_t port, world& w, std::uint64_t seed, const std::atomic<bool>& crashed) {
    std::mt19937_64 rng(seed);
    while (!crashed) {
        std::optional<std::string> id;
        int n = 0;
        {
            std::lock_guard lock(w.mutex);
            id = w.pick(rng, [](const asset_model& a) { return !a.trash_tried; });
            if (id) n = ++w.edit_counter;
        }
        if (!id) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            continue;
        }
        try {
            http_client c(port);
            auto got = c.request("GET", "/api/v1/assets/" + *id, auth());
            if (got.status != 200) continue;
            auto rev = json::parse(got.body)["revision"].get<long>();
            {
                std::lock_guard lock(w.mutex);
                auto& a = w.assets[*id];
                a.edit_tried = n;
                a.touched_round = w.round;
            }
            auto r = c.request("PATCH", "/api/v1/assets/" + *id,
                               auth({{"If-Match", "\"r" + std::to_string(rev) + "\""},
                                     {"Content-Type", "application/json"}}),
                               json{{"title", "edit " + std::to_string(n)}}.dump());
            if (r.status == 200) {
                std::lock_guard lock(w.mutex);
                auto& a = w.assets[*id];
                a.edit_acked = std::max(a.edit_acked, n);
                ++w.count.edits;
            } else if (r.status != 412 && r.status != 410) {
                // 412: a workflow step bumped the revision meanwhile;
                // 410: trashed meanwhile (the editor's pick raced the deleter).
                w.violation("edit answered " + std::to_string(r.status) + ": " + r.body);
            }
        } catch (...) {
        }
    }
}

void reviewer(std::uint16_t port, world& w, const people_tokens& p, std::uint64_t seed,
              const std::atomic<bool>& crashed) {
    std::mt19937_64 rng(seed);
    while (!crashed) {
        std::optional<std::string> id;
        int to = 0;
        {
            std::lock_guard lock(w.mutex);
            id = w.pick(rng, [](const asset_model& a) {
                return a.image && a.state_tried == a.state_acked && a.state_acked < approved;
            });
            if (id) {
                auto& a = w.assets[*id];
                to = a.state_acked + 1;
                a.state_tried = to;
                a.touched_round = w.round;
            }
        }
        if (!id) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            continue;
        }
        try {
            http_client c(port);
            auto r = to == in_review
                         ? c.request("POST", "/api/v1/assets/" + *id + "/versions/1/submit",
                                     bearer(p.designer), "{}")
                         : c.request("POST", "/api/v1/assets/" + *id + "/versions/1/approve",
                                     bearer(p.reviewer),
                                     json{{"audience", {{"all_units", true}}}}.dump());
            std::lock_guard lock(w.mutex);
            auto& a = w.assets[*id];
            if (r.status == 200) {
                a.state_acked = to;
                ++w.count.steps;
            } else {
                a.state_tried = a.state_acked;  // refused: nothing changed
                w.violation("workflow step answered " + std::to_string(r.status) + ": " + r.body);
            }
        } catch (...) {
        }
    }
}

void deleter(std::uint16_t port, world& w, std::uint64_t seed, const std::atomic<bool>& crashed) {
    std::mt19937_64 rng(seed);
    while (!crashed) {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        std::optional<std::string> id;
        bool purge = false;
        {
            std::lock_guard lock(w.mutex);
            // Purge what is in the trash; trash one binary asset in four.
            id = w.pick(rng, [](const asset_model& a) { return a.trash_acked && !a.purge_tried; });
            purge = id.has_value();
            if (!id)
                id = w.pick(rng, [](const asset_model& a) {
                    return !a.image && !a.trash_tried && a.sha256[0] < '4';
                });
            if (!id) continue;
            auto& a = w.assets[*id];
            (purge ? a.purge_tried : a.trash_tried) = true;
            a.touched_round = w.round;
        }
        try {
            http_client c(port);
            auto r = c.request("DELETE",
                               "/api/v1/assets/" + *id + (purge ? "?permanent=true" : ""), auth());
            std::lock_guard lock(w.mutex);
            auto& a = w.assets[*id];
            if (r.status == (purge ? 204 : 200)) {
                (purge ? a.purge_acked : a.trash_acked) = true;
                ++(purge ? w.count.purges : w.count.trashes);
            } else {
                w.violation(std::string(purge ? "purge" : "trash") + " answered " +
                            std::to_string(r.status) + ": " + r.body);
            }
        } catch (...) {
        }
    }
}

// ---- the checks after each restart -------------------------------------------

std::size_t upload_leftovers(const fs::path& tmp) {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(tmp))
        if (e.is_regular_file() && e.path().filename().string().starts_with("upload-")) ++n;
    return n;
}

std::optional<std::string> download_sha(http_client& c, const std::string& id, tally& t) {
    kho::sha256 h;
    std::uint64_t n = 0;
    auto r = c.download("GET", "/api/v1/assets/" + id + "/versions/1/original", auth(),
                        [&](std::string_view d) {
                            h.update(d);
                            n += d.size();
                        });
    if (r.status != 200) return std::nullopt;
    ++t.downloads_hashed;
    t.bytes_hashed += static_cast<long>(n);
    return h.finish_hex();
}

// Checks one asset against what its clients were told, then takes what the
// server shows as the new truth (nothing is in flight between rounds): a
// step whose answer was lost counts as done or not done, as it turned out.
void check_asset(http_client& c, world& w, const std::string& id, const asset_model& a,
                 bool download) {
    ++w.count.assets_checked;
    auto settle = [&](auto&& change) {
        std::lock_guard lock(w.mutex);
        change(w.assets[id]);
    };
    auto r = c.request("GET", "/api/v1/assets/" + id, auth());
    if (a.purge_acked) {
        if (r.status != 404) w.violation(id + ": purged, but GET answers " + std::to_string(r.status));
        return;
    }
    if (r.status == 404 && a.purge_tried) {
        settle([](asset_model& m) { m.purge_acked = true; });
        return;
    }
    if (r.status != 200) {
        w.violation(id + ": acknowledged, but GET answers " + std::to_string(r.status));
        return;
    }
    auto j = json::parse(r.body);
    auto v = j["versions"][0];
    if (v["sha256"] != a.sha256 || v["size"] != a.size)
        w.violation(id + ": version 1 is " + v["sha256"].get<std::string>() + ", acknowledged " +
                    a.sha256);
    const bool trashed = !j["deleted_at"].is_null();
    if (a.trash_acked && !trashed) w.violation(id + ": trashed, but not in the trash");
    if (trashed && !a.trash_tried) w.violation(id + ": in the trash, but never trashed");
    const std::string title = j["title"];
    int edit = title.rfind("edit ", 0) == 0 ? std::stoi(title.substr(5)) : -1;
    if (edit < a.edit_acked || edit > a.edit_tried)
        w.violation(id + ": title \"" + title + "\", acknowledged edit " +
                    std::to_string(a.edit_acked) + ", last tried " + std::to_string(a.edit_tried));
    int state = state_rank(v["state"]);
    if (state < a.state_acked || state > a.state_tried)
        w.violation(id + ": state " + v["state"].get<std::string>() + ", acknowledged step " +
                    std::to_string(a.state_acked));
    // Exactly one media job for an image version, none for other files.
    auto jobs = c.request("GET", "/api/v1/jobs?asset=" + id, auth());
    if (jobs.status != 200) {
        w.violation(id + ": jobs answer " + std::to_string(jobs.status));
    } else {
        auto items = json::parse(jobs.body)["items"];
        if (items.size() != (a.image ? 1u : 0u))
            w.violation(id + ": " + std::to_string(items.size()) + " media jobs: " + items.dump());
    }
    if (download && !trashed) {
        auto got = download_sha(c, id, w.count);
        if (got != a.sha256) w.violation(id + ": the download does not hash to " + a.sha256);
    }
    settle([&](asset_model& m) {
        m.purge_tried = false;
        m.trash_acked = m.trash_tried = trashed;
        m.edit_acked = m.edit_tried = edit;
        if (state >= 0) m.state_acked = m.state_tried = state;
    });
}

// Assets the server shows that no client was told about: committed just
// before a kill. They must be complete; from now on they are checked too.
void adopt_unacknowledged(http_client& c, world& w) {
    for (bool trash : {false, true}) {
        std::string cursor;
        for (;;) {
            auto r = c.request("GET",
                               std::string("/api/v1/assets?limit=200") +
                                   (trash ? "&trashed=true" : "") +
                                   (cursor.empty() ? "" : "&cursor=" + cursor),
                               auth());
            if (r.status != 200) {
                w.violation("listing answers " + std::to_string(r.status));
                return;
            }
            auto j = json::parse(r.body);
            for (auto& item : j["items"]) {
                std::string id = item["id"];
                {
                    std::lock_guard lock(w.mutex);
                    if (w.assets.count(id)) continue;
                }
                auto full = json::parse(c.request("GET", "/api/v1/assets/" + id, auth()).body);
                auto v = full["versions"][0];
                asset_model a;
                a.sha256 = v["sha256"];
                a.size = v["size"];
                a.image = v["content_type"] == "image/png";
                a.trash_tried = a.trash_acked = trash;
                if (!trash && download_sha(c, id, w.count) != a.sha256)
                    w.violation(id + ": committed without an answer, and incomplete");
                std::lock_guard lock(w.mutex);
                a.touched_round = w.round;
                w.assets.emplace(id, a);
                ++w.count.adopted;
            }
            if (j["next_cursor"].is_null()) break;
            cursor = j["next_cursor"];
        }
    }
}

json verify_store(http_client& c, world& w) {
    auto r = c.request("POST", "/api/v1/admin/verify?max_mb_per_second=0", auth());
    if (r.status != 200) {
        w.violation("verify answers " + std::to_string(r.status));
        return json::object();
    }
    auto v = json::parse(r.body);
    if (v["ok"] != true) w.violation("verify: " + v.dump());
    return v;
}

void check_after_restart(server_process& server, world& w, std::mt19937_64& rng, bool everything) {
    if (auto n = upload_leftovers(server.data_dir() / "tmp"); n != 0)
        w.violation(std::to_string(n) + " temporary upload files after recovery:\n" +
                    list_files_under(server.data_dir() / "tmp"));
    if (s3_backend()) {
        auto s3 = test_bucket(server.data_dir());
        std::size_t tmp_objects = 0;
        (void)s3.list("tmp/", [&](const kho::storage::s3_object&) { ++tmp_objects; });
        if (tmp_objects) w.violation(std::to_string(tmp_objects) + " tmp/ objects after recovery");
        if (multipart_uploads_left(server.data_dir()) != 0)
            w.violation("unfinished multipart uploads after recovery");
    }
    http_client c(server.port());
    adopt_unacknowledged(c, w);
    std::vector<std::pair<std::string, asset_model>> all;
    {
        std::lock_guard lock(w.mutex);
        all.assign(w.assets.begin(), w.assets.end());
    }
    std::uniform_int_distribution<int> sample(0, 99);
    for (const auto& [id, a] : all) {
        bool recent = a.touched_round >= w.round - 1;
        if (everything || recent || sample(rng) < 10)
            check_asset(c, w, id, a, everything || recent || sample(rng) < 50);
    }
    verify_store(c, w);
    // gc reclaims what a kill left unreferenced (a blob placed, its commit
    // never made).
    auto gc = c.request("POST", "/api/v1/admin/gc", auth());
    if (gc.status != 200) w.violation("gc answers " + std::to_string(gc.status));
}

long metric(http_client& c, const std::string& name) {
    auto body = c.request("GET", "/metrics").body;
    auto at = body.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stol(body.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE("kill -9 at random moments of a mixed workload loses nothing acknowledged") {
    const int rounds = [] {
        const char* env = std::getenv("KHO_CRASH_ROUNDS");
        return env ? std::max(1, std::atoi(env)) : 15;
    }();
    const auto started = std::chrono::steady_clock::now();
    temp_dir media("kho-crash-media");
    const auto images = image_pool(media.path());
    server_process server(with_args({"--allowed-types", "*", "--media-concurrency", "1",
                                     "--media-retry-delay", "1"}));
    people_tokens p;
    {
        http_client c(server.port());
        create_user(c, "lan.nguyen", "Nguyễn Thị Lan", "designer");
        create_user(c, "binh.tran", "Trần Văn Bình", "reviewer");
        p.designer = session_for(c, "lan.nguyen");
        p.reviewer = session_for(c, "binh.tran");
    }
    world w;
    std::mt19937_64 rng(20261127);

    for (int round = 1; round <= rounds; ++round) {
        {
            std::lock_guard lock(w.mutex);
            w.round = round;
        }
        std::atomic<bool> crashed{false};
        const std::uint16_t port = server.port();
        const std::uint64_t seed = rng();
        std::vector<std::thread> clients;
        for (int i = 0; i < 2; ++i)
            clients.emplace_back(
                [&, i] { direct_uploader(port, w, p, images, seed + i, crashed); });
        clients.emplace_back([&] { tus_uploader(port, w, p, seed + 10, crashed); });
        clients.emplace_back([&] { editor(port, w, seed + 20, crashed); });
        clients.emplace_back([&] { reviewer(port, w, p, seed + 30, crashed); });
        clients.emplace_back([&] { deleter(port, w, seed + 40, crashed); });
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::uniform_int_distribution<int>(100, 900)(rng)));
        server.kill9();
        crashed = true;
        for (auto& t : clients) t.join();

        server.start();
        check_after_restart(server, w, rng, false);
        INFO("round " << round);
        for (const auto& v : w.violations) UNSCOPED_INFO(v);
        REQUIRE(w.violations.empty());
    }

    // The end: no more kills. Let the media jobs run out, then check
    // everything, jobs and disk included.
    http_client c(server.port());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
    auto busy = [&] {
        for (const char* state : {"pending", "running"}) {
            auto r = c.request("GET", std::string("/api/v1/jobs?limit=1&state=") + state, auth());
            if (r.status != 200 || !json::parse(r.body)["items"].empty()) return true;
        }
        return false;
    };
    while (busy() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK_FALSE(busy());
    {
        std::lock_guard lock(w.mutex);
        w.round = rounds + 1;
    }
    // A resumable upload whose last append the final kill cut short may be
    // complete without its asset: asking about it (HEAD, as a tus client
    // does) finishes it.
    for (const auto& u : std::vector<tus_model>(w.resumable)) {
        auto head = c.request("HEAD", u.location, tus_request_headers(bearer(p.designer)));
        REQUIRE(head.status == 200);
        CHECK(std::stoull(head.header("Upload-Offset").value_or("0")) >= u.acked);
        if (head.header("Kho-Asset-Id")) std::erase_if(w.resumable, [&](const tus_model& x) {
            return x.location == u.location;
        });
    }
    check_after_restart(server, w, rng, true);
    for (const auto& v : w.violations) UNSCOPED_INFO(v);
    REQUIRE(w.violations.empty());
    auto failed = json::parse(c.request("GET", "/api/v1/jobs?state=failed", auth()).body);
    CHECK(failed["items"].empty());
    // Every live image version has its renditions.
    std::size_t with_renditions = 0;
    for (const auto& [id, a] : w.assets) {
        if (!a.image || a.trash_tried) continue;
        auto r = json::parse(c.request("GET", "/api/v1/assets/" + id, auth()).body);
        const auto& made = r["versions"][0]["renditions"];
        bool done = !made.empty();
        for (const auto& m : made) done &= m.value("state", "") == "done";
        CHECK(done);
        with_renditions += done;
    }
    // gc left exactly the referenced blobs, and the statistics agree.
    auto v = verify_store(c, w);
    const long referenced = v["references"]["referenced_blobs"].get<long>();
    CHECK(metric(c, "kho_blobs") == referenced);
    CHECK(stored_blob_count(server.data_dir()) == static_cast<std::size_t>(referenced));
    auto gc = json::parse(c.request("POST", "/api/v1/admin/gc?dry_run=true", auth()).body);
    CHECK(gc["unreferenced_blobs"] == 0);
    // No temporary file of any kind, but those of resumable uploads still
    // in progress (including some whose creation's answer a kill took:
    // they expire after --upload-expiry).
    std::size_t other = 0;
    for (const auto& e : fs::recursive_directory_iterator(server.data_dir() / "tmp")) {
        if (!e.is_regular_file()) continue;
        if (e.path().parent_path().filename() != "tus") {
            ++other;
            continue;
        }
        auto status = c.request("GET", "/api/v1/uploads/" + e.path().stem().string(), auth());
        INFO(e.path() << ": " << status.status << " " << status.body);
        REQUIRE(status.status == 200);
        CHECK(json::parse(status.body)["complete"] == false);
    }
    CHECK(other == 0);

    const auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::ostringstream summary;
    summary << "crash loop: " << rounds << " kills, " << w.count.acknowledged()
            << " acknowledged writes (" << w.count.uploads << " uploads, " << w.count.tus_uploads
            << " resumable uploads of " << w.count.tus_appends << " appends, " << w.count.edits
            << " edits, " << w.count.steps << " workflow steps, " << w.count.trashes
            << " trashes, " << w.count.purges << " purges), " << w.count.adopted
            << " committed without an answer; " << w.count.assets_checked << " asset checks, "
            << w.count.downloads_hashed << " downloads hashed (" << w.count.bytes_hashed
            << " bytes), " << w.assets.size() << " assets, " << with_renditions
            << " image assets with renditions, " << referenced << " blobs; "
            << w.violations.size() << " violations; " << static_cast<long>(seconds) << " s";
    std::cout << summary.str() << std::endl;
    CHECK(w.count.uploads > rounds);
}
