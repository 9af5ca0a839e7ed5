#include "storage/usage_store.hpp"
#include "storage/database.hpp"

#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using kho::unix_ms;
using kho::storage::database;
using kho::storage::download_subject;
using kho::storage::usage_store;
using namespace std::chrono_literals;

namespace {

// 2026-11-26T05:02:12.000Z: Vietnam day 2026-11-26.
constexpr unix_ms k_start = 1795669332000;
constexpr const char* k_asset = "01KB0000000000000000000000";

// A database and a usage store whose writer waits `interval` between
// rounds (long, so that only flush() and closing write anything), with a
// clock the test moves by hand. reopen() simulates a restart.
class usage_env {
  public:
    explicit usage_env(std::chrono::milliseconds interval = 1h) : interval_(interval) { open(); }
    ~usage_env() { close(); }
    usage_env(const usage_env&) = delete;
    usage_env& operator=(const usage_env&) = delete;

    void open() {
        db = kho::test::open_test_database(dir.path() / "db");
        usage = std::make_unique<usage_store>(*db, kho::clock([this] { return now.load(); }),
                                              24h, interval_);
    }
    void close() {
        usage.reset();
        db.reset();
    }
    void reopen() {
        close();
        open();
    }

    kho::storage::usage_counts asset_counts() {
        const auto day = kho::storage::vietnam_day(k_start);
        auto rows = usage->counters('a', day, day + 1);
        REQUIRE(rows.has_value());
        kho::storage::usage_counts sum;
        for (const auto& r : *rows)
            if (r.key == k_asset) sum += r.counts;
        return sum;
    }
    std::vector<kho::storage::download_event> events() {
        auto page = usage->events(k_start - 1000, k_start + 48LL * 3600 * 1000, std::nullopt, 100000);
        REQUIRE(page.has_value());
        return page->items;
    }

    kho::test::temp_dir dir{"kho-usage"};
    std::atomic<unix_ms> now{k_start};
    std::unique_ptr<database> db;
    std::unique_ptr<usage_store> usage;

  private:
    std::chrono::milliseconds interval_;
};

download_subject subject(std::string user, std::uint64_t size = 1000) {
    download_subject s;
    s.asset = k_asset;
    s.version = 1;
    s.file = "original";
    s.unit = "SGD-HN";
    s.province = "01";
    s.level = "provincial_department";
    s.user = std::move(user);
    s.etag = "\"v1\"";
    s.size = size;
    return s;
}

}  // namespace

TEST_CASE("usage recorded off the request path is in every report read after it",
          "[storage][usage]") {
    usage_env env;
    constexpr int threads = 4, per_thread = 500;
    std::vector<std::thread> downloaders;
    for (int t = 0; t < threads; ++t)
        downloaders.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i)
                env.usage->record(subject("user-" + std::to_string(t) + "-" + std::to_string(i)), 0,
                                  1000, true);
        });
    for (auto& d : downloaders) d.join();
    // The writer's interval is an hour: only the reader's flush writes them.
    const auto c = env.asset_counts();
    CHECK(c.downloads == threads * per_thread);
    CHECK(c.complete == threads * per_thread);
    CHECK(c.bytes == 1000LL * threads * per_thread);
    CHECK(env.events().size() == static_cast<std::size_t>(threads * per_thread));
    CHECK(env.usage->lost() == 0);

    SECTION("and in the unit's, province's and level's counters alike") {
        const auto day = kho::storage::vietnam_day(k_start);
        for (char by : {'u', 'p', 'l', 'x', 'y'}) {
            auto rows = env.usage->counters(by, day, day);
            REQUIRE(rows.has_value());
            REQUIRE(rows->size() == 1);
            CHECK(rows->front().counts.downloads == threads * per_thread);
        }
    }
}

TEST_CASE("a download resumed in the same round or a later one counts once", "[storage][usage]") {
    usage_env env;
    const auto s = subject("teacher");
    const bool flush_between = GENERATE(false, true);
    INFO("flush between the requests: " << flush_between);
    env.usage->record(s, 0, 400, false);  // cut off
    if (flush_between) env.usage->flush();
    env.now += 60'000;
    env.usage->record(s, 400, 300, false);  // resumed, cut off again
    env.usage->record(s, 700, 300, true);   // resumed to the end
    const auto c = env.asset_counts();
    CHECK(c.downloads == 1);
    CHECK(c.complete == 1);
    CHECK(c.bytes == 1000);
    const auto events = env.events();
    REQUIRE(events.size() == 1);
    CHECK(events[0].requests == 3);
    CHECK(events[0].bytes_sent == 1000);
    CHECK(events[0].complete);
    CHECK(events[0].started_at == k_start);
    CHECK(events[0].last_at == k_start + 60'000);

    SECTION("a new download from byte 0 is a second one") {
        env.usage->record(s, 0, 1000, true);
        CHECK(env.asset_counts().downloads == 2);
        CHECK(env.asset_counts().complete == 2);
        CHECK(env.events().size() == 2);
    }
}

TEST_CASE("usage queued when the server stops is written before the database closes",
          "[storage][usage]") {
    usage_env env;
    for (int i = 0; i < 10; ++i) env.usage->record(subject("u" + std::to_string(i)), 0, 1000, true);
    env.reopen();  // no flush: closing writes the queue
    CHECK(env.asset_counts().downloads == 10);
    CHECK(env.events().size() == 10);
}

TEST_CASE("the usage writer writes on its own within its interval", "[storage][usage]") {
    usage_env env(20ms);
    env.usage->record(subject("someone"), 0, 1000, true);
    // No reader here: look at the database itself until the writer has run.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    bool written = false;
    while (!written && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
        written = env.usage->pending() == 0;
    }
    CHECK(written);
    CHECK(env.asset_counts().downloads == 1);
}

TEST_CASE("download events keep every character of what they record", "[storage][usage]") {
    usage_env env;
    auto s = subject("người dùng \"một\"");
    s.province = "Thừa Thiên Huế \\ \"quote\" \t tab \x01 control";
    s.level = "đại học";
    s.etag = "\"" + std::string(64, 'a') + "\"";
    s.size = 18'446'744'073'709'551'000ull;
    env.usage->record(s, 0, 1234, false);
    const auto events = env.events();
    REQUIRE(events.size() == 1);
    const auto& got = events[0].subject;
    CHECK(got.user == s.user);
    CHECK(got.province == s.province);
    CHECK(got.level == s.level);
    CHECK(got.etag == s.etag);
    CHECK(got.asset == s.asset);
    CHECK(got.file == s.file);
    CHECK(got.unit == s.unit);
    CHECK(got.kit.empty());
    CHECK(got.link.empty());
    CHECK(got.version == 1);
    CHECK(got.size == s.size);
    CHECK(events[0].bytes_sent == 1234);
    CHECK_FALSE(events[0].complete);
    CHECK(events[0].requests == 1);
}

TEST_CASE("a download resumed after the resume window is a new one", "[storage][usage]") {
    usage_env env;
    const auto s = subject("teacher");
    env.usage->record(s, 0, 400, false);
    env.now += 25LL * 3600 * 1000;  // a day and an hour later
    env.usage->record(s, 400, 600, true);
    const auto c = env.asset_counts();
    CHECK(c.downloads == 2);
    CHECK(c.complete == 0);  // the late part alone is not a whole download
    CHECK(c.bytes == 1000);
    CHECK(env.events().size() == 2);
}

TEST_CASE("a new download replaces the open one, and a resume continues the new one",
          "[storage][usage]") {
    usage_env env;
    const auto s = subject("teacher");
    const bool flush_between = GENERATE(false, true);
    INFO("flush between the requests: " << flush_between);
    env.usage->record(s, 0, 400, false);  // cut off
    if (flush_between) env.usage->flush();
    env.usage->record(s, 0, 300, false);  // started again from 0, cut off again
    if (flush_between) env.usage->flush();
    env.usage->record(s, 300, 700, true);  // resumed to the end
    const auto c = env.asset_counts();
    CHECK(c.downloads == 2);
    CHECK(c.complete == 1);
    CHECK(c.bytes == 1400);
    const auto events = env.events();
    REQUIRE(events.size() == 2);
    CHECK_FALSE(events[0].complete);
    CHECK(events[0].requests == 1);
    CHECK(events[1].complete);
    CHECK(events[1].requests == 2);
    CHECK(events[1].bytes_sent == 1000);
}

TEST_CASE("a press kit's ZIP counts under the kit, not under an asset", "[storage][usage]") {
    usage_env env;
    download_subject s;
    s.kit = "01KB00000000000000000000KT";
    s.file = "zip";
    s.link = "link-1";
    s.etag = "\"kit\"";
    s.size = 5000;
    env.usage->record(s, 0, 5000, true);
    const auto day = kho::storage::vietnam_day(k_start);
    auto kits = env.usage->counters('k', day, day);
    REQUIRE(kits.has_value());
    REQUIRE(kits->size() == 1);
    CHECK(kits->front().key == s.kit);
    CHECK(kits->front().counts.downloads == 1);
    CHECK(kits->front().counts.complete == 1);
    CHECK(kits->front().counts.bytes == 5000);
    for (char by : {'a', 'u', 'p'}) {
        auto rows = env.usage->counters(by, day, day);
        REQUIRE(rows.has_value());
        CHECK(rows->empty());
    }
}

TEST_CASE("a full batch is written at once, without waiting for the interval or a reader",
          "[storage][usage]") {
    usage_env env;  // an hour between rounds
    for (std::size_t i = 0; i < usage_store::batch_size; ++i)
        env.usage->record(subject("u" + std::to_string(i)), 0, 1000, true);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (env.usage->pending() != 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    CHECK(env.usage->pending() == 0);
    CHECK(env.asset_counts().downloads == static_cast<std::int64_t>(usage_store::batch_size));
}

TEST_CASE("a field that is not UTF-8 does not make the events unreadable", "[storage][usage]") {
    usage_env env;
    auto s = subject("teacher");
    s.province = "Hu\xe1\xbb\x87 \xff\xfe";  // "Huệ" and two stray bytes
    env.usage->record(s, 0, 1000, true);
    const auto events = env.events();
    REQUIRE(events.size() == 1);
    CHECK(events[0].subject.province == "Hu\xe1\xbb\x87 \xef\xbf\xbd\xef\xbf\xbd");
    CHECK(env.asset_counts().downloads == 1);
}
