#include "core/audience.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace kho;
using json = nlohmann::json;

namespace {
bool known(std::string_view code) {
    return code == "SGD-HN" || code == "SGD-HUE" || code == "THPT-CVA";
}
}  // namespace

TEST_CASE("audience: parsing", "[audience]") {
    SECTION("the issue's example: upper-secondary schools of two provinces") {
        auto a = parse_audience(
            json{{"provinces", {"Hà Nội", "Huế"}}, {"levels", {"upper_secondary"}}}, known);
        REQUIRE(a.has_value());
        CHECK(a->provinces == std::vector<std::string>{"Hà Nội", "Huế"});
        CHECK(a->levels == std::vector<education_level>{education_level::upper_secondary});
        CHECK_FALSE(a->all_units);
        CHECK(to_json(*a)["levels"] == json{"upper_secondary"});
    }
    SECTION("duplicates and spaces are cleaned") {
        auto a = parse_audience(json{{"provinces", {" Huế", "Huế "}}, {"press", true}}, known);
        REQUIRE(a.has_value());
        CHECK(a->provinces == std::vector<std::string>{"Huế"});
        CHECK(a->press);
    }
    SECTION("bad audiences") {
        for (const json& bad : {json::array(), json{{"all_units", "yes"}},
                                json{{"provinces", "Hà Nội"}}, json{{"provinces", {1}}},
                                json{{"levels", {"university"}}}, json{{"levels", {""}}},
                                json{{"units", {"KHONG-CO"}}}, json{{"colour", "đỏ"}},
                                json::object(), json{{"press", false}},
                                json{{"all_units", true}, {"provinces", {"Huế"}}}}) {
            INFO(bad.dump());
            auto a = parse_audience(bad, known);
            REQUIRE_FALSE(a.has_value());
            CHECK(a.error().code == errc::invalid_parameter);
        }
    }
    SECTION("press only is an audience") {
        CHECK(parse_audience(json{{"press", true}}, known).has_value());
    }
}

TEST_CASE("audience: targeting", "[audience]") {
    unit_position cva{"THPT-CVA", "Hà Nội", education_level::upper_secondary, {"SGD-HN", "BGDDT"}};
    audience a;
    CHECK_FALSE(targets(a, cva));  // nobody
    a.all_units = true;
    CHECK(targets(a, cva));
    a = audience{};
    a.provinces = {"ha noi"};  // diacritic- and case-insensitive
    CHECK(targets(a, cva));
    a.levels = {education_level::primary};
    CHECK_FALSE(targets(a, cva));
    a = audience{};
    a.units = {"BGDDT"};  // the whole tree under the Ministry
    CHECK(targets(a, cva));
}

TEST_CASE("audience: window bounds", "[audience]") {
    // A date means that day in Vietnam (UTC+7): from its start, until its end.
    auto from = parse_window_bound("2026-12-01", false);
    auto until = parse_window_bound("2027-03-31", true);
    REQUIRE(from.has_value());
    REQUIRE(until.has_value());
    CHECK(*from == *parse_rfc3339("2026-11-30T17:00:00Z"));
    CHECK(*until == *parse_rfc3339("2027-03-31T17:00:00Z"));
    validity_window w{*from, *until};
    CHECK_FALSE(w.contains(*from - 1000));
    CHECK(w.contains(*from));
    CHECK(w.contains(*until - 1000));
    CHECK_FALSE(w.contains(*until));
    CHECK(parse_window_bound("2026-12-01T08:00:00+07:00", false).value() ==
          *parse_rfc3339("2026-12-01T01:00:00Z"));
    for (auto bad : {"", "2026-13-01", "2026-02-30", "01/12/2026", "2026-12-01T25:00:00Z",
                     "2026-12-01T10:00:00", "tomorrow"}) {
        INFO(bad);
        CHECK_FALSE(parse_window_bound(bad, false).has_value());
    }
    CHECK(validity_window{}.contains(0));
}
