#include "storage/audit_log.hpp"
#include "core/audit.hpp"
#include "core/text.hpp"
#include "core/ulid.hpp"
#include "storage/database.hpp"

// To commit the batches that append() fills, as the services do.
#include "storage/rocks.hpp"

#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using kho::audit_entry;
using kho::errc;
using kho::ulid;
using kho::unix_ms;
using kho::storage::audit_filter;
using kho::storage::audit_log;
using kho::storage::audit_page;
using kho::storage::database;
using json = nlohmann::json;

namespace {

using kho::test::temp_dir;

// 2025-11-26T05:02:12.000Z
constexpr unix_ms k_start = 1764133332000;

audit_entry entry(std::string actor, std::string action, std::string target,
                  std::string comment = {}) {
    audit_entry e;
    e.actor = std::move(actor);
    e.action = std::move(action);
    e.target = std::move(target);
    e.client_address = "203.113.130.7";
    e.comment = std::move(comment);
    return e;
}

// A database and an audit log with a clock the test moves by hand.
// close() + open() simulates a restart.
class log_env {
  public:
    explicit log_env(std::size_t budget = 100000) : scan_budget(budget) { open(); }
    ~log_env() { close(); }
    log_env(const log_env&) = delete;
    log_env& operator=(const log_env&) = delete;

    void open() {
        db = kho::test::open_test_database(dir.path() / "db");
        log = std::make_unique<audit_log>(*db, kho::clock([this] { return now; }), scan_budget);
    }

    void close() {
        log.reset();
        db.reset();
    }

    void commit(rocksdb::WriteBatch& batch) {
        auto& h = db->handles();
        REQUIRE(h.db->Write(kho::storage::sync_write(), &batch).ok());
    }

    // Appends to one batch, as a service does; commit() writes it.
    audit_entry append(audit_entry e) {
        log->append(batch, e);
        return e;
    }
    void commit() { commit(batch); }

    audit_entry record(audit_entry e) {
        auto r = log->record(std::move(e));
        REQUIRE(r.has_value());
        return *r;
    }

    audit_page page(const audit_filter& f = {}, std::optional<std::string> cursor = std::nullopt,
                    std::size_t limit = 1000) {
        auto r = log->list(f, cursor, limit);
        REQUIRE(r.has_value());
        return *r;
    }

    // Every id that matches, following cursors; `sizes` gets each page's size.
    std::vector<std::string> ids(const audit_filter& f = {}, std::size_t limit = 1000,
                                 std::vector<std::size_t>* sizes = nullptr) {
        std::vector<std::string> out;
        std::optional<std::string> cursor;
        for (int pages = 0; pages < 10000; ++pages) {
            auto p = page(f, cursor, limit);
            if (sizes) sizes->push_back(p.items.size());
            for (const auto& e : p.items) out.push_back(e.id);
            if (!p.next_cursor) return out;
            cursor = p.next_cursor;
        }
        FAIL("too many pages");
        return out;
    }

    temp_dir dir{"kho-audit"};
    rocksdb::WriteBatch batch;
    unix_ms now = k_start;
    std::size_t scan_budget = 100000;
    std::unique_ptr<database> db;
    std::unique_ptr<audit_log> log;
};

// Builds a filter by name: where().actor("u1").action("version.").
struct where {
    audit_filter f;
    where& actor(std::string v) {
        f.actor = std::move(v);
        return *this;
    }
    where& target(std::string v) {
        f.target = std::move(v);
        return *this;
    }
    where& action(std::string v) {
        f.action = std::move(v);
        return *this;
    }
    where& since(unix_ms t) {
        f.since = t;
        return *this;
    }
    where& until(unix_ms t) {
        f.until = t;
        return *this;
    }
    operator const audit_filter&() const { return f; }
};

std::vector<std::string> newest_first(const std::vector<audit_entry>& entries) {
    std::vector<std::string> ids;
    for (const auto& e : entries) ids.push_back(e.id);
    std::reverse(ids.begin(), ids.end());
    return ids;
}

// The ids of `entries` (oldest first) for which `pred` holds, newest first.
template <class Pred>
std::vector<std::string> expected(const std::vector<audit_entry>& entries, Pred pred) {
    std::vector<std::string> ids;
    for (auto it = entries.rbegin(); it != entries.rend(); ++it)
        if (pred(*it)) ids.push_back(it->id);
    return ids;
}

void check_same(const audit_entry& a, const audit_entry& b) {
    CHECK(a.id == b.id);
    CHECK(a.at == b.at);
    CHECK(a.actor == b.actor);
    CHECK(a.action == b.action);
    CHECK(a.target == b.target);
    CHECK(a.client_address == b.client_address);
    CHECK(a.comment == b.comment);
    CHECK(a.detail == b.detail);
}

}  // namespace

TEST_CASE("audit record codec", "[audit]") {
    audit_entry e = entry("01KAZ8MSBS7RQ4ZV1D8XE9J2MA", "version.approved", "asset:01ABC/v2",
                          "Đạt yêu cầu, đúng Nghị quyết 71-NQ/TW");
    e.id = "01KAZ8MSBS7RQ4ZV1D8XE9J2MB";
    e.at = k_start + 345;
    e.detail = json{{"from", "in_review"}, {"to", "approved"}, {"đơn_vị", "Sở GD&ĐT Hà Nội"}};

    SECTION("round trip") {
        auto bytes = kho::encode_record(e);
        CHECK(bytes.find('\n') == std::string::npos);
        auto j = json::parse(bytes);
        CHECK(j.at("at").is_number_integer());
        auto back = kho::decode_audit_record(bytes);
        REQUIRE(back.has_value());
        check_same(*back, e);
    }
    SECTION("API view: RFC 3339 time, null for an empty actor and comment") {
        auto j = kho::to_api_json(e);
        CHECK(j.at("id") == e.id);
        CHECK(j.at("at") == "2025-11-26T05:02:12.345Z");
        CHECK(j.at("actor") == e.actor);
        CHECK(j.at("action") == "version.approved");
        CHECK(j.at("target") == "asset:01ABC/v2");
        CHECK(j.at("client_address") == "203.113.130.7");
        CHECK(j.at("comment") == e.comment);
        CHECK(j.at("detail") == e.detail);
        CHECK(j.size() == 8);

        e.actor.clear();
        e.comment.clear();
        j = kho::to_api_json(e);
        CHECK(j.at("actor").is_null());
        CHECK(j.at("comment").is_null());
    }
    SECTION("corrupt records are an internal error") {
        for (std::string bad : {"", "{", "[]", "{\"id\":\"x\"}", "{\"id\":1,\"at\":0}"}) {
            INFO(bad);
            auto r = kho::decode_audit_record(bad);
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error().code == errc::internal);
        }
    }
    SECTION("ill-formed UTF-8 is stored replaced, never refused") {
        e.comment = "t\xffn";
        auto back = kho::decode_audit_record(kho::encode_record(e));
        REQUIRE(back.has_value());
        CHECK(kho::is_valid_utf8(back->comment));
    }
}

TEST_CASE("append adds to the caller's batch, nothing shows until it is written", "[audit]") {
    log_env env;
    rocksdb::WriteBatch batch;
    auto e = entry("u1", "asset.created", "asset:01ABC");
    env.log->append(batch, e);

    REQUIRE(ulid::parse(e.id).has_value());
    CHECK(ulid::parse(e.id)->unix_ms() == static_cast<std::uint64_t>(k_start));
    CHECK(e.at == k_start);
    CHECK(env.page().items.empty());
    CHECK(env.page(where().actor("u1")).items.empty());
    CHECK(env.page(where().target("asset:01ABC")).items.empty());

    SECTION("written") {
        env.commit(batch);
        auto p = env.page();
        REQUIRE(p.items.size() == 1);
        check_same(p.items[0], e);
        CHECK(env.page(where().actor("u1")).items.size() == 1);
        CHECK(env.page(where().target("asset:01ABC")).items.size() == 1);
    }
    SECTION("dropped") {
        batch.Clear();
        env.commit(batch);
        CHECK(env.page().items.empty());
        CHECK(env.page(where().actor("u1")).items.empty());
    }
}

TEST_CASE("audit entries list newest first, page by page", "[audit]") {
    log_env env;
    std::vector<audit_entry> made;
    for (int i = 0; i < 25; ++i) {
        if (i % 3 != 0) env.now += 1;  // some entries share a millisecond
        made.push_back(env.append(entry("u1", "asset.updated", "asset:" + std::to_string(i))));
    }
    env.commit();
    const auto all = newest_first(made);

    SECTION("ids and times") {
        std::set<std::string> unique(all.begin(), all.end());
        CHECK(unique.size() == 25);
        auto p = env.page();
        REQUIRE(p.items.size() == 25);
        CHECK_FALSE(p.next_cursor.has_value());
        for (std::size_t i = 1; i < p.items.size(); ++i) {
            CHECK(p.items[i - 1].id > p.items[i].id);
            CHECK(p.items[i - 1].at >= p.items[i].at);
        }
        CHECK(p.items.front().target == "asset:24");
        CHECK(p.items.front().at == env.now);
        CHECK(p.items.back().at == k_start);
    }
    SECTION("pages of 10, 10, 5") {
        auto p1 = env.page({}, std::nullopt, 10);
        REQUIRE(p1.items.size() == 10);
        REQUIRE(p1.next_cursor.has_value());
        CHECK(*p1.next_cursor == p1.items.back().id);
        auto p2 = env.page({}, p1.next_cursor, 10);
        REQUIRE(p2.items.size() == 10);
        REQUIRE(p2.next_cursor.has_value());
        auto p3 = env.page({}, p2.next_cursor, 10);
        REQUIRE(p3.items.size() == 5);
        CHECK_FALSE(p3.next_cursor.has_value());
        std::vector<std::string> ids;
        for (const auto* p : {&p1, &p2, &p3})
            for (const auto& e : p->items) ids.push_back(e.id);
        CHECK(ids == all);
    }
    SECTION("several limits") {
        for (std::size_t limit : {1u, 4u, 5u, 24u, 25u, 26u}) {
            INFO("limit " << limit);
            std::vector<std::size_t> sizes;
            CHECK(env.ids({}, limit, &sizes) == all);
            CHECK(sizes.size() == (25 + limit - 1) / limit);
        }
    }
    SECTION("a cursor continues after that id, even in lower case") {
        auto cursor = made[10].id;
        for (auto& ch : cursor)
            if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        auto p = env.page({}, cursor, 3);
        REQUIRE(p.items.size() == 3);
        CHECK(p.items[0].id == made[9].id);
        CHECK(p.items[2].id == made[7].id);
    }
    SECTION("the oldest id as cursor gives an empty page") {
        auto p = env.page({}, made.front().id, 10);
        CHECK(p.items.empty());
        CHECK_FALSE(p.next_cursor.has_value());
    }
    SECTION("a malformed cursor or limit is refused") {
        for (std::string bad : {"", "abc", "01KAZ8MSBS7RQ4ZV1D8XE9J2M!",
                                "01KAZ8MSBS7RQ4ZV1D8XE9J2MAA", "81KAZ8MSBS7RQ4ZV1D8XE9J2MA"}) {
            INFO(bad);
            auto r = env.log->list({}, bad, 10);
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error().code == errc::invalid_parameter);
        }
        for (std::size_t limit : {0u, 1001u}) {
            auto r = env.log->list({}, std::nullopt, limit);
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error().code == errc::invalid_parameter);
        }
        CHECK(env.log->list({}, std::nullopt, 1000).has_value());
    }
}

TEST_CASE("audit filters by actor, target and action", "[audit]") {
    log_env env;
    std::vector<audit_entry> made;
    auto add = [&](std::string actor, std::string action, std::string target) {
        env.now += 7;
        made.push_back(env.append(entry(std::move(actor), std::move(action), std::move(target))));
    };
    for (int round = 0; round < 4; ++round) {
        add("u1", "asset.created", "asset:01ABC");
        add("u1", "version.submitted", "asset:01ABC/v1");
        add("u2", "version.approved", "asset:01ABC/v1");
        add("u2", "version.rejected", "asset:01ABCD/v1");
        add("u10", "versioning.changed", "asset:01ABCD");
        add("", "session.login_failed", "user:nguyen.van.a");
        add("u1", "user.created", "user:u3");
        add("u3", "version", "unit:79");
    }
    env.commit();
    auto all = [&](auto pred) { return expected(made, pred); };

    SECTION("actor, exactly") {
        auto want = all([](const audit_entry& e) { return e.actor == "u1"; });
        CHECK(want.size() == 12);
        CHECK(env.ids(where().actor("u1")) == want);
        CHECK(env.ids(where().actor("u1"), 5) == want);
        CHECK(env.ids(where().actor("u")).empty());
        CHECK(env.ids(where().actor("nobody")).empty());
    }
    SECTION("the anonymous actor") {
        auto want = all([](const audit_entry& e) { return e.actor.empty(); });
        CHECK(want.size() == 4);
        CHECK(env.ids(where().actor("")) == want);
    }
    SECTION("target, exactly") {
        auto want = all([](const audit_entry& e) { return e.target == "asset:01ABC"; });
        CHECK(want.size() == 4);
        CHECK(env.ids(where().target("asset:01ABC")) == want);
        CHECK(env.ids(where().target("asset:01ABC"), 3) == want);
        CHECK(env.ids(where().target("asset:01AB")).empty());
    }
    SECTION("target prefix ending in '/'") {
        auto want = all([](const audit_entry& e) { return e.target == "asset:01ABC/v1"; });
        CHECK(want.size() == 8);
        CHECK(env.ids(where().target("asset:01ABC/")) == want);
        CHECK(env.ids(where().target("asset:01ABC/"), 3) == want);
    }
    SECTION("target prefix ending in ':'") {
        auto want = all([](const audit_entry& e) { return e.target.starts_with("user:"); });
        CHECK(want.size() == 8);
        CHECK(env.ids(where().target("user:")) == want);
    }
    SECTION("action, exactly") {
        auto want = all([](const audit_entry& e) { return e.action == "version"; });
        CHECK(want.size() == 4);
        CHECK(env.ids(where().action("version")) == want);
        CHECK(env.ids(where().action("version.approve")).empty());
    }
    SECTION("action prefix ending in '.'") {
        auto want = all([](const audit_entry& e) { return e.action.starts_with("version."); });
        CHECK(want.size() == 12);
        CHECK(env.ids(where().action("version.")) == want);
        CHECK(env.ids(where().action("version."), 5) == want);
    }
    SECTION("combinations") {
        CHECK(env.ids(where().actor("u1").action("version.")) == all([](const audit_entry& e) {
                  return e.actor == "u1" && e.action.starts_with("version.");
              }));
        CHECK(env.ids(where().actor("u2").target("asset:01ABCD/v1")) ==
              all([](const audit_entry& e) {
                  return e.actor == "u2" && e.target == "asset:01ABCD/v1";
              }));
        CHECK(env.ids(where().actor("u2").target("asset:01ABC/")) == all([](const audit_entry& e) {
                  return e.actor == "u2" && e.target.starts_with("asset:01ABC/");
              }));
        CHECK(env.ids(where().target("asset:01ABC/v1").action("version.approved"), 2) ==
              all([](const audit_entry& e) {
                  return e.target == "asset:01ABC/v1" && e.action == "version.approved";
              }));
        CHECK(env.ids(where().target("user:").action("session.")) ==
              all([](const audit_entry& e) { return e.action == "session.login_failed"; }));
        CHECK(env.ids(where().actor("u1").target("unit:79")).empty());
    }
    SECTION("every item on every page matches") {
        audit_filter f = where().target("asset:").action("version.");
        std::optional<std::string> cursor;
        std::size_t seen = 0;
        do {
            auto p = env.page(f, cursor, 2);
            CHECK(p.items.size() <= 2);
            for (const auto& e : p.items) {
                CHECK(e.target.starts_with("asset:"));
                CHECK(e.action.starts_with("version."));
            }
            seen += p.items.size();
            cursor = p.next_cursor;
        } while (cursor);
        CHECK(seen == 12);
    }
}

TEST_CASE("audit since and until bound the time range", "[audit]") {
    log_env env;
    std::vector<audit_entry> made;
    // One entry per millisecond from k_start to k_start + 9, two at + 5.
    for (int i = 0; i < 10; ++i) {
        env.now = k_start + i;
        made.push_back(env.record(entry(i % 2 ? "u1" : "u2", "asset.updated", "asset:01ABC")));
        if (i == 5) made.push_back(env.record(entry("u1", "asset.updated", "asset:01ABC")));
    }
    auto between = [&](unix_ms since, unix_ms until) {
        return expected(made, [&](const audit_entry& e) { return e.at >= since && e.at < until; });
    };

    SECTION("since is inclusive") {
        CHECK(env.ids(where().since(k_start + 5)) == between(k_start + 5, k_start + 10));
        CHECK(env.ids(where().since(k_start + 5)).size() == 6);
        CHECK(env.ids(where().since(k_start + 9)).size() == 1);
        CHECK(env.ids(where().since(k_start + 10)).empty());
        CHECK(env.ids(where().since(k_start)).size() == 11);
        CHECK(env.ids(where().since(0)).size() == 11);
        CHECK(env.ids(where().since(-5)).size() == 11);
    }
    SECTION("until is exclusive") {
        CHECK(env.ids(where().until(k_start + 5)) == between(k_start, k_start + 5));
        CHECK(env.ids(where().until(k_start + 5)).size() == 5);
        CHECK(env.ids(where().until(k_start + 6)).size() == 7);
        CHECK(env.ids(where().until(k_start)).empty());
        CHECK(env.ids(where().until(k_start + 10)).size() == 11);
        CHECK(env.ids(where().until(std::numeric_limits<unix_ms>::max())).size() == 11);
    }
    SECTION("both") {
        CHECK(env.ids(where().since(k_start + 3).until(k_start + 6)) ==
              between(k_start + 3, k_start + 6));
        CHECK(env.ids(where().since(k_start + 5).until(k_start + 6)).size() == 2);
        CHECK(env.ids(where().since(k_start + 5).until(k_start + 5)).empty());
        CHECK(env.ids(where().since(k_start + 6).until(k_start + 2)).empty());
    }
    SECTION("with an index and pages") {
        audit_filter f = where().actor("u1").since(k_start + 2).until(k_start + 8);
        auto want = expected(made, [&](const audit_entry& e) {
            return e.actor == "u1" && e.at >= k_start + 2 && e.at < k_start + 8;
        });
        CHECK(want.size() == 4);  // + 3, + 5, + 5, + 7
        CHECK(env.ids(f) == want);
        CHECK(env.ids(f, 1) == want);
        f = where().target("asset:01ABC").since(k_start + 2).until(k_start + 8);
        CHECK(env.ids(f, 4) == between(k_start + 2, k_start + 8));
    }
    SECTION("a cursor above until does not widen the range") {
        auto p = env.page(where().until(k_start + 3), made.back().id, 10);
        CHECK(p.items.size() == 3);
    }
}

TEST_CASE("a sparse filter ends a page early and the cursor continues", "[audit]") {
    log_env env(50);  // keys examined per page
    auto filler = [&](int n) {
        for (int i = 0; i < n; ++i) env.append(entry("u1", "asset.downloaded", "asset:01ABC"));
    };
    auto oldest = env.append(entry("u1", "user.password_reset", "user:u2"));
    filler(49);
    auto middle = env.append(entry("u1", "user.disabled", "user:u3"));
    filler(100);
    env.commit();

    std::vector<std::size_t> sizes;
    const std::vector<std::string> want{middle.id, oldest.id};
    CHECK(env.ids(where().action("user."), 10, &sizes) == want);
    // 50 fillers, 50 fillers, the middle entry and 49 fillers, the oldest.
    CHECK(sizes == std::vector<std::size_t>{0, 0, 1, 1});

    auto p1 = env.page(where().action("user."), std::nullopt, 10);
    CHECK(p1.items.empty());
    REQUIRE(p1.next_cursor.has_value());
    auto p2 = env.page(where().action("user."), p1.next_cursor, 10);
    CHECK(p2.items.empty());
    REQUIRE(p2.next_cursor.has_value());
    CHECK(*p2.next_cursor < *p1.next_cursor);

    SECTION("through an index too") {
        sizes.clear();
        CHECK(env.ids(where().actor("u1").action("user."), 10, &sizes) == want);
        CHECK(sizes == std::vector<std::size_t>{0, 0, 1, 1});
        CHECK(env.ids(where().target("asset:01ABC"), 1000, &sizes).size() == 149);
    }
    SECTION("a full page ends before the budget does") {
        auto p = env.page({}, std::nullopt, 50);
        CHECK(p.items.size() == 50);
        REQUIRE(p.next_cursor.has_value());
        CHECK(*p.next_cursor == p.items.back().id);
    }
}

TEST_CASE("audit entries keep Vietnamese text and survive a restart", "[audit]") {
    log_env env;
    auto e = entry("u1", "version.rejected", "asset:01ABC/v2",
                   "Ảnh chưa đúng quy định: thiếu logo Bộ Giáo dục và Đào tạo");
    e.detail = json{{"lý do", "Nghị quyết 71-NQ/TW"}, {"số", 71}};
    auto stored = env.record(e);
    CHECK(stored.comment == e.comment);

    auto p = env.page(where().actor("u1"));
    REQUIRE(p.items.size() == 1);
    check_same(p.items[0], stored);

    env.close();
    env.now += 60000;
    env.open();
    p = env.page();
    REQUIRE(p.items.size() == 1);
    check_same(p.items[0], stored);
    CHECK(env.page(where().target("asset:01ABC/v2")).items.size() == 1);

    auto later = env.record(entry("u2", "version.approved", "asset:01ABC/v2", "Đã sửa, đạt."));
    CHECK(env.ids() == std::vector<std::string>{later.id, stored.id});
    CHECK(env.ids(where().target("asset:01ABC/")) == std::vector<std::string>{later.id, stored.id});
}

TEST_CASE("an ill-formed user name from a failed login is stored as valid UTF-8", "[audit]") {
    log_env env;
    auto stored = env.record(entry("", "session.login_failed", "user:adm\xc3in"));
    CHECK(kho::is_valid_utf8(stored.target));
    auto p = env.page(where().target(stored.target));
    REQUIRE(p.items.size() == 1);
    CHECK(p.items[0].target == stored.target);
}

TEST_CASE("0x00 in a name cannot break the index keys", "[audit]") {
    log_env env;
    auto stored = env.record(
        entry(std::string("u1\0u2", 5), "session.login_failed", std::string("username:a\0", 11)));
    CHECK(stored.actor == "u1\uFFFDu2");
    CHECK(stored.target == "username:a\uFFFD");
    CHECK(env.page(where().actor(stored.actor)).items.size() == 1);
    CHECK(env.page(where().target(stored.target)).items.size() == 1);
    CHECK(env.page(where().actor("u1")).items.empty());
    CHECK(env.page(where().actor(std::string("u1\0u2", 5))).items.empty());
    CHECK(env.page(where().target(std::string("username:a\0", 11))).items.empty());
}

TEST_CASE("concurrent records all land, in id order", "[audit]") {
    log_env env;
    env.log = std::make_unique<audit_log>(*env.db);  // the system clock
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&env, &failures, t] {
            for (int i = 0; i < 10; ++i) {
                auto r = env.log->record(
                    entry("u" + std::to_string(t), "asset.downloaded", "asset:01ABC"));
                if (!r) ++failures;  // Catch2 assertions are not thread-safe
            }
        });
    for (auto& th : threads) th.join();
    CHECK(failures == 0);
    auto ids = env.ids({}, 7);
    CHECK(ids.size() == 40);
    CHECK(std::is_sorted(ids.rbegin(), ids.rend()));
    CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 40);
    CHECK(env.ids(where().actor("u2")).size() == 10);
}
