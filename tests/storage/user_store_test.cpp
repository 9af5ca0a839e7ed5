// Users and credentials in storage: accounts, name lookups, changes and
// their audit entries; sessions' idle and absolute expiry with a clock the
// test moves; revocation.

#include "core/password.hpp"
#include "storage/audit_log.hpp"
#include "storage/database.hpp"
#include "storage/token_store.hpp"
#include "storage/user_store.hpp"

#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <memory>

using namespace kho;
using kho::storage::credential_kind;

namespace {

constexpr unix_ms k_start = 1'796'000'000'000;

struct people_env {
    test::temp_dir dir;
    unix_ms now = k_start;
    std::unique_ptr<storage::database> db;
    std::unique_ptr<storage::audit_log> audit;
    std::unique_ptr<storage::user_store> users;
    std::unique_ptr<storage::token_store> tokens;
    storage::session_limits limits{30 * 60 * 1000, 8 * 3600 * 1000};

    people_env() { open(); }
    ~people_env() { close(); }
    void open() {
        auto d = storage::database::open(dir.path() / "db");
        REQUIRE(d.has_value());
        db = std::move(*d);
        kho::clock clk([this] { return now; });
        audit = std::make_unique<storage::audit_log>(*db, clk);
        users = std::make_unique<storage::user_store>(*db, *audit, clk);
        tokens = std::make_unique<storage::token_store>(*db, *audit, clk, limits);
    }
    void close() {
        tokens.reset();
        users.reset();
        audit.reset();
        db.reset();
    }
    user make(std::string name, role r, std::string unit = {}) {
        user u;
        u.username = std::move(name);
        u.display_name = "Nguyễn Văn " + u.username;
        u.role = r;
        u.unit_code = std::move(unit);
        u.password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
        auto created = users->create(u, audit_context{"u-admin", "10.0.0.1"});
        REQUIRE(created.has_value());
        return *created;
    }
    std::vector<std::string> actions(const std::string& target) {
        storage::audit_filter f;
        f.target = target;
        auto page = audit->list(f, std::nullopt, 100);
        REQUIRE(page.has_value());
        std::vector<std::string> out;
        for (const auto& e : page->items) out.push_back(e.action);
        return out;
    }
};

}  // namespace

TEST_CASE("user_store: create, look up, list", "[user_store]") {
    people_env env;
    auto lan = env.make("lan.nguyen", role::designer);
    CHECK(lan.id.size() == 26);
    CHECK(lan.created_at == k_start);
    CHECK(env.users->find_by_username("lan.nguyen")->id == lan.id);
    CHECK(env.users->get(lan.id)->display_name == "Nguyễn Văn lan.nguyen");
    CHECK(env.users->find_by_username("khong.co").error().code == errc::not_found);
    CHECK(env.users->get("01ARZ3NDEKTSV4RRFFQ69G5FAV").error().code == errc::not_found);
    // Names are unique.
    user dup;
    dup.username = "lan.nguyen";
    dup.display_name = "Trùng";
    CHECK(env.users->create(dup, {}).error().code == errc::conflict);
    CHECK(env.actions("user:" + lan.id) == std::vector<std::string>{"user.created"});

    env.make("binh.tran", role::reviewer);
    env.make("cuong.le", role::unit_member, "THPT-CVA");
    env.make("dung.pham", role::unit_member, "THPT-CVA");
    CHECK(env.users->count() == 4);
    CHECK(env.users->unit_in_use("THPT-CVA"));
    CHECK_FALSE(env.users->unit_in_use("THPT"));
    SECTION("pages by name") {
        auto first = env.users->list({}, std::nullopt, 3);
        REQUIRE(first.has_value());
        REQUIRE(first->items.size() == 3);
        CHECK(first->items[0].username == "binh.tran");
        REQUIRE(first->next_cursor);
        auto rest = env.users->list({}, first->next_cursor, 3);
        REQUIRE(rest->items.size() == 1);
        CHECK(rest->items[0].username == "lan.nguyen");
        CHECK_FALSE(rest->next_cursor);
    }
    SECTION("filters") {
        storage::user_filter f;
        f.unit = "THPT-CVA";
        CHECK(env.users->list(f, std::nullopt, 10)->items.size() == 2);
        f = {};
        f.role = role::reviewer;
        CHECK(env.users->list(f, std::nullopt, 10)->items.size() == 1);
        f = {};
        f.query = "NGUYEN VAN DUNG";  // diacritic- and case-insensitive
        REQUIRE(env.users->list(f, std::nullopt, 10)->items.size() == 1);
    }
    SECTION("survives a restart") {
        env.close();
        env.open();
        CHECK(env.users->find_by_username("cuong.le")->unit_code == "THPT-CVA");
    }
}

TEST_CASE("user_store: changes are audited one by one", "[user_store]") {
    people_env env;
    auto u = env.make("cuong.le", role::unit_member, "THPT-CVA");
    storage::user_patch p;
    p.role = role::designer;
    p.unit_code = "";
    p.disabled = true;
    p.display_name = "Lê Văn Cường";
    auto changed = env.users->update(u.id, p, audit_context{"u-admin", "10.0.0.1"});
    REQUIRE(changed.has_value());
    CHECK(changed->role == role::designer);
    CHECK(changed->disabled);
    CHECK_FALSE(env.users->unit_in_use("THPT-CVA"));
    CHECK(env.actions("user:" + u.id) ==
          std::vector<std::string>{"user.disabled", "user.unit_changed", "user.role_changed",
                                   "user.renamed", "user.created"});
    // Nothing to change: nothing written.
    REQUIRE(env.users->update(u.id, p, {}).has_value());
    CHECK(env.actions("user:" + u.id).size() == 5);
    // Passwords.
    env.now += 1000;
    auto reset = env.users->set_password(u.id, "$argon2id$new", true, {"u-admin", ""},
                                         "user.password_reset");
    REQUIRE(reset.has_value());
    CHECK(reset->must_change_password);
    CHECK(reset->password_changed_at == k_start + 1000);
    REQUIRE(env.users->upgrade_hash(u.id, "$argon2id$stronger").has_value());
    CHECK(env.users->get(u.id)->password_hash == "$argon2id$stronger");
    CHECK(env.actions("user:" + u.id).front() == "user.password_reset");
    CHECK(env.users->update("khong-co", p, {}).error().code == errc::not_found);
}

TEST_CASE("token_store: sessions expire when idle and at their end", "[token_store]") {
    people_env env;
    auto u = env.make("lan.nguyen", role::designer);
    auto s = env.tokens->create_session(u.id, audit_context{u.id, "113.161.1.1"});
    REQUIRE(s.has_value());
    const std::string secret = s->first;
    CHECK(s->second.kind == credential_kind::session);
    CHECK(s->second.expires_at == k_start + env.limits.absolute_ms);
    CHECK(env.actions("user:" + u.id).front() == "session.login");

    SECTION("idle: one second either side of the timeout") {
        env.now += env.limits.idle_ms - 1000;
        REQUIRE(env.tokens->authenticate(secret).has_value());  // and counts as use
        env.now += env.limits.idle_ms - 1000;
        REQUIRE(env.tokens->authenticate(secret).has_value());
        env.now += env.limits.idle_ms;
        CHECK(env.tokens->authenticate(secret).error().code == errc::unauthorized);
    }
    SECTION("idle survives a restart (last use is written back)") {
        env.now += env.limits.idle_ms / 2;
        REQUIRE(env.tokens->authenticate(secret).has_value());
        env.close();
        env.open();
        env.now += env.limits.idle_ms / 2 + 1000;
        CHECK(env.tokens->authenticate(secret).has_value());
    }
    SECTION("absolute: however busy") {
        while (env.now + 20 * 60 * 1000 < k_start + env.limits.absolute_ms) {
            env.now += 20 * 60 * 1000;
            REQUIRE(env.tokens->authenticate(secret).has_value());
        }
        env.now = k_start + env.limits.absolute_ms - 1000;
        CHECK(env.tokens->authenticate(secret).has_value());
        env.now = k_start + env.limits.absolute_ms;
        CHECK(env.tokens->authenticate(secret).error().code == errc::unauthorized);
    }
    SECTION("revoked: at once, and listed no more") {
        auto listed = env.tokens->list(u.id);
        REQUIRE(listed->size() == 1);
        CHECK(env.tokens->revoke("someone-else", s->second.id, {}).error().code == errc::not_found);
        REQUIRE(env.tokens->revoke(u.id, s->second.id, {u.id, ""}).has_value());
        CHECK(env.tokens->authenticate(secret).error().code == errc::unauthorized);
        CHECK(env.tokens->list(u.id)->empty());
        CHECK(env.actions("user:" + u.id).front() == "session.logout");
    }
}

TEST_CASE("token_store: API tokens and revoking everything", "[token_store]") {
    people_env env;
    auto u = env.make("binh.tran", role::reviewer);
    auto t = env.tokens->create_api_token(u.id, "báo cáo hằng tuần", k_start + 86'400'000,
                                          {u.id, ""});
    REQUIRE(t.has_value());
    auto forever = env.tokens->create_api_token(u.id, "không hết hạn", std::nullopt, {u.id, ""});
    auto s1 = env.tokens->create_session(u.id, {u.id, ""});
    auto s2 = env.tokens->create_session(u.id, {u.id, ""});
    REQUIRE(env.tokens->list(u.id)->size() == 4);
    CHECK(env.tokens->create_api_token(u.id, "cũ", k_start - 1, {}).error().code ==
          errc::invalid_parameter);
    // An API token has no idle timeout but ends at its expiry.
    env.now += env.limits.idle_ms * 4;
    CHECK(env.tokens->authenticate(t->first).has_value());
    CHECK(env.tokens->authenticate(s1->first).error().code == errc::unauthorized);
    env.now = k_start + 86'400'000;
    CHECK(env.tokens->authenticate(t->first).error().code == errc::unauthorized);
    CHECK(env.tokens->authenticate(forever->first).has_value());
    env.now = k_start;
    // Sessions only (a password change), then everything (disabling).
    auto n = env.tokens->revoke_all(u.id, false, {u.id, ""}, "session.revoked_all");
    REQUIRE(n.has_value());
    CHECK(*n == 2);
    CHECK(env.tokens->authenticate(s2->first).error().code == errc::unauthorized);
    CHECK(env.tokens->authenticate(forever->first).has_value());
    n = env.tokens->revoke_all(u.id, true, {"u-admin", ""}, "user.credentials_revoked");
    CHECK(*n == 2);
    CHECK(env.tokens->authenticate(forever->first).error().code == errc::unauthorized);
    CHECK(env.tokens->list(u.id)->empty());
    // Nothing left: nothing revoked, nothing audited.
    CHECK(*env.tokens->revoke_all(u.id, true, {}, "user.credentials_revoked") == 0);
    auto acts = env.actions("user:" + u.id);
    CHECK(std::count(acts.begin(), acts.end(), "user.credentials_revoked") == 1);
}

TEST_CASE("token_store: the bootstrap token follows the first admin", "[token_store]") {
    people_env env;
    auto generated = env.tokens->ensure_bootstrap(std::nullopt);
    REQUIRE(generated->has_value());
    auto admin = env.make("admin", role::admin);
    REQUIRE(env.tokens->assign_bootstrap(admin.id).has_value());
    auto who = env.tokens->authenticate(**generated);
    REQUIRE(who.has_value());
    CHECK(who->user_id == admin.id);
    CHECK(who->kind == credential_kind::bootstrap);
    CHECK(env.tokens->list(admin.id)->size() == 1);
    // Providing a new bootstrap token later: it belongs to the admin too.
    const std::string provided = "kho_bgddt-admin-2026-nghi-quyet-71";
    REQUIRE(env.tokens->ensure_bootstrap(provided).has_value());
    CHECK(env.tokens->authenticate(provided)->user_id == admin.id);
}

TEST_CASE("token_store: ended credentials are swept away", "[token_store]") {
    people_env env;
    auto u = env.make("lan.nguyen", role::designer);
    auto busy = env.tokens->create_session(u.id, {u.id, ""});
    auto idle = env.tokens->create_session(u.id, {u.id, ""});
    auto short_lived = env.tokens->create_api_token(u.id, "một ngày", k_start + 86'400'000, {});
    auto forever = env.tokens->create_api_token(u.id, "lâu dài", std::nullopt, {});
    REQUIRE(env.tokens->list(u.id)->size() == 4);
    // The busy session is used now and then (its last use written beside it).
    for (int i = 0; i < 3; ++i) {
        env.now += env.limits.idle_ms / 2;
        REQUIRE(env.tokens->authenticate(busy->first).has_value());
    }
    CHECK(env.tokens->sweep_expired() == 1);  // the idle session
    CHECK(env.tokens->list(u.id)->size() == 3);
    env.now = k_start + 86'400'000;
    CHECK(env.tokens->sweep_expired() == 2);  // the busy session's end, the day token
    auto left = env.tokens->list(u.id);
    REQUIRE(left->size() == 1);
    CHECK(left->front().label == "lâu dài");
    CHECK(env.tokens->authenticate(forever->first).has_value());
    CHECK_FALSE(env.tokens->authenticate(idle->first).has_value());
    CHECK_FALSE(env.tokens->authenticate(short_lived->first).has_value());
    CHECK(env.tokens->sweep_expired() == 0);
}
