// verify_store, the damage registry and the reference audit, on a local
// store: a corrupt blob is reported and recorded (across a restart), an
// intact one is cleared, an upload of the same bytes replaces a damaged
// file instead of deduplicating against it, and reference counts and
// statistics stay exact when a job's re-run replaces a rendition.

#include "core/sha256.hpp"
#include "storage/asset_store.hpp"
#include "storage/audit_log.hpp"
#include "storage/blob_store.hpp"
#include "storage/database.hpp"
#include "storage/job_queue.hpp"
#include "storage/maintenance.hpp"
#include "storage/rocks.hpp"
#include "storage/upload_store.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>

namespace fs = std::filesystem;
using kho::storage::asset_store;
using kho::storage::blob_info;
using kho::storage::database;
using kho::storage::local_blob_store;

namespace {

struct env {
    kho::test::temp_dir dir{"kho-verify"};
    std::unique_ptr<local_blob_store> blobs;
    std::unique_ptr<database> db;
    std::unique_ptr<kho::storage::audit_log> audit;
    std::unique_ptr<asset_store> assets;
    std::unique_ptr<kho::storage::job_queue> jobs;

    env() { open(); }
    ~env() { close(); }

    void open() {
        blobs = std::move(*local_blob_store::open(dir.path() / "data"));
        db = std::move(*database::open(dir.path() / "data" / "db"));
        audit = std::make_unique<kho::storage::audit_log>(*db);
        assets = std::make_unique<asset_store>(*db, *blobs, *audit);
        jobs = std::make_unique<kho::storage::job_queue>(*db);
        assets->set_job_queue(jobs.get());
    }
    void close() {
        assets.reset();
        jobs.reset();
        audit.reset();
        db.reset();
        blobs.reset();
    }

    std::pair<kho::storage::blob_writer, blob_info> stage(const std::string& bytes) {
        auto w = blobs->begin_write(1u << 30);
        REQUIRE(w.has_value());
        REQUIRE(w->write(bytes.data(), bytes.size()).has_value());
        auto info = w->finish();
        REQUIRE(info.has_value());
        return {std::move(*w), *info};
    }

    kho::asset create(const std::string& bytes, const std::string& type = "application/pdf") {
        auto [w, info] = stage(bytes);
        kho::asset_metadata m;
        m.title = "Tài liệu";
        auto r = assets->create(*kho::validate(m), std::move(w), info, type, "tai-lieu.pdf",
                                kho::audit_context{"admin", ""});
        REQUIRE(r.has_value());
        return r->first;
    }

    // Changes the stored file in place, as a failing disk would.
    void damage(const std::string& sha, const std::string& bytes) {
        auto path = blobs->path_of(sha);
        REQUIRE(::chmod(path.c_str(), 0640) == 0);
        std::fstream(path, std::ios::in | std::ios::out | std::ios::binary) << bytes;
        REQUIRE(::chmod(path.c_str(), 0440) == 0);
    }

    std::string stored(const std::string& sha) {
        std::ifstream in(blobs->path_of(sha), std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
};

const std::string k_pdf = "%PDF-1.7\n Kế hoạch năm học 2026-2027 của Bộ GDĐT";

}  // namespace

TEST_CASE("verify reports and records a corrupt blob, and clears it once intact", "[verify]") {
    env e;
    auto a = e.create(k_pdf);
    const auto sha = kho::sha256::hex_of(k_pdf);
    auto clean = kho::storage::verify_store(*e.assets, *e.blobs, 0);
    CHECK(clean.ok());
    CHECK(clean.versions == 1);
    CHECK(clean.blobs_checked == 1);

    auto bad = k_pdf;
    bad[10] ^= 1;
    e.damage(sha, bad);
    auto report = kho::storage::verify_store(*e.assets, *e.blobs, 0);
    CHECK_FALSE(report.ok());
    REQUIRE(report.problems.size() == 1);
    CHECK(report.problems[0].problem == "corrupt");
    CHECK(report.problems[0].where == std::vector<std::string>{a.id.to_string() + " v1"});
    CHECK(e.assets->damage().damaged(sha));
    CHECK(e.assets->damage().list().at(0).found_by == "verify");

    // The record outlives a restart, as the damage does.
    e.close();
    e.open();
    CHECK(e.assets->damage().damaged(sha));

    e.damage(sha, k_pdf);
    CHECK(kho::storage::verify_store(*e.assets, *e.blobs, 0).ok());
    CHECK_FALSE(e.assets->damage().damaged(sha));
}

TEST_CASE("verify reports a missing blob", "[verify]") {
    env e;
    e.create(k_pdf);
    const auto sha = kho::sha256::hex_of(k_pdf);
    fs::remove(e.blobs->path_of(sha));
    auto report = kho::storage::verify_store(*e.assets, *e.blobs, 0);
    REQUIRE(report.problems.size() == 1);
    CHECK(report.problems[0].problem == "missing");
    CHECK(e.assets->damage().damaged(sha));
}

TEST_CASE("an upload of the same bytes replaces a damaged blob instead of deduplicating",
          "[verify]") {
    env e;
    auto first = e.create(k_pdf);
    const auto sha = kho::sha256::hex_of(k_pdf);
    // A reader holds the file open (the open-file cache keeps descriptors).
    auto before = e.blobs->open_read(sha);
    REQUIRE(before.has_value());
    auto bad = k_pdf;
    bad[3] ^= 1;
    e.damage(sha, bad);
    REQUIRE(e.assets->damage().flag(sha, "download", "the bytes hash to …").has_value());

    auto second = e.create(k_pdf);
    CHECK(second.id != first.id);
    CHECK_FALSE(e.assets->damage().damaged(sha));
    CHECK(e.stored(sha) == k_pdf);
    CHECK(e.assets->ref_count(sha) == 2);
    // New readers get the new file, not a cached descriptor of the old one.
    auto after = e.blobs->open_read(sha);
    REQUIRE(after.has_value());
    std::string got(after->size, '\0');
    REQUIRE(::pread(after->fd->get(), got.data(), got.size(), 0) == static_cast<ssize_t>(got.size()));
    CHECK(got == k_pdf);
    CHECK(kho::storage::verify_store(*e.assets, *e.blobs, 0).ok());
    // Without a damage record, the same bytes deduplicate as always.
    auto [w, info] = e.stage(k_pdf);
    CHECK(e.blobs->place(w, info).value() == false);
}

TEST_CASE("a re-run that replaces a rendition keeps reference counts and statistics exact",
          "[verify][renditions]") {
    env e;
    auto a = e.create("\x89PNG\r\n\x1a\n ảnh gốc", "image/png");
    auto run = [&](const std::string& thumb_bytes) {
        auto held = e.jobs->claim("w", 60'000);
        REQUIRE(held.has_value());
        REQUIRE(held->has_value());
        auto [w, info] = e.stage(thumb_bytes);
        kho::rendition r;
        r.name = "thumb";
        r.content_type = "image/webp";
        std::vector<kho::storage::staged_rendition> staged;
        staged.push_back({r, std::move(w), info});
        REQUIRE(e.assets->commit_renditions(a.id, 1, std::move(staged), **held).has_value());
    };
    run("thumb 1");
    auto audit = e.assets->audit_references();
    CHECK(audit.consistent());
    CHECK(audit.referenced_blobs == 2);

    // A second job for the same version (a re-run) makes a different thumb:
    // the old one loses its last reference and leaves the statistics.
    auto v = e.assets->get_version(a.id, 1);
    REQUIRE(v.has_value());
    auto& h = e.db->handles();
    rocksdb::WriteBatch batch;
    REQUIRE(e.jobs->enqueue(batch, a.id, *v).has_value());
    REQUIRE(h.db->Write(kho::storage::sync_write(), &batch).ok());
    run("thumb 2");
    audit = e.assets->audit_references();
    INFO(audit.recorded_blob_count << " recorded, " << audit.referenced_blobs << " in use");
    CHECK(audit.mismatches.empty());
    CHECK(audit.consistent());
    CHECK(audit.referenced_blobs == 2);
    CHECK(e.assets->ref_count(kho::sha256::hex_of("thumb 1")) == 0);
    CHECK(e.assets->stats().blob_count == 2);
    // gc takes the old thumb; the counts stay right.
    kho::storage::upload_store uploads(*e.db, e.dir.path() / "data" / "tmp");
    auto gc = kho::storage::collect_garbage(*e.assets, *e.blobs, uploads, false);
    CHECK(gc.unreferenced_blobs == 1);
    CHECK(kho::storage::verify_store(*e.assets, *e.blobs, 0).ok());
}

TEST_CASE("the reference audit finds a count that disagrees with the records", "[verify]") {
    env e;
    e.create(k_pdf);
    const auto sha = kho::sha256::hex_of(k_pdf);
    CHECK(e.assets->audit_references().consistent());
    // One reference too many, as a lost decrement would leave it.
    std::string key;
    for (std::size_t i = 0; i < sha.size(); i += 2)
        key += static_cast<char>(std::stoi(sha.substr(i, 2), nullptr, 16));
    auto& h = e.db->handles();
    std::string two(8, '\0');
    two[0] = 2;
    REQUIRE(h.db->Put(kho::storage::sync_write(), h[kho::storage::cf::blob_refs], key, two).ok());
    auto audit = e.assets->audit_references();
    CHECK_FALSE(audit.consistent());
    REQUIRE(audit.mismatches.size() == 1);
    CHECK(audit.mismatches[0].sha256 == sha);
    CHECK(audit.mismatches[0].recorded == 2);
    CHECK(audit.mismatches[0].actual == 1);
}
