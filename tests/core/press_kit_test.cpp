// Press kit input and status: what a create or PATCH body may say, and when
// a kit is out, to the millisecond.

#include "core/press_kit.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using json = nlohmann::json;
using namespace kho;

namespace {

const std::string asset_id = "01M8BP8SA89534FJ4VESRSV56S";

json valid() {
    return {{"title", "Thông cáo báo chí"},
            {"release", "# Tiêu đề\n\nNội dung"},
            {"contact", "Vụ Truyền thông"},
            {"items", json::array({{{"asset", asset_id}, {"version", 2}, {"file", "web"}, {"caption", "Ảnh"}, {"credit", "Bộ GDĐT"}}})},
            {"embargo_until", "2026-12-01T08:00:00+07:00"},
            {"expires_at", "2027-03-31T00:00:00+07:00"}};
}

}  // namespace

TEST_CASE("press_kit: a valid body becomes a kit", "[press]") {
    auto in = parse_press_kit_input(valid());
    REQUIRE(in.has_value());
    auto kit = apply_input(press_kit{}, *in, true);
    REQUIRE(kit.has_value());
    CHECK(kit->title == "Thông cáo báo chí");
    REQUIRE(kit->items.size() == 1);
    CHECK(kit->items[0].asset.to_string() == asset_id);
    CHECK(kit->items[0].version == 2);
    CHECK(kit->items[0].file == "web");
    CHECK(*kit->embargo_until == *parse_rfc3339("2026-12-01T01:00:00Z"));
    // The record codec keeps everything.
    auto back = decode_press_kit_record(encode_record(*kit));
    REQUIRE(back.has_value());
    CHECK(back->items[0].credit == "Bộ GDĐT");
    CHECK(back->expires_at == kit->expires_at);
    // A PATCH with null clears a date; absent fields stay.
    auto patch = parse_press_kit_input(json{{"embargo_until", nullptr}});
    REQUIRE(patch.has_value());
    auto cleared = apply_input(*kit, *patch, false);
    REQUIRE(cleared.has_value());
    CHECK_FALSE(cleared->embargo_until.has_value());
    CHECK(cleared->title == kit->title);
}

TEST_CASE("press_kit: each malformed field is refused by name", "[press]") {
    const std::vector<std::pair<std::string, json>> cases = {
        {"title", 7},
        {"title", std::string(301, 'a')},
        {"release", std::string("a\x01", 2)},
        {"release", std::string(200001, 'a')},
        {"contact", "\xff\xfe"},
        {"items", json::object()},
        {"items", json::array({1})},
        {"items", json::array({{{"asset", "x"}, {"version", 1}}})},
        {"items", json::array({{{"asset", asset_id}}})},
        {"items", json::array({{{"asset", asset_id}, {"version", -1}}})},
        {"items", json::array({{{"asset", asset_id}, {"version", 1}, {"file", "../x"}}})},
        {"items", json::array({{{"asset", asset_id}, {"version", 1}, {"extra", 1}}})},
        {"embargo_until", "2026-12-01"},
        {"expires_at", 12},
        {"unknown", true},
    };
    for (const auto& [field, value] : cases) {
        auto body = valid();
        body[field] = value;
        INFO(field << " = " << value.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 60));
        auto in = parse_press_kit_input(body);
        REQUIRE_FALSE(in.has_value());
        CHECK(in.error().code == errc::invalid_parameter);
    }
    json many = valid();
    many["items"] = json::array();
    for (int i = 0; i < 1001; ++i) many["items"].push_back({{"asset", asset_id}, {"version", 1}});
    CHECK_FALSE(parse_press_kit_input(many).has_value());
    // Expiry before embargo; a create without a title.
    auto backwards = valid();
    backwards["expires_at"] = "2026-11-30T00:00:00Z";
    auto in = parse_press_kit_input(backwards);
    REQUIRE(in.has_value());
    CHECK_FALSE(apply_input(press_kit{}, *in, true).has_value());
    auto untitled = valid();
    untitled.erase("title");
    in = parse_press_kit_input(untitled);
    REQUIRE(in.has_value());
    CHECK_FALSE(apply_input(press_kit{}, *in, true).has_value());
}

TEST_CASE("press_kit: embargoed, released, expired to the millisecond", "[press]") {
    press_kit k;
    k.embargo_until = 1'000'000;
    k.expires_at = 2'000'000;
    CHECK(status_at(k, 999'999) == press_kit_status::embargoed);
    CHECK(status_at(k, 1'000'000) == press_kit_status::released);
    CHECK(status_at(k, 1'999'999) == press_kit_status::released);
    CHECK(status_at(k, 2'000'000) == press_kit_status::expired);
    CHECK(press_kit_released(k.facts(), 1'000'000));
    CHECK_FALSE(press_kit_released(k.facts(), 2'000'000));
    press_kit open;
    CHECK(status_at(open, 0) == press_kit_status::released);
}
