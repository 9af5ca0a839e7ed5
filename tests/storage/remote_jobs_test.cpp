// Remote workers' leases, staged outputs and completions, on a real
// database and blob store with a clock the test moves by hand.

#include "storage/remote_jobs.hpp"

#include "core/sha256.hpp"
#include "storage/asset_store.hpp"
#include "storage/audit_log.hpp"
#include "storage/blob_store.hpp"
#include "storage/database.hpp"
#include "storage/job_queue.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>

namespace fs = std::filesystem;
using kho::errc;
using kho::job;
using kho::job_state;
using kho::storage::lease_holder;
using kho::storage::output_record;

namespace {

constexpr kho::unix_ms k_start = 1764133332000;

struct env {
    kho::test::temp_dir dir;
    kho::unix_ms now = k_start;
    std::unique_ptr<kho::storage::local_blob_store> blobs;
    std::unique_ptr<kho::storage::database> db;
    std::unique_ptr<kho::storage::audit_log> audit;
    std::unique_ptr<kho::storage::asset_store> assets;
    std::unique_ptr<kho::storage::job_queue> jobs;
    std::unique_ptr<kho::storage::remote_jobs> remote;

    env() {
        auto b = kho::storage::local_blob_store::open(dir.path() / "data");
        REQUIRE(b.has_value());
        blobs = std::move(*b);
        db = kho::test::open_test_database(dir.path() / "data" / "db");
        kho::clock clk([this] { return now; });
        audit = std::make_unique<kho::storage::audit_log>(*db, clk);
        assets = std::make_unique<kho::storage::asset_store>(*db, *blobs, *audit, clk);
        jobs = std::make_unique<kho::storage::job_queue>(
            *db, clk, kho::storage::job_queue_options{3, 1000, 8000});
        assets->set_job_queue(jobs.get());
        remote = std::make_unique<kho::storage::remote_jobs>(*jobs, *assets);
    }
    ~env() {
        remote.reset();
        assets.reset();
        jobs.reset();
        audit.reset();
        db.reset();
        blobs.reset();
    }

    std::pair<kho::storage::blob_writer, kho::storage::blob_info> stage(const std::string& bytes) {
        auto w = blobs->begin_write(1u << 20);
        REQUIRE(w.has_value());
        REQUIRE(w->write(bytes.data(), bytes.size()).has_value());
        auto info = w->finish();
        REQUIRE(info.has_value());
        return {std::move(*w), *info};
    }

    // A new image asset (version 1), whose job is queued.
    kho::ulid create_image(const std::string& bytes) {
        kho::asset_metadata m;
        m.title = "Áp phích";
        m.kind = kho::asset_kind::poster;
        auto meta = kho::validate(std::move(m));
        REQUIRE(meta.has_value());
        auto [w, info] = stage(bytes);
        auto made = assets->create(std::move(*meta), std::move(w), info, "image/png", "a.png",
                                   kho::audit_context{"admin", ""});
        REQUIRE(made.has_value());
        return made->first.id;
    }

    std::size_t tmp_files() const {
        std::size_t n = 0;
        for (const auto& e : fs::directory_iterator(dir.path() / "data" / "tmp"))
            if (e.is_regular_file()) ++n;
        return n;
    }

    job claim(const std::string& account, const std::string& name, kho::unix_ms lease) {
        auto c = remote->claim(account, name, lease);
        REQUIRE(c.has_value());
        REQUIRE(c->has_value());
        return **c;
    }

    void upload(const job& j, const lease_holder& who, const std::string& name,
                const std::string& bytes) {
        auto [w, info] = stage(bytes);
        REQUIRE(remote->stage(j.id, who, name, std::move(w), info).has_value());
    }
};

lease_holder holder_of(const std::string& account, const job& j) {
    return lease_holder{account, std::string(kho::storage::remote_jobs::lease_of(j))};
}

std::vector<output_record> image_outputs() {
    std::vector<output_record> out;
    for (const char* name : {"thumb", "preview", "preview_jpeg", "web"})
        out.push_back(output_record{name, "image/webp", 320, 200, 0, ""});
    return out;
}

}  // namespace

TEST_CASE("job queue: a heartbeat extends only the caller's lease", "[jobs][remote]") {
    env e;
    e.create_image("ảnh 1");
    auto held = e.jobs->claim("remote:w/a#1", 10'000);
    REQUIRE(held->has_value());
    e.now += 9'000;
    auto extended = e.jobs->extend_lease(**held, 10'000);
    REQUIRE(extended.has_value());
    CHECK(extended->lease_until == e.now + 10'000);
    // Past the first lease end, but renewed: not reclaimed.
    e.now += 9'000;
    CHECK(e.jobs->reclaim_expired() == 0);
    e.now += 1'001;
    CHECK(e.jobs->reclaim_expired() == 1);
    CHECK(e.jobs->extend_lease(**held, 10'000).error().code == errc::conflict);
    auto again = e.jobs->claim("remote:w/b#2", 10'000);
    REQUIRE(again->has_value());
    CHECK(e.jobs->extend_lease(**held, 10'000).error().code == errc::conflict);
    CHECK(e.jobs->extend_lease(**again, 10'000).has_value());
}

TEST_CASE("job queue: a restart requeues local runs but keeps remote leases", "[jobs][remote]") {
    env e;
    e.create_image("ảnh 1");
    e.now += 1;
    e.create_image("ảnh 2");
    auto local = e.jobs->claim("local-42", 60'000);
    auto remote = e.jobs->claim("remote:w/a#1", 60'000);
    REQUIRE(local->has_value());
    REQUIRE(remote->has_value());
    CHECK(e.jobs->requeue_running() == 1);
    CHECK(e.jobs->get((*local)->id)->state == job_state::pending);
    CHECK(e.jobs->get((*remote)->id)->state == job_state::running);
    // The remote worker still holds it and may finish it.
    CHECK(e.jobs->extend_lease(**remote, 60'000).has_value());
}

TEST_CASE("remote jobs: claim, upload, complete, and a repeated completion changes nothing",
          "[jobs][remote]") {
    env e;
    auto asset = e.create_image("ảnh gốc");
    CHECK_FALSE(e.remote->claim("may-1", "bad name!", 60'000).has_value());
    auto j = e.claim("may-1", "gpu-1", 60'000);
    CHECK(j.worker.starts_with("remote:may-1/gpu-1#"));
    CHECK(kho::to_api_json(j)["worker"] == "remote:may-1/gpu-1");
    auto who = holder_of("may-1", j);
    CHECK(who.lease.size() == 32);
    CHECK(e.remote->held(j.id, who).has_value());
    // Nothing else is runnable.
    CHECK_FALSE(e.remote->claim("may-2", "cpu-1", 60'000)->has_value());

    for (const auto& o : image_outputs()) e.upload(j, who, o.name, "bytes of " + o.name);
    // A re-upload replaces; an output the job's kind does not make is refused.
    e.upload(j, who, "thumb", "bytes of thumb, again");
    auto [w, info] = e.stage("?");
    CHECK(e.remote->stage(j.id, who, "video_720p", std::move(w), info).error().code ==
          errc::invalid_parameter);
    CHECK(e.remote->staged_outputs() == 4);
    CHECK(e.tmp_files() == 4);

    // The names must be exactly the uploads.
    auto three = image_outputs();
    three.pop_back();
    CHECK(e.remote->complete(j.id, who, three, "{}").error().code == errc::unprocessable);
    auto five = image_outputs();
    five.push_back(output_record{"thumb", "image/webp", 1, 1, 0, ""});
    CHECK(e.remote->complete(j.id, who, five, "{}").error().code == errc::unprocessable);

    auto done = e.remote->complete(j.id, who, image_outputs(), R"({"width":640})");
    REQUIRE(done.has_value());
    CHECK(done->size() == 4);
    CHECK(e.jobs->get(j.id)->state == job_state::done);
    CHECK(e.remote->staged_outputs() == 0);
    CHECK(e.tmp_files() == 0);
    auto thumb = e.assets->get_rendition(asset, 1, "thumb");
    REQUIRE(thumb.has_value());
    CHECK(thumb->sha256 == kho::sha256::hex_of("bytes of thumb, again"));
    CHECK(e.assets->ref_count(thumb->sha256) == 1);

    // The answer was lost; the worker asks again: the same renditions, no new references.
    auto again = e.remote->complete(j.id, who, image_outputs(), "{}");
    REQUIRE(again.has_value());
    CHECK(again->size() == 4);
    CHECK(e.assets->ref_count(thumb->sha256) == 1);
    CHECK(e.assets->list_renditions(asset, 1)->size() == 4);
    // Someone else's completion of a done job is refused.
    CHECK(e.remote->complete(j.id, holder_of("may-2", j), image_outputs(), "{}").error().code ==
          errc::conflict);
    // A done job takes no more heartbeats or uploads.
    CHECK(e.remote->heartbeat(j.id, who, 60'000).error().code == errc::conflict);
}

TEST_CASE("remote jobs: a stale lease commits nothing and its uploads are dropped",
          "[jobs][remote]") {
    env e;
    auto asset = e.create_image("ảnh gốc");
    auto first = e.claim("may-1", "gpu-1", 10'000);
    auto stale = holder_of("may-1", first);
    e.upload(first, stale, "thumb", "stale thumb");
    CHECK(e.tmp_files() == 1);

    // The worker vanished: its lease ends, and the same account and name
    // claim the job again (a restarted worker process): a new lease.
    e.now += 11'000;
    auto second = e.claim("may-1", "gpu-1", 10'000);
    CHECK(second.id == first.id);
    CHECK(second.attempts == 2);
    auto fresh = holder_of("may-1", second);
    CHECK(fresh.lease != stale.lease);
    // The claim's sweep dropped the stale upload.
    CHECK(e.remote->staged_outputs() == 0);
    CHECK(e.tmp_files() == 0);

    // Every call of the old lease is refused.
    CHECK(e.remote->held(first.id, stale).error().code == errc::conflict);
    CHECK(e.remote->heartbeat(first.id, stale, 10'000).error().code == errc::conflict);
    auto [w, info] = e.stage("late");
    CHECK(e.remote->stage(first.id, stale, "thumb", std::move(w), info).error().code ==
          errc::conflict);
    CHECK(e.tmp_files() == 0);
    CHECK(e.remote->complete(first.id, stale, {}, "{}").error().code == errc::conflict);
    CHECK(e.remote->fail(first.id, stale, "muộn", true).error().code == errc::conflict);
    // Nor may another account use the new lease.
    CHECK(e.remote->held(second.id, holder_of("may-2", second)).error().code == errc::conflict);
    CHECK(e.remote->held(second.id, lease_holder{"may-1", ""}).error().code == errc::conflict);

    // The new holder finishes; nothing of the stale one is there.
    for (const auto& o : image_outputs()) e.upload(second, fresh, o.name, "new " + o.name);
    REQUIRE(e.remote->complete(second.id, fresh, image_outputs(), "{}").has_value());
    CHECK(e.assets->get_rendition(asset, 1, "thumb")->sha256 == kho::sha256::hex_of("new thumb"));
    CHECK(e.tmp_files() == 0);
    // The stale worker's complete after the re-lease commits nothing.
    CHECK(e.remote->complete(first.id, stale, image_outputs(), "{}").error().code ==
          errc::conflict);
    CHECK(e.assets->get_rendition(asset, 1, "thumb")->sha256 == kho::sha256::hex_of("new thumb"));
}

TEST_CASE("remote jobs: a failure drops the uploads and follows the queue's back-off",
          "[jobs][remote]") {
    env e;
    e.create_image("ảnh gốc");
    auto j = e.claim("may-1", "gpu-1", 60'000);
    auto who = holder_of("may-1", j);
    e.upload(j, who, "thumb", "half done");
    auto failed = e.remote->fail(j.id, who, "libvips: tệp hỏng", true);
    REQUIRE(failed.has_value());
    CHECK(failed->state == job_state::pending);
    CHECK(failed->error == "libvips: tệp hỏng");
    CHECK(e.remote->staged_outputs() == 0);
    CHECK(e.tmp_files() == 0);
    // Not runnable before its back-off ends.
    CHECK_FALSE(e.remote->claim("may-1", "gpu-1", 60'000)->has_value());
    e.now += 1'000;
    auto again = e.claim("may-1", "gpu-1", 60'000);
    auto refused = e.remote->fail(again.id, holder_of("may-1", again), "không đọc được", false);
    REQUIRE(refused.has_value());
    CHECK(refused->state == job_state::failed);
    // Leases are clamped to the bounds.
    CHECK(e.remote->clamp_lease(1) == 10'000);
    CHECK(e.remote->clamp_lease(100'000'000) == 3'600'000);
}
