// Remote media workers end to end: the real server with its local workers
// off (--media-concurrency 0), real kho-worker processes in remote mode
// with worker accounts of their own, real images, video and audio made at
// test time. Plus the worker API's contract: leases, 409s for anyone not
// holding one, 4xx problem+json for malformed requests, a worker account
// refused everywhere else.

#include "tests/support/cli_runner.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/people.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/worker_process.hpp"

#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <thread>

using namespace kho::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::map<std::string, std::set<std::string>> k_planned = {
    {"image", {"thumb", "preview", "preview_jpeg", "web"}},
    {"video", {"thumb", "preview", "preview_jpeg", "video_720p"}},
    {"audio", {"thumb", "audio_m4a", "audio_mp3", "waveform"}}};

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void shell(const std::string& command) {
    INFO(command);
    REQUIRE(std::system((command + " >/dev/null 2>&1").c_str()) == 0);
}

fs::path make_jpeg(const temp_dir& dir, int width, int height, const std::string& name) {
    auto noise = dir.path() / (name + ".v");
    auto out = dir.path() / (name + ".jpg");
    shell("vips gaussnoise " + noise.string() + " " + std::to_string(width) + " " +
          std::to_string(height) + " && vips copy " + noise.string() + " " + out.string() +
          "[Q=85]");
    return out;
}

// A video long enough (40 s of 720p) that its transcode can be caught midway.
fs::path make_video(const temp_dir& dir) {
    auto out = dir.path() / "bai-giang.mp4";
    shell(
        "ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=1280x720:rate=25:duration=40 "
        "-f lavfi -i sine=frequency=440:duration=40 -c:v libx264 -preset ultrafast -crf 32 "
        "-c:a aac -shortest " +
        out.string());
    return out;
}

fs::path make_audio(const temp_dir& dir) {
    auto out = dir.path() / "podcast.wav";
    shell("ffmpeg -nostdin -v error -y -f lavfi -i \"sine=frequency=220:duration=4,volume=0.05\" " +
          out.string());
    return out;
}

std::string upload(http_client& c, const std::string& bytes, const std::string& type) {
    auto r = c.request("POST", "/api/v1/assets?title=T%C6%B0%20li%E1%BB%87u",
                       auth({{"Content-Type", type}}), bytes);
    INFO(r.body);
    REQUIRE(r.status == 201);
    return json_of(r)["id"].get<std::string>();
}

json version_of(http_client& c, const std::string& id) {
    auto r = c.request("GET", "/api/v1/assets/" + id + "/versions/1", auth());
    REQUIRE(r.status == 200);
    return json_of(r);
}

json job_of(http_client& c, const std::string& asset) {
    auto r = c.request("GET", "/api/v1/jobs?asset=" + asset, auth());
    REQUIRE(r.status == 200);
    auto items = json_of(r)["items"];
    REQUIRE(items.size() == 1);
    return items[0];
}

// Waits until every job is done; fails with the listing otherwise.
void wait_all_done(http_client& c, std::size_t jobs, std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        auto r = json_of(c.request("GET", "/api/v1/jobs?state=done", auth()));
        if (r["items"].size() == jobs) return;
        if (std::chrono::steady_clock::now() > deadline) {
            INFO(json_of(c.request("GET", "/api/v1/jobs", auth())).dump(1));
            FAIL("the jobs did not all finish");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

// A worker account with an API token, made as an operator would: the
// account with `kho users add --role worker`, then, signed in as it, a
// token with `kho tokens create`.
std::string worker_token_by_cli(const server_process& s, const std::string& username) {
    const std::string url = "http://127.0.0.1:" + std::to_string(s.port());
    auto added = run_kho({"--url", url, "--token", admin_token, "--json", "users", "add", username,
                          "--name", "Máy dựng " + username, "--role", "worker"});
    INFO(added.err);
    REQUIRE(added.exit_code == 0);
    auto user = json::parse(added.out);
    CHECK(user["role"] == "worker");
    http_client c(s.port());
    auto session = session_for(c, username, user["initial_password"].get<std::string>());
    auto made = run_kho({"--url", url, "--json", "tokens", "create", "--label", "kho-worker"},
                        cli_options{{{"KHO_TOKEN", session}}, {}, {}});
    INFO(made.err);
    REQUIRE(made.exit_code == 0);
    return json::parse(made.out)["token"].get<std::string>();
}

// The same through the API.
std::string worker_token(http_client& c, const std::string& username) {
    create_user(c, username, "Máy " + username, "worker");
    auto session = session_for(c, username);
    auto r = c.request("POST", "/api/v1/tokens", bearer(session), json{{"label", "w"}}.dump());
    INFO(r.body);
    REQUIRE(r.status == 201);
    return json_of(r)["token"].get<std::string>();
}

json claim(http_client& c, const std::string& token, const std::string& name, int lease = 60) {
    auto r = c.request("POST", "/api/v1/worker/jobs/claim", bearer(token),
                       json{{"worker", name}, {"lease_seconds", lease}}.dump());
    INFO(r.body);
    REQUIRE(r.status == 200);
    return json_of(r);
}

header_fields leased(const std::string& token, const json& job, header_fields extra = {}) {
    extra.emplace_back("Kho-Lease", job["lease"].get<std::string>());
    return bearer(token, std::move(extra));
}

std::string job_path(const json& job, const std::string& tail) {
    return "/api/v1/worker/jobs/" + job["id"].get<std::string>() + "/" + tail;
}

json image_outputs() {
    json out = json::array();
    for (const char* name : {"thumb", "preview", "preview_jpeg", "web"})
        out.push_back(
            {{"name", name}, {"content_type", "image/webp"}, {"width", 320}, {"height", 240}});
    return out;
}

void upload_outputs(http_client& c, const std::string& token, const json& job,
                    const std::string& tag) {
    for (const auto& o : image_outputs()) {
        auto name = o["name"].get<std::string>();
        auto r = c.request("PUT", job_path(job, "renditions/" + name), leased(token, job),
                           tag + " " + name);
        INFO(r.body);
        REQUIRE(r.status == 201);
        CHECK(json_of(r)["sha256"] == sha256_hex(tag + " " + name));
    }
}

std::size_t files_named(const fs::path& dir, const std::string& prefix) {
    std::size_t n = 0;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().filename().string().starts_with(prefix)) ++n;
    return n;
}

long metric(http_client& c, const std::string& name) {
    auto text = c.request("GET", "/metrics").body;
    auto at = text.find("\n" + name + " ");
    REQUIRE(at != std::string::npos);
    return std::stol(text.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE("two remote workers process a mixed batch exactly once, though one is killed midway",
          "[media][integration][remote]") {
    temp_dir dir;
    std::vector<std::pair<fs::path, std::string>> files{
        {make_jpeg(dir, 1800, 1200, "anh-1"), "image/jpeg"},
        {make_jpeg(dir, 640, 480, "anh-2"), "image/jpeg"},
        {make_jpeg(dir, 1024, 1024, "anh-3"), "image/jpeg"},
        {make_video(dir), "video/mp4"},
        {make_audio(dir), "audio/wav"}};
    server_process server(with_args({"--media-concurrency", "0"}));
    http_client c(server.port());
    auto token_1 = worker_token_by_cli(server, "may-1");
    auto token_2 = worker_token(c, "may-2");
    std::vector<std::string> assets;
    for (const auto& [path, type] : files) assets.push_back(upload(c, read_file(path), type));
    const std::string video = assets[3];
    // Nothing runs without workers.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(job_of(c, video)["state"] == "pending");

    fs::create_directories(dir.path() / "w1");
    fs::create_directories(dir.path() / "w2");
    std::map<std::string, std::unique_ptr<worker_process>> workers;
    workers["remote:may-1/w1"] = std::make_unique<worker_process>(
        worker_options{server.port(), token_1, "w1", dir.path() / "w1" / "work", 10, {}});
    workers["remote:may-2/w2"] = std::make_unique<worker_process>(
        worker_options{server.port(), token_2, "w2", dir.path() / "w2" / "work", 10, {}});

    // Kill -9 whichever worker transcodes the video, while its sandboxed
    // child is at work.
    std::string killed;
    pid_t orphan = -1;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (killed.empty()) {
        auto j = job_of(c, video);
        REQUIRE(j["state"] != "done");  // it must be caught midway
        if (j["state"] == "running" && j["worker"].is_string() &&
            workers.count(j["worker"].get<std::string>())) {
            auto& w = *workers[j["worker"].get<std::string>()];
            if (auto kids = w.children(); !kids.empty()) {
                orphan = kids.front();
                w.kill9();
                killed = j["worker"].get<std::string>();
            }
        }
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    INFO("killed " << killed);
    // Its decoder dies with it (parent-death signal): nothing keeps working on a lost lease.
    auto gone_by = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!process_gone(orphan) && std::chrono::steady_clock::now() < gone_by)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(process_gone(orphan));

    // The survivor takes the video once its lease expires, and finishes everything.
    wait_all_done(c, assets.size(), std::chrono::seconds(240));
    const std::string survivor =
        killed == "remote:may-1/w1" ? "remote:may-2/w2" : "remote:may-1/w1";
    INFO(workers[survivor]->log());

    std::set<std::string> shas;
    for (const auto& id : assets) {
        auto j = job_of(c, id);
        INFO(j.dump());
        CHECK(j["state"] == "done");
        CHECK(j["error"].is_null());
        CHECK(j["attempts"] == (id == video ? 2 : 1));
        auto v = version_of(c, id);
        INFO(v.dump());
        shas.insert(v["sha256"].get<std::string>());
        // Exactly the planned renditions, each once, all made.
        std::set<std::string> names;
        for (const auto& r : v["renditions"]) {
            CHECK(r["state"] == "done");
            CHECK(r["size"].get<std::uint64_t>() > 0);
            CHECK(names.insert(r["name"].get<std::string>()).second);
            shas.insert(r["sha256"].get<std::string>());
        }
        CHECK(names == k_planned.at(j["kind"].get<std::string>()));
        auto listed = json_of(c.request("GET", "/api/v1/assets/" + id + "/renditions", auth()));
        CHECK(listed["items"].size() == names.size());
        CHECK_FALSE(v["media"].is_null());
    }
    auto v = version_of(c, video);
    for (const auto& r : v["renditions"])
        if (r["name"] == "video_720p") CHECK(r["width"] == 1280);

    // The store agrees: every blob referenced and intact, none left over,
    // the referenced-blob count matches the files and the records.
    auto verified = json_of(c.request("POST", "/api/v1/admin/verify", auth()));
    INFO(verified.dump());
    CHECK(verified["ok"] == true);
    auto gc = json_of(c.request("POST", "/api/v1/admin/gc?dry_run=true", auth()));
    CHECK(gc["unreferenced_blobs"] == 0);
    CHECK(stored_blob_count(server.data_dir()) == shas.size());
    CHECK(metric(c, "kho_blobs") == static_cast<long>(shas.size()));
    // No staged output is left in tmp/ (the next claim sweeps a dead lease's).
    auto clean_by = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (files_named(server.data_dir() / "tmp", "upload-") > 0 &&
           std::chrono::steady_clock::now() < clean_by)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(files_named(server.data_dir() / "tmp", "upload-") == 0);

    // The survivor stops cleanly on SIGTERM, its work dir empty.
    workers[survivor]->signal(SIGTERM);
    auto status = workers[survivor]->wait(30);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    auto survivor_dir = dir.path() / (survivor == "remote:may-1/w1" ? "w1" : "w2") / "work";
    CHECK(files_named(survivor_dir, "job-") == 0);
    // The killed worker left its job's files; started again on the same
    // directory, it removes them.
    auto killed_dir = dir.path() / (killed == "remote:may-1/w1" ? "w1" : "w2") / "work";
    CHECK(files_named(killed_dir, "job-") == 1);
    worker_process again(worker_options{server.port(),
                                        killed == "remote:may-1/w1" ? token_1 : token_2,
                                        killed == "remote:may-1/w1" ? "w1" : "w2",
                                        killed_dir,
                                        10,
                                        {"--once"}});
    auto again_status = again.wait(30);
    INFO(again.log());
    CHECK(WIFEXITED(again_status));
    CHECK(WEXITSTATUS(again_status) == 0);
    CHECK(files_named(killed_dir, "job-") == 0);
}

TEST_CASE("worker API: leases, conflicts and malformed requests", "[integration][remote]") {
    server_process server(with_args({"--media-concurrency", "0"}));
    http_client c(server.port());
    auto token = worker_token(c, "may-1");
    auto other = worker_token(c, "may-2");

    // Nothing to do yet.
    auto none = c.request("POST", "/api/v1/worker/jobs/claim", bearer(token),
                          json{{"worker", "gpu-1"}}.dump());
    CHECK(none.status == 204);
    CHECK(none.body.empty());

    const auto original = fake_png(7);
    auto asset = upload(c, original, "image/png");
    auto job = claim(c, token, "gpu-1");
    CHECK(job["asset_id"] == asset);
    CHECK(job["kind"] == "image");
    CHECK(job["version"] == 1);
    CHECK(job["attempt"] == 1);
    CHECK(job["size"] == original.size());
    CHECK(job["sha256"] == sha256_hex(original));
    CHECK(job["lease_seconds"] == 60);
    CHECK(job["lease"].get<std::string>().size() == 32);
    CHECK(job["limits"]["max_pixels"] == 100'000'000);
    CHECK(job["limits"]["timeout_seconds"] == 900);
    CHECK(job["renditions"] ==
          json(std::vector<std::string>{"thumb", "preview", "preview_jpeg", "web"}));
    // The admin listing shows who holds it (without the lease).
    CHECK(job_of(c, asset)["worker"] == "remote:may-1/gpu-1");
    CHECK(c.request("POST", "/api/v1/worker/jobs/claim", bearer(other),
                    json{{"worker", "gpu-2"}}.dump())
              .status == 204);

    json wrong = job;
    wrong["lease"] = std::string(32, 'a');
    SECTION("without the lease: 409 on every call, 400 without the header") {
        check_problem(c.request("POST", job_path(job, "heartbeat"), leased(token, wrong)), 409,
                      "conflict");
        check_problem(c.request("GET", job_path(job, "input"), leased(token, wrong)), 409,
                      "conflict");
        check_problem(
            c.request("PUT", job_path(job, "renditions/thumb"), leased(token, wrong), "x"), 409,
            "conflict");
        check_problem(c.request("POST", job_path(job, "complete"), leased(token, wrong),
                                json{{"renditions", json::array()}}.dump()),
                      409, "conflict");
        check_problem(c.request("POST", job_path(job, "fail"), leased(token, wrong),
                                json{{"error", "x"}}.dump()),
                      409, "conflict");
        // Another account with the right lease: not theirs either.
        check_problem(c.request("POST", job_path(job, "heartbeat"), leased(other, job)), 409,
                      "conflict");
        check_problem(c.request("GET", job_path(job, "input"), leased(other, job)), 409,
                      "conflict");
        check_problem(c.request("POST", job_path(job, "heartbeat"), bearer(token)), 400,
                      "bad_request");
        check_problem(
            c.request("GET", job_path(job, "input"), bearer(token, {{"Kho-Lease", "not-a-lease"}})),
            400, "bad_request");
        check_problem(c.request("POST", "/api/v1/worker/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV/heartbeat",
                                leased(token, job)),
                      404, "not_found");
        check_problem(
            c.request("POST", "/api/v1/worker/jobs/khong-phai/heartbeat", leased(token, job)), 404,
            "not_found");
        // The lease holder is unaffected.
        CHECK(c.request("POST", job_path(job, "heartbeat"), leased(token, job)).status == 200);
    }

    SECTION("malformed bodies and parameters: 4xx problem+json") {
        auto claim_with = [&](const std::string& body) {
            return c.request("POST", "/api/v1/worker/jobs/claim", bearer(token), body);
        };
        check_problem(claim_with("{"), 400, "bad_request");
        check_problem(claim_with("[]"), 400, "bad_request");
        check_problem(claim_with(""), 400, "bad_request");
        check_problem(claim_with(R"({})"), 400, "invalid_parameter");
        check_problem(claim_with(R"({"worker": 7})"), 400, "invalid_parameter");
        check_problem(claim_with(R"({"worker": "có dấu"})"), 400, "invalid_parameter");
        check_problem(claim_with(R"({"worker": "w", "lease_seconds": 5})"), 400,
                      "invalid_parameter");
        check_problem(claim_with(R"({"worker": "w", "lease_seconds": 1e9})"), 400,
                      "invalid_parameter");
        check_problem(claim_with(R"({"worker": "w", "lease_seconds": "60"})"), 400,
                      "invalid_parameter");
        check_problem(claim_with(R"({"worker": "w", "extra": 1})"), 400, "invalid_parameter");
        check_problem(c.request("POST", job_path(job, "heartbeat"), leased(token, job),
                                R"({"lease_seconds": 99999})"),
                      400, "invalid_parameter");
        check_problem(
            c.request("PUT", job_path(job, "renditions/video_720p"), leased(token, job), "x"), 400,
            "invalid_parameter");
        check_problem(c.request("PUT", job_path(job, "renditions/thumb"), leased(token, job), ""),
                      422, "unprocessable");
        auto complete_with = [&](const std::string& body) {
            return c.request("POST", job_path(job, "complete"), leased(token, job), body);
        };
        check_problem(complete_with("not json"), 400, "bad_request");
        check_problem(complete_with(R"({"renditions": {}})"), 400, "invalid_parameter");
        check_problem(complete_with(R"({"renditions": [1]})"), 400, "invalid_parameter");
        check_problem(complete_with(R"({"renditions": [{"name": "thumb"}]})"), 400,
                      "invalid_parameter");
        check_problem(
            complete_with(R"({"renditions": [{"name": "thumb", "content_type": "text/html"}]})"),
            400, "invalid_parameter");
        check_problem(
            complete_with(
                R"({"renditions": [{"name": "thumb", "content_type": "image/webp", "width": -1}]})"),
            400, "invalid_parameter");
        check_problem(
            complete_with(
                R"({"renditions": [{"name": "thumb", "content_type": "image/webp", "duration": "1"}]})"),
            400, "invalid_parameter");
        check_problem(complete_with(R"({"info": [], "renditions": []})"), 400, "invalid_parameter");
        check_problem(complete_with(R"({"renditions": [], "x": 1})"), 400, "invalid_parameter");
        // Well-formed, but not what was uploaded.
        check_problem(complete_with(json{{"renditions", image_outputs()}}.dump()), 422,
                      "unprocessable");
        auto fail_with = [&](const std::string& body) {
            return c.request("POST", job_path(job, "fail"), leased(token, job), body);
        };
        check_problem(fail_with(R"({})"), 400, "invalid_parameter");
        check_problem(fail_with(R"({"error": ""})"), 400, "invalid_parameter");
        check_problem(fail_with(R"({"error": "x", "retryable": "yes"})"), 400, "invalid_parameter");
        // None of it changed the job.
        CHECK(job_of(c, asset)["state"] == "running");
    }

    SECTION("input, outputs and an idempotent completion") {
        auto input = c.request("GET", job_path(job, "input"), leased(token, job));
        REQUIRE(input.status == 200);
        CHECK(input.body == original);
        CHECK(input.header("ETag") == "\"" + sha256_hex(original) + "\"");
        auto part =
            c.request("GET", job_path(job, "input"), leased(token, job, {{"Range", "bytes=8-15"}}));
        CHECK(part.status == 206);
        CHECK(part.body == original.substr(8, 8));
        auto beat = c.request("POST", job_path(job, "heartbeat"), leased(token, job),
                              R"({"lease_seconds": 600})");
        REQUIRE(beat.status == 200);
        CHECK(json_of(beat)["lease_seconds"] == 600);
        CHECK(json_of(beat)["lease_until"] > job["lease_until"]);

        upload_outputs(c, token, job, "đầu ra");
        // Nothing is visible before the completion.
        CHECK(version_of(c, asset)["renditions"][0]["state"] == "running");
        auto body =
            json{{"info", {{"width", 640}, {"height", 480}}}, {"renditions", image_outputs()}}
                .dump();
        auto done = c.request("POST", job_path(job, "complete"), leased(token, job), body);
        INFO(done.body);
        REQUIRE(done.status == 200);
        CHECK(json_of(done)["renditions"].size() == 4);
        auto v = version_of(c, asset);
        CHECK(v["media"]["width"] == 640);
        CHECK(v["renditions"].size() == 4);
        auto thumb = c.request("GET", "/api/v1/assets/" + asset + "/renditions/thumb", auth());
        CHECK(thumb.body == "đầu ra thumb");
        auto job_done = job_of(c, asset);
        CHECK(job_done["state"] == "done");
        CHECK(job_done["worker"].is_null());

        // The answer was lost: the same lease completes again; nothing is duplicated.
        auto again = c.request("POST", job_path(job, "complete"), leased(token, job), body);
        REQUIRE(again.status == 200);
        CHECK(json_of(again)["renditions"] == json_of(done)["renditions"]);
        CHECK(version_of(c, asset)["renditions"].size() == 4);
        auto gc = json_of(c.request("POST", "/api/v1/admin/gc?dry_run=true", auth()));
        CHECK(gc["unreferenced_blobs"] == 0);
        // A done job takes nothing more.
        check_problem(c.request("POST", job_path(job, "heartbeat"), leased(token, job)), 409,
                      "conflict");
        check_problem(c.request("POST", job_path(job, "fail"), leased(token, job),
                                json{{"error", "muộn"}}.dump()),
                      409, "conflict");
        check_problem(c.request("PUT", job_path(job, "renditions/thumb"), leased(token, job), "x"),
                      409, "conflict");
        check_problem(c.request("POST", job_path(job, "complete"), leased(other, job), body), 409,
                      "conflict");
    }

    SECTION("a failure is recorded with its reason") {
        auto failed =
            c.request("POST", job_path(job, "fail"), leased(token, job),
                      json{{"error", "libvips: không đọc được"}, {"retryable", false}}.dump());
        REQUIRE(failed.status == 200);
        CHECK(json_of(failed)["state"] == "failed");
        CHECK(json_of(failed)["error"] == "libvips: không đọc được");
        check_problem(c.request("GET", job_path(job, "input"), leased(token, job)), 409,
                      "conflict");
    }
}

TEST_CASE("a worker account may do media work and nothing else", "[integration][remote]") {
    server_process server(with_args({"--media-concurrency", "0"}));
    http_client c(server.port());
    auto token = worker_token(c, "may-1");
    auto asset = upload(c, fake_png(3), "image/png");
    for (const auto& [method, target] :
         std::vector<std::pair<std::string, std::string>>{{"GET", "/api/v1/assets"},
                                                          {"GET", "/api/v1/catalog"},
                                                          {"GET", "/api/v1/published"},
                                                          {"GET", "/api/v1/users"},
                                                          {"GET", "/api/v1/units"},
                                                          {"GET", "/api/v1/reviews"},
                                                          {"GET", "/api/v1/jobs"},
                                                          {"GET", "/api/v1/audit"},
                                                          {"GET", "/api/v1/reports/downloads"},
                                                          {"GET", "/api/v1/reports/coverage"},
                                                          {"POST", "/api/v1/admin/gc"}}) {
        INFO(method << " " << target);
        check_problem(c.request(method, target, bearer(token)), 403, "forbidden");
    }
    check_problem(c.request("POST", "/api/v1/assets",
                            bearer(token, {{"Content-Type", "image/png"}}), fake_png(4)),
                  403, "forbidden");
    // An asset does not exist for it, even one it has a job for.
    check_problem(c.request("GET", "/api/v1/assets/" + asset, bearer(token)), 404, "not_found");
    check_problem(c.request("GET", "/api/v1/assets/" + asset + "/original", bearer(token)), 404,
                  "not_found");
    // Its own account is its own.
    auto me = c.request("GET", "/api/v1/me", bearer(token));
    REQUIRE(me.status == 200);
    CHECK(json_of(me)["role"] == "worker");
    // Other roles may not take jobs; admins may.
    create_user(c, "thiet-ke", "Nhà thiết kế", "designer");
    auto designer = session_for(c, "thiet-ke");
    check_problem(c.request("POST", "/api/v1/worker/jobs/claim", bearer(designer),
                            json{{"worker", "w"}}.dump()),
                  403, "forbidden");
    CHECK(c.request("POST", "/api/v1/worker/jobs/claim", auth(), json{{"worker", "w"}}.dump())
              .status == 200);
}

TEST_CASE("a stale worker's completion after its lease was taken over commits nothing",
          "[integration][remote]") {
    server_process server(with_args({"--media-concurrency", "0"}));
    http_client c(server.port());
    auto slow = worker_token(c, "may-cham");
    auto fast = worker_token(c, "may-nhanh");
    auto asset = upload(c, fake_png(9), "image/png");
    auto first = claim(c, slow, "cham", 10);
    upload_outputs(c, slow, first, "cũ");
    // The slow worker stalls past its lease; the next claim takes the job back.
    std::this_thread::sleep_for(std::chrono::milliseconds(10'500));
    auto second = claim(c, fast, "nhanh", 60);
    CHECK(second["id"] == first["id"]);
    CHECK(second["attempt"] == 2);
    CHECK(second["lease"] != first["lease"]);
    // The stale worker's upload was dropped with its lease.
    CHECK(files_named(server.data_dir() / "tmp", "upload-") == 0);

    auto body = json{{"renditions", image_outputs()}}.dump();
    check_problem(c.request("POST", job_path(first, "complete"), leased(slow, first), body), 409,
                  "conflict");
    check_problem(c.request("POST", job_path(first, "heartbeat"), leased(slow, first)), 409,
                  "conflict");
    auto v = version_of(c, asset);
    CHECK(v["renditions"][0]["state"] == "running");
    CHECK_FALSE(v["renditions"][0].contains("sha256"));

    upload_outputs(c, fast, second, "mới");
    REQUIRE(c.request("POST", job_path(second, "complete"), leased(fast, second), body).status ==
            200);
    // Late again: still nothing of the stale worker's.
    check_problem(c.request("POST", job_path(first, "complete"), leased(slow, first), body), 409,
                  "conflict");
    auto thumb = c.request("GET", "/api/v1/assets/" + asset + "/renditions/thumb", auth());
    CHECK(thumb.body == "mới thumb");
    auto j = job_of(c, asset);
    CHECK(j["state"] == "done");
    CHECK(j["attempts"] == 2);
    auto gc = json_of(c.request("POST", "/api/v1/admin/gc?dry_run=true", auth()));
    CHECK(gc["unreferenced_blobs"] == 0);
}

TEST_CASE("a remote worker finishes its job on SIGTERM, and abandons it on a second one",
          "[media][integration][remote]") {
    temp_dir dir;
    auto clip = make_video(dir);
    server_process server(with_args({"--media-concurrency", "0", "--media-retry-delay", "0"}));
    http_client c(server.port());
    auto token = worker_token(c, "may-1");
    auto video = upload(c, read_file(clip), "video/mp4");

    auto run_until_busy = [&](const std::string& name) {
        auto w = std::make_unique<worker_process>(
            worker_options{server.port(), token, name, dir.path() / name, 30, {}});
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (w->children().empty()) {
            REQUIRE(std::chrono::steady_clock::now() < deadline);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return w;
    };

    SECTION("one signal: the running job is finished, then the worker exits") {
        auto w = run_until_busy("w1");
        w->signal(SIGTERM);
        auto status = w->wait(120);
        INFO(w->log());
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
        auto j = job_of(c, video);
        CHECK(j["state"] == "done");
        CHECK(j["attempts"] == 1);
    }
    SECTION("two signals: the job is given back at once, to run again") {
        auto w = run_until_busy("w2");
        auto kids = w->children();
        w->signal(SIGTERM);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        w->signal(SIGTERM);
        auto status = w->wait(60);
        INFO(w->log());
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
        for (auto k : kids) CHECK(process_gone(k));
        auto j = job_of(c, video);
        CHECK(j["state"] == "pending");
        CHECK(j["error"] == "the worker was stopped before the job was done");
        CHECK(files_named(dir.path() / "w2", "job-") == 0);
    }
}
