#include "core/ulid.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

using kho::ulid;
using kho::ulid_generator;

namespace {

using std::chrono::milliseconds;
using time_point = std::chrono::system_clock::time_point;

// 2025-11-26T05:02:12.345Z
constexpr std::int64_t k_upload_ms = 1764133332345;

time_point at_ms(std::int64_t ms) {
    return time_point(milliseconds(ms));
}

ulid from_bytes(std::initializer_list<std::uint8_t> bytes) {
    ulid id;
    std::copy(bytes.begin(), bytes.end(), id.bytes.begin());
    return id;
}

std::string lower(std::string s) {
    for (auto& ch : s)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    return s;
}

// Checks that every id is greater than the one before, both as the
// 26-character text and as the 16 raw bytes (compared as unsigned bytes, the
// way RocksDB's byte-wise comparator does).
void require_strictly_increasing(const std::vector<ulid>& ids) {
    for (size_t i = 1; i < ids.size(); ++i) {
        INFO("index " << i << ": " << ids[i - 1].to_string() << " then " << ids[i].to_string());
        REQUIRE(ids[i - 1].to_string() < ids[i].to_string());
        auto a = ids[i - 1].raw();
        auto b = ids[i].raw();
        REQUIRE(std::lexicographical_compare(
            a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
                return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
            }));
        REQUIRE(ids[i - 1] < ids[i]);
    }
}

}  // namespace

TEST_CASE("ulid text encoding", "[ulid]") {
    SECTION("all zero") {
        REQUIRE(ulid{}.to_string() == "00000000000000000000000000");
    }
    SECTION("known bytes") {
        auto id = from_bytes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
        REQUIRE(id.to_string() == "01081G81860W40J2GB1G6GW3RG");
    }
    SECTION("largest value") {
        ulid id;
        id.bytes.fill(0xff);
        REQUIRE(id.to_string() == "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
    }
    SECTION("the first ten characters are the timestamp") {
        auto id = from_bytes({0x01, 0x9a, 0xbe, 0x8a, 0x65, 0x79});
        REQUIRE(id.unix_ms() == k_upload_ms);
        REQUIRE(id.to_string() == "01KAZ8MSBS0000000000000000");
    }
    SECTION("always 26 characters from the Crockford alphabet") {
        ulid_generator gen;
        for (int i = 0; i < 200; ++i) {
            auto text = gen.next().to_string();
            REQUIRE(text.size() == 26);
            REQUIRE(text.find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ") ==
                    std::string::npos);
            REQUIRE(text[0] <= '7');
        }
    }
}

TEST_CASE("ulid parse round trip", "[ulid]") {
    ulid_generator gen;
    SECTION("generated ids") {
        for (int i = 0; i < 500; ++i) {
            auto id = gen.next(at_ms(k_upload_ms + i * 7919));
            auto parsed = ulid::parse(id.to_string());
            REQUIRE(parsed.has_value());
            REQUIRE(*parsed == id);
            REQUIRE(parsed->to_string() == id.to_string());
        }
    }
    SECTION("known text") {
        auto parsed = ulid::parse("01081G81860W40J2GB1G6GW3RG");
        REQUIRE(parsed.has_value());
        REQUIRE(*parsed == from_bytes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}));
    }
    SECTION("extremes") {
        auto zero = ulid::parse("00000000000000000000000000");
        REQUIRE(zero.has_value());
        REQUIRE(*zero == ulid{});
        auto max = ulid::parse("7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
        REQUIRE(max.has_value());
        REQUIRE(
            std::all_of(max->bytes.begin(), max->bytes.end(), [](auto b) { return b == 0xff; }));
    }
    SECTION("raw bytes round trip") {
        auto id = gen.next(at_ms(k_upload_ms));
        auto back = ulid::from_raw(id.raw());
        REQUIRE(back.has_value());
        REQUIRE(*back == id);
        REQUIRE(id.raw().size() == 16);
    }
    SECTION("from_raw refuses other lengths") {
        REQUIRE_FALSE(ulid::from_raw("").has_value());
        REQUIRE_FALSE(ulid::from_raw(std::string(15, 'x')).has_value());
        REQUIRE_FALSE(ulid::from_raw(std::string(17, 'x')).has_value());
    }
}

TEST_CASE("ulid parse is case-insensitive", "[ulid]") {
    ulid_generator gen;
    for (int i = 0; i < 100; ++i) {
        auto id = gen.next(at_ms(k_upload_ms + i));
        auto text = id.to_string();
        auto from_lower = ulid::parse(lower(text));
        REQUIRE(from_lower.has_value());
        REQUIRE(*from_lower == id);
    }
    SECTION("mixed case") {
        auto upper = ulid::parse("01KAZ8MSBS0000000000000000");
        auto mixed = ulid::parse("01kAz8mSbS0000000000000000");
        REQUIRE(upper.has_value());
        REQUIRE(mixed.has_value());
        REQUIRE(*upper == *mixed);
    }
    SECTION("Crockford decoding aliases I, L -> 1 and O -> 0") {
        auto canonical = ulid::parse("01081G81860W40J2GB1G6GW3RG");
        auto aliased = ulid::parse("OI081G8L860W40J2GB1G6GW3RG");
        auto aliased_lower = ulid::parse("oi081g8l860w40j2gb1g6gw3rg");
        REQUIRE(canonical.has_value());
        REQUIRE(aliased.has_value());
        REQUIRE(aliased_lower.has_value());
        REQUIRE(*aliased == *canonical);
        REQUIRE(*aliased_lower == *canonical);
    }
}

TEST_CASE("ulid parse refuses malformed ids", "[ulid]") {
    auto refused = [](std::string_view text) {
        auto r = ulid::parse(text);
        INFO("input: \"" << std::string(text) << "\"");
        REQUIRE_FALSE(r.has_value());
        REQUIRE(r.error().code == kho::errc::bad_request);
        REQUIRE_FALSE(r.error().detail.empty());
    };
    SECTION("wrong length") {
        refused("");
        refused("0");
        refused("01KAZ8MSBS000000000000000");    // 25
        refused("01KAZ8MSBS00000000000000000");  // 27
        refused(std::string(260, '0'));
    }
    SECTION("characters outside Crockford base32") {
        refused("01KAZ8MSBSU000000000000000");  // U is excluded
        refused("01KAZ8MSBSu000000000000000");
        refused("01KAZ8MSBS-000000000000000");
        refused("01KAZ8MSBS 000000000000000");
        refused("01KAZ8MSBS*000000000000000");
        refused(std::string("01KAZ8MSBS\0"
                            "00000000000000",
                            25) +
                "0");
        refused("01KAZ8MSBS00000000000000Đ");  // 'Đ' is two bytes: 26 bytes in all
    }
    SECTION("values above 128 bits") {
        refused("8ZZZZZZZZZZZZZZZZZZZZZZZZZ");
        refused("80000000000000000000000000");
        refused("ZZZZZZZZZZZZZZZZZZZZZZZZZZ");
        refused("z0000000000000000000000000");
        REQUIRE(ulid::parse("70000000000000000000000000").has_value());
    }
}

TEST_CASE("ulid unix_ms round trip", "[ulid]") {
    ulid_generator gen;
    // system_clock counts nanoseconds in 64 bits: time points reach the year 2262.
    for (std::int64_t ms : {std::int64_t{1}, std::int64_t{1000}, k_upload_ms,
                            std::int64_t{1767225599999}, std::int64_t{9'000'000'000'000}}) {
        auto id = gen.next(at_ms(ms));
        INFO("ms = " << ms);
        REQUIRE(id.unix_ms() == static_cast<std::uint64_t>(ms));
        REQUIRE(ulid::parse(id.to_string())->unix_ms() == static_cast<std::uint64_t>(ms));
    }
    SECTION("the largest 48-bit timestamp") {
        auto id = from_bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
        REQUIRE(id.unix_ms() == (std::uint64_t{1} << 48) - 1);
        auto parsed = ulid::parse(id.to_string());
        REQUIRE(parsed.has_value());
        REQUIRE(parsed->unix_ms() == (std::uint64_t{1} << 48) - 1);
    }
    SECTION("default argument is now") {
        auto before = std::chrono::duration_cast<milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
        ulid_generator fresh;
        auto id = fresh.next();
        auto after = std::chrono::duration_cast<milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
        REQUIRE(id.unix_ms() >= static_cast<std::uint64_t>(before));
        REQUIRE(id.unix_ms() <= static_cast<std::uint64_t>(after));
    }
}

TEST_CASE("ulid generator is strictly monotonic", "[ulid]") {
    ulid_generator gen;
    std::vector<ulid> ids;

    SECTION("many ids within one millisecond") {
        auto t = at_ms(k_upload_ms);
        for (int i = 0; i < 20000; ++i) ids.push_back(gen.next(t));
        require_strictly_increasing(ids);
        for (const auto& id : ids) REQUIRE(id.unix_ms() == k_upload_ms);
        std::set<std::string> distinct;
        for (const auto& id : ids) distinct.insert(id.to_string());
        REQUIRE(distinct.size() == ids.size());
    }
    SECTION("ids across milliseconds") {
        for (int ms = 0; ms < 50; ++ms)
            for (int i = 0; i < 40; ++i) ids.push_back(gen.next(at_ms(k_upload_ms + ms)));
        require_strictly_increasing(ids);
        REQUIRE(ids.back().unix_ms() == k_upload_ms + 49);
    }
    SECTION("the clock goes backwards") {
        ids.push_back(gen.next(at_ms(k_upload_ms)));
        ids.push_back(gen.next(at_ms(k_upload_ms - 1)));
        ids.push_back(gen.next(at_ms(k_upload_ms - 5000)));  // NTP stepped back 5 s
        for (int i = 0; i < 100; ++i) ids.push_back(gen.next(at_ms(k_upload_ms - 3000 + i)));
        ids.push_back(gen.next(at_ms(0)));
        require_strictly_increasing(ids);
        // While the clock is behind, ids keep the last timestamp seen.
        for (const auto& id : ids) REQUIRE(id.unix_ms() == k_upload_ms);
        // Once the clock is past it again, ids carry the new time.
        auto later = gen.next(at_ms(k_upload_ms + 1));
        REQUIRE(ids.back() < later);
        REQUIRE(later.unix_ms() == k_upload_ms + 1);
    }
    SECTION("the clock jumps back after many ids in one millisecond") {
        for (int i = 0; i < 1000; ++i) ids.push_back(gen.next(at_ms(k_upload_ms + 10)));
        for (int i = 0; i < 1000; ++i) ids.push_back(gen.next(at_ms(k_upload_ms + 5)));
        ids.push_back(gen.next(at_ms(k_upload_ms + 11)));
        require_strictly_increasing(ids);
    }
}

TEST_CASE("ulid generator is monotonic across threads", "[ulid]") {
    ulid_generator gen;
    constexpr int k_threads = 4;
    constexpr int k_per_thread = 2000;
    std::vector<std::vector<ulid>> per_thread(k_threads);
    {
        std::vector<std::thread> threads;
        for (int t = 0; t < k_threads; ++t) {
            threads.emplace_back([&gen, &per_thread, t] {
                auto now = at_ms(k_upload_ms);
                for (int i = 0; i < k_per_thread; ++i)
                    per_thread[static_cast<size_t>(t)].push_back(gen.next(now));
            });
        }
        for (auto& th : threads) th.join();
    }
    std::set<ulid> all;
    for (const auto& ids : per_thread) {
        require_strictly_increasing(ids);
        all.insert(ids.begin(), ids.end());
    }
    REQUIRE(all.size() == static_cast<size_t>(k_threads * k_per_thread));
}
