#include "api/byte_range.hpp"

#include <catch2/catch.hpp>

#include <string>

using kho::api::byte_range;
using kho::api::evaluate_range;
using kind = kho::api::range_result::kind;

namespace {

std::vector<byte_range> partial(std::string_view header, std::uint64_t size) {
    auto r = evaluate_range(header, size);
    REQUIRE(r.outcome == kind::partial);
    return r.ranges;
}

using ranges = std::vector<byte_range>;

}  // namespace

TEST_CASE("single byte ranges", "[range]") {
    SECTION("first byte") {
        REQUIRE(partial("bytes=0-0", 10000) == ranges{{0, 0}});
    }
    SECTION("explicit range") {
        REQUIRE(partial("bytes=500-999", 10000) == ranges{{500, 999}});
    }
    SECTION("open ended") {
        REQUIRE(partial("bytes=0-", 10000) == ranges{{0, 9999}});
    }
    SECTION("open ended from the middle") {
        REQUIRE(partial("bytes=9500-", 10000) == ranges{{9500, 9999}});
    }
    SECTION("suffix") {
        REQUIRE(partial("bytes=-500", 10000) == ranges{{9500, 9999}});
    }
    SECTION("suffix longer than the representation") {
        REQUIRE(partial("bytes=-20000", 10000) == ranges{{0, 9999}});
    }
    SECTION("last beyond the end is clamped") {
        REQUIRE(partial("bytes=9000-20000", 10000) == ranges{{9000, 9999}});
    }
    SECTION("last byte only") {
        REQUIRE(partial("bytes=9999-9999", 10000) == ranges{{9999, 9999}});
    }
    SECTION("unit is case-insensitive") {
        REQUIRE(partial("Bytes=0-1", 10) == ranges{{0, 1}});
    }
    SECTION("length") {
        REQUIRE(byte_range{500, 999}.length() == 500);
    }
}

TEST_CASE("unsatisfiable ranges", "[range]") {
    SECTION("first at the end") {
        REQUIRE(evaluate_range("bytes=10000-", 10000).outcome == kind::unsatisfiable);
    }
    SECTION("first beyond the end") {
        auto r = evaluate_range("bytes=20000-30000", 10000);
        REQUIRE(r.outcome == kind::unsatisfiable);
        REQUIRE(r.ranges.empty());
    }
    SECTION("zero-length suffix") {
        REQUIRE(evaluate_range("bytes=-0", 10000).outcome == kind::unsatisfiable);
    }
    SECTION("zero-size representation") {
        REQUIRE(evaluate_range("bytes=0-0", 0).outcome == kind::unsatisfiable);
        REQUIRE(evaluate_range("bytes=0-", 0).outcome == kind::unsatisfiable);
        REQUIRE(evaluate_range("bytes=-5", 0).outcome == kind::unsatisfiable);
    }
    SECTION("unsatisfiable ranges are dropped when another remains") {
        REQUIRE(partial("bytes=20000-, 0-9, -0", 10000) == ranges{{0, 9}});
    }
}

TEST_CASE("multiple ranges", "[range]") {
    SECTION("with optional whitespace, kept apart and sorted") {
        REQUIRE(partial("bytes=500-600 ,\t100-200,  9000-", 10000) ==
                ranges{{100, 200}, {500, 600}, {9000, 9999}});
    }
    SECTION("overlapping ranges are refused") {
        REQUIRE(evaluate_range("bytes=0-499,200-999,950-1100", 10000).outcome == kind::refused);
        REQUIRE(evaluate_range("bytes=0-0,0-0", 10000).outcome == kind::refused);
        REQUIRE(evaluate_range("bytes=0-", 10000).outcome == kind::partial);
    }
    SECTION("adjacent ranges are coalesced") {
        REQUIRE(partial("bytes=10-19,0-9,20-29", 10000) == ranges{{0, 29}});
    }
    SECTION("a contained range is an overlap: refused") {
        REQUIRE(evaluate_range("bytes=0-999,100-200", 10000).outcome == kind::refused);
    }
    SECTION("a suffix overlapping an explicit range is refused") {
        REQUIRE(evaluate_range("bytes=-100,9800-9950", 10000).outcome == kind::refused);
        // Clamped past the end, two ranges can meet only there.
        REQUIRE(evaluate_range("bytes=9990-20000,9995-", 10000).outcome == kind::refused);
    }
    SECTION("a gap of one byte keeps ranges apart") {
        REQUIRE(partial("bytes=0-9,11-20", 10000) == ranges{{0, 9}, {11, 20}});
    }
}

TEST_CASE("ignored Range headers", "[range]") {
    auto ignored = [](std::string_view header) {
        auto r = evaluate_range(header, 10000);
        return r.outcome == kind::full && r.ranges.empty();
    };
    SECTION("unknown unit") {
        REQUIRE(ignored("items=0-5"));
        REQUIRE(ignored("bytesx=0-5"));
        REQUIRE(ignored("bytes 0-5"));
    }
    SECTION("syntax errors") {
        REQUIRE(ignored(""));
        REQUIRE(ignored("bytes="));
        REQUIRE(ignored("bytes"));
        REQUIRE(ignored("bytes=5-2"));
        REQUIRE(ignored("bytes=abc"));
        REQUIRE(ignored("bytes=-"));
        REQUIRE(ignored("bytes=1"));
        REQUIRE(ignored("bytes=1-2-3"));
        REQUIRE(ignored("bytes=1-2,,"));
        REQUIRE(ignored("bytes=1-2,"));
        REQUIRE(ignored("bytes=,1-2"));
        REQUIRE(ignored("bytes=+1-2"));
        REQUIRE(ignored("bytes=1 -2"));
        REQUIRE(ignored("bytes=0-5, x"));
        REQUIRE(ignored("bytes=--5"));
    }
    SECTION("numbers that overflow uint64") {
        REQUIRE(ignored("bytes=0-18446744073709551616"));
        REQUIRE(ignored("bytes=18446744073709551616-"));
        REQUIRE(ignored("bytes=-99999999999999999999999"));
    }
    SECTION("the largest uint64 is still a number") {
        REQUIRE(partial("bytes=0-18446744073709551615", 10) == ranges{{0, 9}});
        REQUIRE(partial("bytes=-18446744073709551615", 10) == ranges{{0, 9}});
    }
    SECTION("more than 16 ranges are refused") {
        std::string header = "bytes=0-0";
        for (int i = 1; i < 16; ++i)
            header += "," + std::to_string(i * 2) + "-" + std::to_string(i * 2);
        REQUIRE(evaluate_range(header, 10000).ranges.size() == 16);
        REQUIRE(evaluate_range(header + ",100-100", 10000).outcome == kind::refused);
        REQUIRE(evaluate_range("bytes=0-0,2-2,4-4", 10000, 2).outcome == kind::refused);
    }
}
