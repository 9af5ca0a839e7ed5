#include "storage/key_codec.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace kho::storage;

namespace {

// RocksDB's default comparator: unsigned bytes, shorter prefix first.
bool bytewise_less(std::string_view a, std::string_view b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
    });
}

std::string u32_key(std::uint32_t v) {
    std::string k;
    append_u32_be(k, v);
    return k;
}

std::string u64_key(std::uint64_t v) {
    std::string k;
    append_u64_be(k, v);
    return k;
}

// Random values of every magnitude (not only huge ones, which uniform
// 64-bit draws would give almost always).
std::uint64_t draw_u64(std::mt19937_64& rng) {
    auto v = rng();
    auto shift = static_cast<int>(rng() % 64);
    return v >> shift;
}

std::string bytes(std::initializer_list<int> list) {
    std::string s;
    for (int b : list) s += static_cast<char>(b);
    return s;
}

}  // namespace

TEST_CASE("big-endian integer encoding", "[key_codec]") {
    SECTION("u32 layout") {
        CHECK(u32_key(0) == bytes({0, 0, 0, 0}));
        CHECK(u32_key(1) == bytes({0, 0, 0, 1}));
        CHECK(u32_key(0x01020304) == bytes({1, 2, 3, 4}));
        CHECK(u32_key(0xffffffff) == bytes({0xff, 0xff, 0xff, 0xff}));
        CHECK(u32_key(256) == bytes({0, 0, 1, 0}));
    }
    SECTION("u64 layout") {
        CHECK(u64_key(0) == std::string(8, '\0'));
        CHECK(u64_key(0x0102030405060708ull) == bytes({1, 2, 3, 4, 5, 6, 7, 8}));
        CHECK(u64_key(std::numeric_limits<std::uint64_t>::max()) == std::string(8, '\xff'));
    }
    SECTION("appends to an existing key") {
        std::string key = "v";
        append_u32_be(key, 7);
        append_u64_be(key, 9);
        CHECK(key == "v" + bytes({0, 0, 0, 7}) + bytes({0, 0, 0, 0, 0, 0, 0, 9}));
        CHECK(read_u32_be(std::string_view(key).substr(1)) == 7);
        CHECK(read_u64_be(std::string_view(key).substr(5)) == 9);
    }
    SECTION("read back") {
        for (std::uint32_t v :
             {0u, 1u, 127u, 128u, 255u, 256u, 65535u, 0x80000000u, 0xfffffffeu, 0xffffffffu})
            CHECK(read_u32_be(u32_key(v)) == v);
        for (std::uint64_t v :
             {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0x7f}, std::uint64_t{0x80},
              std::uint64_t{0xffffffff}, std::uint64_t{0x100000000}, std::uint64_t{1764133332345},
              std::numeric_limits<std::uint64_t>::max()})
            CHECK(read_u64_be(u64_key(v)) == v);
    }
    SECTION("only the first 4 / 8 bytes are read") {
        CHECK(read_u32_be(u32_key(42) + "tail") == 42);
        CHECK(read_u64_be(u64_key(42) + "tail") == 42);
    }
}

TEST_CASE("encoded integers sort byte-wise in numeric order", "[key_codec][property]") {
    std::mt19937_64 rng(20251126);
    SECTION("u32") {
        for (int i = 0; i < 20000; ++i) {
            auto a = static_cast<std::uint32_t>(draw_u64(rng));
            auto b = static_cast<std::uint32_t>(draw_u64(rng));
            auto ka = u32_key(a);
            auto kb = u32_key(b);
            INFO(a << " vs " << b);
            REQUIRE(bytewise_less(ka, kb) == (a < b));
            REQUIRE(bytewise_less(kb, ka) == (b < a));
            REQUIRE((ka == kb) == (a == b));
            REQUIRE(read_u32_be(ka) == a);
        }
    }
    SECTION("u64") {
        for (int i = 0; i < 20000; ++i) {
            auto a = draw_u64(rng);
            auto b = draw_u64(rng);
            auto ka = u64_key(a);
            auto kb = u64_key(b);
            INFO(a << " vs " << b);
            REQUIRE(bytewise_less(ka, kb) == (a < b));
            REQUIRE(bytewise_less(kb, ka) == (b < a));
            REQUIRE(read_u64_be(ka) == a);
        }
    }
    SECTION("neighbours and byte carries") {
        for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{0xff}, std::uint64_t{0xffff},
                                std::uint64_t{0x7fffffff}, std::uint64_t{0xffffffff},
                                std::uint64_t{0x00ffffffffffffff}}) {
            REQUIRE(bytewise_less(u64_key(v), u64_key(v + 1)));
        }
        for (std::uint32_t v : {0u, 0xffu, 0xffffu, 0x7fffffffu, 0xfffffffeu})
            REQUIRE(bytewise_less(u32_key(v), u32_key(v + 1)));
    }
    SECTION("sorting keys sorts numbers") {
        std::vector<std::uint32_t> numbers;
        for (int i = 0; i < 2000; ++i) numbers.push_back(static_cast<std::uint32_t>(draw_u64(rng)));
        std::vector<std::string> keys;
        for (auto n : numbers) keys.push_back(u32_key(n));
        std::sort(keys.begin(), keys.end(), bytewise_less);
        std::sort(numbers.begin(), numbers.end());
        for (size_t i = 0; i < keys.size(); ++i) REQUIRE(read_u32_be(keys[i]) == numbers[i]);
    }
    SECTION("composite keys: an id then a version number") {
        const std::string id_a(16, '\x01');
        const std::string id_b(16, '\x02');
        std::vector<std::string> keys;
        for (auto id : {id_b, id_a})
            for (std::uint32_t n : {300u, 2u, 256u, 1u, 10u}) keys.push_back(id + u32_key(n));
        std::sort(keys.begin(), keys.end(), bytewise_less);
        std::vector<std::uint32_t> order;
        for (const auto& k : keys) order.push_back(read_u32_be(std::string_view(k).substr(16)));
        CHECK(order == std::vector<std::uint32_t>{1, 2, 10, 256, 300, 1, 2, 10, 256, 300});
        CHECK(keys.front().starts_with(id_a));
        CHECK(keys.back().starts_with(id_b));
    }
}

TEST_CASE("counter encoding", "[key_codec]") {
    SECTION("8 bytes little-endian") {
        CHECK(encode_counter(0) == std::string(8, '\0'));
        CHECK(encode_counter(1) == bytes({1, 0, 0, 0, 0, 0, 0, 0}));
        CHECK(encode_counter(0x0102) == bytes({2, 1, 0, 0, 0, 0, 0, 0}));
        CHECK(encode_counter(-1) == std::string(8, '\xff'));
        CHECK(encode_counter(std::numeric_limits<std::int64_t>::min()) ==
              bytes({0, 0, 0, 0, 0, 0, 0, 0x80}));
        CHECK(encode_counter(std::numeric_limits<std::int64_t>::max()) ==
              bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}));
    }
    SECTION("round trip including negatives") {
        for (std::int64_t v :
             {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{2}, std::int64_t{-2},
              std::int64_t{255}, std::int64_t{256}, std::int64_t{-256}, std::int64_t{2'457'600},
              std::int64_t{-2'457'600}, std::int64_t{5'000'000'000'000},
              std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
            INFO(v);
            CHECK(decode_counter(encode_counter(v)) == v);
        }
        std::mt19937_64 rng(71);
        for (int i = 0; i < 10000; ++i) {
            auto v = static_cast<std::int64_t>(rng());
            REQUIRE(decode_counter(encode_counter(v)) == v);
        }
    }
    SECTION("sums of decoded operands (what the merge operator does)") {
        std::int64_t total = 0;
        for (std::int64_t delta : {1, 1, -1, 5, -6, 3})
            total = decode_counter(encode_counter(total + delta));
        CHECK(total == 3);
    }
    SECTION("wrong size decodes as zero") {
        CHECK(decode_counter("") == 0);
        CHECK(decode_counter(bytes({1, 0, 0, 0})) == 0);
        CHECK(decode_counter(std::string(9, '\x01')) == 0);
    }
}

TEST_CASE("prefix_successor", "[key_codec]") {
    SECTION("examples") {
        CHECK(prefix_successor("abc") == "abd");
        CHECK(prefix_successor("a") == "b");
        CHECK(prefix_successor(bytes({0})) == bytes({1}));
        CHECK(prefix_successor(bytes({'t', 0x00})) == bytes({'t', 0x01}));
        CHECK(prefix_successor(bytes({0x01, 0xfe})) == bytes({0x01, 0xff}));
    }
    SECTION("trailing 0xff bytes are dropped and the byte before is incremented") {
        CHECK(prefix_successor(bytes({'a', 'b', 0xff})) == "ac");
        CHECK(prefix_successor(bytes({'a', 0xff, 0xff, 0xff})) == "b");
        CHECK(prefix_successor(bytes({0x00, 0xff})) == bytes({0x01}));
        CHECK(prefix_successor(bytes({0x7f, 0xff})) == bytes({0x80}));
        CHECK(prefix_successor(bytes({0xfe, 0xff, 0xff})) == bytes({0xff}));
    }
    SECTION("no successor") {
        CHECK(prefix_successor("") == "");
        CHECK(prefix_successor(bytes({0xff})) == "");
        CHECK(prefix_successor(std::string(16, '\xff')) == "");
    }
    SECTION("a 16-byte id prefix") {
        std::string id(16, '\x10');
        id[15] = '\xff';
        auto upper = prefix_successor(id);
        CHECK(upper.size() == 15);
        CHECK(upper.back() == '\x11');
    }
    SECTION("property: bounds exactly the keys with the prefix") {
        std::mt19937 rng(2025);
        auto random_string = [&](size_t max_len, bool favour_ff) {
            std::string s(rng() % (max_len + 1), '\0');
            for (auto& ch : s) {
                auto r = rng() % 4;
                ch = static_cast<char>(favour_ff && r == 0   ? 0xff
                                       : favour_ff && r == 1 ? 0x00
                                                             : rng() % 256);
            }
            return s;
        };
        for (int i = 0; i < 5000; ++i) {
            auto prefix = random_string(6, true);
            auto upper = prefix_successor(prefix);
            bool all_ff =
                std::all_of(prefix.begin(), prefix.end(), [](char c) { return c == '\xff'; });
            if (all_ff) {
                REQUIRE(upper.empty());
                continue;
            }
            REQUIRE(bytewise_less(prefix, upper));
            for (int j = 0; j < 20; ++j) {
                auto key = prefix + random_string(5, true);
                // Every key with the prefix is below the successor.
                REQUIRE(bytewise_less(key, upper));
                // Any other key above the prefix is at or above the successor.
                auto other = random_string(8, true);
                if (!other.starts_with(prefix) && bytewise_less(prefix, other)) {
                    INFO("prefix size " << prefix.size() << ", other size " << other.size());
                    REQUIRE_FALSE(bytewise_less(other, upper));
                }
            }
        }
    }
}
