#include "core/link_token.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <string>
#include <vector>

using kho::errc;
using kho::link_key;
using kho::sign_link;
using kho::ulid;
using kho::verify_link;

namespace {

const std::string k_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

link_key make_key(std::string id, char fill, std::int64_t created_at = 1'767'225'600) {
    return link_key{std::move(id), std::string(32, fill), created_at};
}

ulid make_id(std::uint8_t seed) {
    ulid id;
    for (std::size_t i = 0; i < id.bytes.size(); ++i)
        id.bytes[i] = static_cast<std::uint8_t>(seed + i * 7);
    return id;
}

const std::int64_t k_expiry = 1'790'000'000;  // 2026-09

// Refused with errc::forbidden; returns the detail so cases can tell reasons apart.
std::string refused(std::string_view token, const std::vector<link_key>& ring) {
    auto r = verify_link(token, ring);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::forbidden);
    CHECK_FALSE(r.error().detail.empty());
    return r.error().detail;
}

// Decodes base64url the simple way, to reach into the token's bytes.
std::string decode(std::string_view text) {
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        acc = (acc << 6) | static_cast<std::uint32_t>(k_chars.find(c));
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    return out;
}

std::string encode(std::string_view bytes) {
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char ch : bytes) {
        acc = (acc << 8) | static_cast<std::uint8_t>(ch);
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += k_chars[(acc >> bits) & 0x3f];
        }
    }
    if (bits > 0) out += k_chars[(acc << (6 - bits)) & 0x3f];
    return out;
}

}  // namespace

TEST_CASE("link_token: round trip", "[link_token]") {
    const auto key = make_key("k1a2b3c4", 'a');
    const auto id = make_id(3);
    const auto token = sign_link(key, id, k_expiry);

    CHECK(token.size() <= kho::k_max_link_token_size);
    CHECK(token.size() == 88);  // 66 bytes with an 8-byte key id
    CHECK(token.find_first_not_of(k_chars) == std::string::npos);

    auto claims = verify_link(token, {key});
    REQUIRE(claims.has_value());
    CHECK(claims->link_id == id);
    CHECK(claims->expires_at == k_expiry);
    CHECK(claims->key_id == "k1a2b3c4");

    SECTION("deterministic for the same inputs") {
        CHECK(sign_link(key, id, k_expiry) == token);
    }
    SECTION("expiry is reported, not enforced") {
        auto past = verify_link(sign_link(key, id, 1), {key});
        REQUIRE(past.has_value());
        CHECK(past->expires_at == 1);
    }
    SECTION("key ids of other lengths") {
        for (std::string kid : {std::string("x"), std::string(32, 'z')}) {
            auto k = make_key(kid, 'q');
            auto t = sign_link(k, id, k_expiry);
            CHECK(t.size() <= kho::k_max_link_token_size);
            CHECK(t.find_first_not_of(k_chars) == std::string::npos);
            auto c = verify_link(t, {key, k});
            REQUIRE(c.has_value());
            CHECK(c->key_id == kid);
            CHECK(c->link_id == id);
        }
    }
    SECTION("bad keys are programming errors") {
        CHECK_THROWS_AS(sign_link(make_key("", 'a'), id, k_expiry), std::invalid_argument);
        CHECK_THROWS_AS(sign_link(make_key(std::string(33, 'k'), 'a'), id, k_expiry),
                        std::invalid_argument);
        CHECK_THROWS_AS(sign_link(link_key{"k", "", 0}, id, k_expiry), std::invalid_argument);
    }
}

TEST_CASE("link_token: two different link ids give different tokens", "[link_token]") {
    const auto key = make_key("k1a2b3c4", 'a');
    CHECK(sign_link(key, make_id(1), k_expiry) != sign_link(key, make_id(2), k_expiry));
    CHECK(sign_link(key, make_id(1), k_expiry) != sign_link(key, make_id(1), k_expiry + 1));
}

TEST_CASE("link_token: every single-character change is refused", "[link_token]") {
    const auto key = make_key("k1a2b3c4", 'a');
    const std::vector<link_key> ring{key};
    const auto token = sign_link(key, make_id(9), k_expiry);

    std::size_t tried = 0;
    for (std::size_t pos = 0; pos < token.size(); ++pos) {
        for (char c : k_chars) {
            if (c == token[pos]) continue;
            auto tampered = token;
            tampered[pos] = c;
            auto r = verify_link(tampered, ring);
            INFO("position " << pos << " -> " << c);
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error().code == errc::forbidden);
            ++tried;
        }
    }
    CHECK(tried == token.size() * 63);
}

TEST_CASE("link_token: malformed tokens are refused", "[link_token]") {
    const auto key = make_key("k1a2b3c4", 'a');
    const std::vector<link_key> ring{key};
    const auto token = sign_link(key, make_id(9), k_expiry);
    const auto malformed = refused("!", ring);

    CHECK(refused("", ring) != malformed);

    SECTION("truncated") {
        for (std::size_t n = 1; n < token.size(); ++n) refused(token.substr(0, n), ring);
    }
    SECTION("extended") {
        for (char c : std::string("AQw-_9")) refused(token + c, ring);
        refused(token + "AAAA", ring);
        refused(token + token, ring);
        refused(std::string(10'000, 'A'), ring);
    }
    SECTION("characters outside base64url") {
        const std::vector<std::string> bads{"+", "/",        "=",  "%",
                                            " ", "\xC3\xA1", "\n", std::string(1, '\0')};
        for (const auto& bad : bads) {
            INFO("inserted " << bad);
            refused(token.substr(0, 10) + bad + token.substr(10), ring);
            auto replaced = token;
            replaced.replace(20, 1, bad);
            refused(replaced, ring);
            refused(token + bad, ring);
        }
        refused(token + "==", ring);
    }
    SECTION("unsupported version") {
        auto bytes = decode(token);
        bytes[0] = 2;
        CHECK(refused(encode(bytes), ring).find("version") != std::string::npos);
    }
    SECTION("key id length that does not match") {
        auto bytes = decode(token);
        bytes[1] = 9;
        refused(encode(bytes), ring);
        bytes[1] = 0;
        refused(encode(bytes), ring);
    }
}

TEST_CASE("link_token: signatures and keys", "[link_token]") {
    const auto key = make_key("k1a2b3c4", 'a');
    const std::vector<link_key> ring{key};
    const auto id = make_id(5);
    const auto token = sign_link(key, id, k_expiry);

    SECTION("another key's signature under the same key id") {
        auto forged = sign_link(make_key("k1a2b3c4", 'b'), id, k_expiry);
        auto detail = refused(forged, ring);
        CHECK(detail.find("signature") != std::string::npos);
    }
    SECTION("unknown key id") {
        auto other = sign_link(make_key("zzzzzzzz", 'a'), id, k_expiry);
        auto detail = refused(other, ring);
        CHECK(detail.find("key") != std::string::npos);
        CHECK(detail != refused(sign_link(make_key("k1a2b3c4", 'b'), id, k_expiry), ring));
        refused(token, {});
    }
    SECTION("changing the expiry bytes") {
        auto bytes = decode(token);
        const std::size_t expiry_at = 2 + key.id.size() + 16;
        for (std::size_t i = 0; i < 8; ++i) {
            auto changed = bytes;
            changed[expiry_at + i] = static_cast<char>(changed[expiry_at + i] ^ 0x01);
            refused(encode(changed), ring);
        }
        // Pushing the expiry far out, as an attacker would, is refused too.
        auto later = bytes;
        later[expiry_at] = 0x7f;
        auto detail = refused(encode(later), ring);
        CHECK(detail.find("signature") != std::string::npos);
    }
    SECTION("changing the link id bytes") {
        auto bytes = decode(token);
        bytes[2 + key.id.size()] ^= 0x40;
        refused(encode(bytes), ring);
    }
    SECTION("the three failures have distinct details") {
        std::set<std::string> details{
            refused("@@@@", ring),
            refused(sign_link(make_key("zzzzzzzz", 'a'), id, k_expiry), ring),
            refused(sign_link(make_key("k1a2b3c4", 'b'), id, k_expiry), ring),
        };
        CHECK(details.size() == 3);
    }
}

TEST_CASE("link_token: rotation", "[link_token]") {
    const auto old_key = make_key("00000001", 'o', 1'760'000'000);
    const auto new_key = make_key("00000002", 'n', 1'770'000'000);
    const auto id = make_id(7);
    const auto old_token = sign_link(old_key, id, k_expiry);

    // Still in the ring (newest first): verifies.
    auto r = verify_link(old_token, {new_key, old_key});
    REQUIRE(r.has_value());
    CHECK(r->key_id == old_key.id);
    CHECK(r->link_id == id);

    // New links use the new key and verify with either ring.
    auto new_token = sign_link(new_key, id, k_expiry);
    CHECK(new_token != old_token);
    CHECK(verify_link(new_token, {new_key, old_key}).has_value());
    CHECK(verify_link(new_token, {new_key}).has_value());

    // Removed from the ring: refused.
    refused(old_token, {new_key});
}
