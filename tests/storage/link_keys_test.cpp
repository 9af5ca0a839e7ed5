#include "storage/link_keys.hpp"

#include "core/link_token.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

using kho::errc;
using kho::storage::link_keys;
namespace fs = std::filesystem;

namespace {

constexpr kho::unix_ms k_day_ms = 24LL * 3600 * 1000;
constexpr kho::unix_ms k_start_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

link_keys open_ok(const fs::path& dir, kho::clock clk = {}) {
    auto r = link_keys::open(dir, std::move(clk));
    INFO((r.has_value() ? std::string() : r.error().detail));
    REQUIRE(r.has_value());
    return std::move(*r);
}

void write_file(const fs::path& p, const std::string& text, fs::perms perms) {
    {
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out << text;
    }
    fs::permissions(p, perms, fs::perm_options::replace);
}

const fs::perms k_0600 = fs::perms::owner_read | fs::perms::owner_write;

std::set<std::string> ids_of(const std::vector<kho::link_key>& keys) {
    std::set<std::string> ids;
    for (const auto& k : keys) ids.insert(k.id);
    return ids;
}

kho::ulid some_id() {
    kho::ulid id;
    for (std::size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<std::uint8_t>(i);
    return id;
}

}  // namespace

TEST_CASE("link_keys: creates the file with mode 0600 and the directory with 0700", "[link_keys]") {
    kho::test::temp_dir tmp;
    const auto dir = tmp.path() / "secrets" / "links";
    auto ring = open_ok(dir);

    CHECK(ring.file() == dir / "link-keys.json");
    CHECK(mode_of(dir) == 0700);
    CHECK(mode_of(dir / "link-keys.json") == 0600);
    CHECK(kho::test::files_under(dir) == 1);  // no temporary file left behind

    auto keys = ring.keys();
    REQUIRE(keys.size() == 1);
    CHECK(keys[0].id.size() == 8);
    CHECK(keys[0].id.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(keys[0].secret.size() == 32);
    CHECK(keys[0].created_at > 1'700'000'000);
    CHECK(ring.current().id == keys[0].id);
}

TEST_CASE("link_keys: reopening gives the same key", "[link_keys]") {
    kho::test::temp_dir tmp;
    const auto first = open_ok(tmp.path() / "k").current();
    const auto again = open_ok(tmp.path() / "k").current();
    CHECK(again.id == first.id);
    CHECK(again.secret == first.secret);
    CHECK(again.created_at == first.created_at);

    // Another directory gets another key.
    const auto other = open_ok(tmp.path() / "other").current();
    CHECK(other.id != first.id);
    CHECK(other.secret != first.secret);
}

TEST_CASE("link_keys: rotate makes a new current key and keeps the old one", "[link_keys]") {
    kho::test::temp_dir tmp;
    kho::unix_ms t = k_start_ms;
    auto ring = open_ok(tmp.path() / "k", kho::clock([&] { return t; }));
    const auto old_key = ring.current();
    CHECK(old_key.created_at == k_start_ms / 1000);

    t += 3 * k_day_ms;
    auto id = ring.rotate();
    REQUIRE(id.has_value());
    CHECK(*id != old_key.id);
    CHECK(ring.current().id == *id);
    CHECK(ring.current().created_at == t / 1000);

    auto keys = ring.keys();
    REQUIRE(keys.size() == 2);
    CHECK(keys[0].id == *id);
    CHECK(keys[1].id == old_key.id);
    CHECK(keys[1].secret == old_key.secret);

    // The rotation is on disk, still 0600, with no temporary file left.
    const auto dir = tmp.path() / "k";
    CHECK(mode_of(dir / "link-keys.json") == 0600);
    CHECK(kho::test::files_under(dir) == 1);
    auto reopened = open_ok(dir);
    CHECK(reopened.current().id == *id);
    CHECK(ids_of(reopened.keys()) == ids_of(keys));
}

TEST_CASE("link_keys: a token signed by the old key verifies with the new ring", "[link_keys]") {
    kho::test::temp_dir tmp;
    kho::unix_ms t = k_start_ms;
    auto ring = open_ok(tmp.path() / "k", kho::clock([&] { return t; }));
    const auto old_token = kho::sign_link(ring.current(), some_id(), t / 1000 + 86400 * 30);

    t += k_day_ms;
    REQUIRE(ring.rotate().has_value());
    const auto new_token = kho::sign_link(ring.current(), some_id(), t / 1000 + 86400 * 30);
    CHECK(new_token != old_token);

    auto claims = kho::verify_link(old_token, ring.keys());
    REQUIRE(claims.has_value());
    CHECK(claims->link_id == some_id());
    CHECK(kho::verify_link(new_token, ring.keys()).has_value());

    // Also after a restart.
    auto reopened = open_ok(tmp.path() / "k");
    CHECK(kho::verify_link(old_token, reopened.keys()).has_value());
    CHECK(kho::verify_link(new_token, reopened.keys()).has_value());
}

TEST_CASE("link_keys: keys retired longer than keep ago are dropped", "[link_keys]") {
    kho::test::temp_dir tmp;
    kho::unix_ms t = k_start_ms;
    auto ring = open_ok(tmp.path() / "k", kho::clock([&] { return t; }));
    const auto k1 = ring.current();
    const auto k1_token = kho::sign_link(k1, some_id(), t / 1000 + 86400);

    // k1 signed for 200 days; it stops signing now and must stay for 90 days
    // more, although it was created long ago.
    t += 200 * k_day_ms;
    auto k2 = ring.rotate();
    REQUIRE(k2.has_value());
    CHECK(ids_of(ring.keys()) == std::set<std::string>{k1.id, *k2});

    // 89 days later k1 is still needed for links signed just before the rotation.
    t += 89 * k_day_ms;
    auto k3 = ring.rotate();
    REQUIRE(k3.has_value());
    CHECK(ids_of(ring.keys()) == std::set<std::string>{k1.id, *k2, *k3});

    // 90 days after k1 stopped signing, it goes; k2 (retired just now) stays.
    t += 1 * k_day_ms;
    auto k4 = ring.rotate();
    REQUIRE(k4.has_value());
    auto keys = ring.keys();
    REQUIRE(keys.size() == 3);
    CHECK(keys[0].id == *k4);
    CHECK(keys[1].id == *k3);
    CHECK(keys[2].id == *k2);
    CHECK_FALSE(kho::verify_link(k1_token, keys).has_value());
    CHECK(ids_of(open_ok(tmp.path() / "k").keys()) == ids_of(keys));

    SECTION("a short keep drops all but the previous key") {
        t += k_day_ms;
        auto k5 = ring.rotate(std::chrono::seconds(0));
        REQUIRE(k5.has_value());
        CHECK(ids_of(ring.keys()) == std::set<std::string>{*k5, *k4});
    }
}

TEST_CASE("link_keys: rotations by two processes are not lost", "[link_keys]") {
    kho::test::temp_dir tmp;
    auto server = open_ok(tmp.path() / "k");
    auto cli = open_ok(tmp.path() / "k");
    auto a = cli.rotate();
    REQUIRE(a.has_value());
    auto b = server.rotate();
    REQUIRE(b.has_value());
    auto keys = open_ok(tmp.path() / "k").keys();
    REQUIRE(keys.size() == 3);
    CHECK(keys[0].id == *b);
    CHECK(keys[1].id == *a);
}

TEST_CASE("link_keys: moved and used from several threads", "[link_keys]") {
    kho::test::temp_dir tmp;
    auto opened = open_ok(tmp.path() / "k");
    link_keys ring = std::move(opened);
    const auto first = ring.current();

    std::atomic<bool> stop{false};
    std::atomic<int> checked{0};
    std::thread reader([&] {
        while (!stop) {
            auto keys = ring.keys();
            if (keys.empty() || keys.back().id != first.id) break;  // oldest is never lost
            ++checked;
        }
    });
    for (int i = 0; i < 5; ++i) CHECK(ring.rotate().has_value());
    stop = true;
    reader.join();
    CHECK(ring.keys().size() == 6);
    CHECK(ring.keys().back().id == first.id);
}

TEST_CASE("link_keys: a corrupt file is an error, not a crash", "[link_keys]") {
    const std::string good_secret(64, 'a');
    const std::vector<std::string> contents{
        "",
        "{",
        "not json at all",
        "[]",
        "{}",
        R"({"format":"kho-link-keys-2","keys":[]})",
        R"({"format":"kho-link-keys-1"})",
        R"({"format":"kho-link-keys-1","keys":[]})",
        R"({"format":"kho-link-keys-1","keys":{}})",
        R"({"format":"kho-link-keys-1","keys":[1]})",
        R"({"format":"kho-link-keys-1","keys":[{"secret":")" + good_secret +
            R"(","created_at":1}]})",
        R"({"format":"kho-link-keys-1","keys":[{"id":"","secret":")" + good_secret +
            R"(","created_at":1}]})",
        R"({"format":"kho-link-keys-1","keys":[{"id":"a b","secret":")" + good_secret +
            R"(","created_at":1}]})",
        R"({"format":"kho-link-keys-1","keys":[{"id":"k1","secret":"abcd","created_at":1}]})",
        R"({"format":"kho-link-keys-1","keys":[{"id":"k1","secret":")" + std::string(64, 'g') +
            R"(","created_at":1}]})",
        R"({"format":"kho-link-keys-1","keys":[{"id":"k1","secret":")" + good_secret + R"("}]})",
        R"({"format":"kho-link-keys-1","keys":[{"id":"k1","secret":")" + good_secret +
            R"(","created_at":"yesterday"}]})",
        R"({"format":"kho-link-keys-1","keys":[{"id":"k1","secret":")" + good_secret +
            R"(","created_at":1},{"id":"k1","secret":")" + good_secret + R"(","created_at":0}]})",
        std::string("\0\xff\xfe", 3),
    };
    for (const auto& text : contents) {
        INFO(text);
        kho::test::temp_dir tmp;
        write_file(tmp.path() / "link-keys.json", text, k_0600);
        auto r = link_keys::open(tmp.path());
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::internal);
        CHECK(r.error().detail.find("link-keys.json") != std::string::npos);
        // The file is left as it was, for the operator to restore.
        std::ifstream in(tmp.path() / "link-keys.json", std::ios::binary);
        CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == text);
    }

    SECTION("a valid hand-written file loads") {
        kho::test::temp_dir tmp;
        write_file(tmp.path() / "link-keys.json",
                   R"({"format":"kho-link-keys-1","keys":[{"id":"k2","secret":")" +
                       std::string(64, 'B') + R"(","created_at":2},{"id":"k1","secret":")" +
                       good_secret + R"(","created_at":1}]})",
                   k_0600);
        auto ring = open_ok(tmp.path());
        CHECK(ring.current().id == "k2");
        CHECK(ring.current().secret == std::string(32, '\xbb'));
        CHECK(ring.keys().size() == 2);
    }
}

TEST_CASE("link_keys: a file group or others may read is refused", "[link_keys]") {
    kho::test::temp_dir tmp;
    const auto dir = tmp.path() / "k";
    const auto first = open_ok(dir).current();
    const auto file = dir / "link-keys.json";

    for (auto perms : {fs::perms::group_read, fs::perms::others_read, fs::perms::group_write,
                       fs::perms::others_write}) {
        fs::permissions(file, k_0600 | perms, fs::perm_options::replace);
        auto r = link_keys::open(dir);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::internal);
        CHECK(r.error().detail.find("chmod 600") != std::string::npos);
    }

    // Fixing the mode makes it usable again, with the same key.
    fs::permissions(file, k_0600, fs::perm_options::replace);
    CHECK(open_ok(dir).current().id == first.id);

    SECTION("a stricter mode is fine") {
        fs::permissions(file, fs::perms::owner_read, fs::perm_options::replace);
        CHECK(open_ok(dir).current().id == first.id);
    }
    SECTION("a group-writable directory is refused") {
        fs::permissions(dir, fs::perms::owner_all | fs::perms::group_all,
                        fs::perm_options::replace);
        auto r = link_keys::open(dir);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::internal);
        fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
    }
    SECTION("a symbolic link is refused") {
        fs::rename(file, dir / "real.json");
        fs::create_symlink(dir / "real.json", file);
        auto r = link_keys::open(dir);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::internal);
    }
}
