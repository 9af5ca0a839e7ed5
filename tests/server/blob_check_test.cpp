#include "server/blob_check.hpp"

#include "core/sha256.hpp"

#include <catch2/catch.hpp>

#include <string>

using kho::server::blob_check;
using kho::server::known_checksums;

namespace {

std::string bytes_of(std::size_t size, char seed) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>(seed + i * 131 + (i >> 7));
    return s;
}

// Feeds `bytes` in pieces of `piece` and returns the check's verdict.
std::optional<std::string> check(known_checksums& known, const std::string& sha,
                                 const std::string& bytes, bool* full = nullptr,
                                 std::size_t piece = 4096) {
    blob_check c(known, sha);
    if (full) *full = c.full();
    for (std::size_t at = 0; at < bytes.size(); at += piece)
        c.update(bytes.data() + at, std::min(piece, bytes.size() - at));
    return c.mismatch();
}

}  // namespace

TEST_CASE("the first download of a blob runs SHA-256, later ones the remembered XXH3",
          "[server][bit rot]") {
    known_checksums known;
    const auto good = bytes_of(100'000, 'a');
    const auto sha = kho::sha256::hex_of(good);
    auto bad = good;
    bad[54'321] = static_cast<char>(bad[54'321] ^ 0x20);

    SECTION("a damaged blob never seen whole is caught by SHA-256, and nothing is remembered") {
        bool full = false;
        auto wrong = check(known, sha, bad, &full);
        CHECK(full);
        REQUIRE(wrong.has_value());
        CHECK(wrong->find("hash to " + kho::sha256::hex_of(bad)) != std::string::npos);
        CHECK_FALSE(known.find(sha).has_value());
    }

    bool full = false;
    CHECK_FALSE(check(known, sha, good, &full).has_value());
    CHECK(full);
    REQUIRE(known.find(sha).has_value());
    CHECK(known.size() == 1);

    // Later: XXH3 only, whatever the pieces.
    for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{65536}, good.size()}) {
        INFO("pieces of " << piece);
        CHECK_FALSE(check(known, sha, good, &full, piece).has_value());
        CHECK_FALSE(full);
    }
    auto wrong = check(known, sha, bad, &full);
    CHECK_FALSE(full);
    REQUIRE(wrong.has_value());
    CHECK(wrong->find("XXH3") != std::string::npos);
    // Shorter (a truncated file) and longer are wrong too.
    CHECK(check(known, sha, good.substr(0, good.size() - 1)).has_value());
    CHECK(check(known, sha, good + "x").has_value());
    // The damage did not replace what is remembered.
    CHECK_FALSE(check(known, sha, good).has_value());
}

TEST_CASE("remembered checksums are bounded, and a name that is no digest is never remembered",
          "[server][bit rot]") {
    known_checksums known(32);
    for (int i = 0; i < 500; ++i) {
        const auto b = bytes_of(100, static_cast<char>(i));
        const auto body = b + std::to_string(i);
        CHECK_FALSE(check(known, kho::sha256::hex_of(body), body).has_value());
    }
    CHECK(known.size() <= 32);
    CHECK(known.size() >= 1);

    known_checksums other;
    const auto b = bytes_of(10, 'z');
    bool full = false;
    CHECK(check(other, "not-a-digest", b, &full).has_value());
    CHECK(full);
    CHECK(other.size() == 0);
}
