#include "storage/upload_store.hpp"
#include "storage/database.hpp"

// Only to simulate a record written during an earlier boot of the machine.
#include "storage/rocks.hpp"

#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using kho::storage::database;
using kho::storage::upload_record;
using kho::storage::upload_store;

TEST_CASE("an upload's acknowledged offset holds within a boot, after a reboot its checkpoint does",
          "[upload_store]") {
    kho::test::temp_dir dir("kho-upload-test");
    auto db = database::open(dir.path() / "db");
    REQUIRE(db.has_value());
    upload_store store(**db, dir.path() / "tmp");

    upload_record r;
    r.id = store.next_id();
    r.owner = "admin";
    r.length = 1000;
    r.created_at = 1;
    r.expires_at = 1LL << 50;
    REQUIRE(store.create(r).has_value());

    r.offset = 400;
    r.hash_state = "state-at-400";
    REQUIRE(store.save(r, true).has_value());  // durable checkpoint at 400
    r.offset = 700;
    r.hash_state = "state-at-700";
    REQUIRE(store.save_progress(r).has_value());  // acknowledged, not yet durable

    auto same_boot = store.get(r.id);
    REQUIRE(same_boot.has_value());
    CHECK(same_boot->offset == 700);
    CHECK(same_boot->hash_state == "state-at-700");
    CHECK(same_boot->checkpoint == 400);

    // Rewrite the record as if it had been written before a reboot.
    auto& h = (*db)->handles();
    std::string raw;
    REQUIRE(h.db->Get(rocksdb::ReadOptions(), h[kho::storage::cf::uploads], r.id.raw(), &raw).ok());
    auto j = nlohmann::json::parse(raw);
    j["boot_id"] = "an-earlier-boot";
    REQUIRE(h.db->Put(rocksdb::WriteOptions(), h[kho::storage::cf::uploads], r.id.raw(), j.dump())
                .ok());

    auto after_reboot = store.get(r.id);
    REQUIRE(after_reboot.has_value());
    CHECK(after_reboot->offset == 400);
    CHECK(after_reboot->hash_state == "state-at-400");
}

TEST_CASE("a checkpoint is due after 256 MiB or 10 seconds of progress", "[upload_store]") {
    kho::test::temp_dir dir("kho-upload-test");
    auto db = database::open(dir.path() / "db");
    REQUIRE(db.has_value());
    kho::unix_ms now = 10'000;
    upload_store store(**db, dir.path() / "tmp", kho::clock([&] { return now; }));
    upload_record r;
    r.checkpoint_at = now;
    r.offset = 200u << 20;
    CHECK_FALSE(store.checkpoint_due(r));
    r.offset = 256u << 20;
    CHECK(store.checkpoint_due(r));
    r.offset = 1;
    now += 9999;
    CHECK_FALSE(store.checkpoint_due(r));
    now += 1;
    CHECK(store.checkpoint_due(r));
}
