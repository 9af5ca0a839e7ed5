#include "core/unit.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>

using kho::education_level;
using kho::errc;
using kho::unit;

namespace {

// 2025-11-26T05:02:12.345Z
constexpr kho::unix_ms k_time = 1764133332345;

unit school() {
    unit u;
    u.code = "THPT-CHU-VAN-AN";
    u.name = "Trường THPT Chu Văn An";
    u.parent_code = "SGD-HN";
    u.province = "Hà Nội";
    u.level = education_level::upper_secondary;
    u.created_at = k_time;
    u.updated_at = k_time + 1000;
    return u;
}

unit ministry() {
    unit u;
    u.code = "BGDDT";
    u.name = "Bộ Giáo dục và Đào tạo";
    u.created_at = u.updated_at = k_time;
    return u;
}

errc invalid_code(const unit& u) {
    auto r = kho::validate(u);
    REQUIRE_FALSE(r.has_value());
    return r.error().code;
}

}  // namespace

TEST_CASE("education levels round-trip through their codes", "[units]") {
    const auto& all = kho::all_education_levels();
    REQUIRE(all.size() == 7);
    CHECK(all.front() == education_level::preschool);
    CHECK(all.back() == education_level::higher);
    for (auto l : all) {
        auto code = kho::to_string(l);
        CHECK_FALSE(code.empty());
        auto parsed = kho::parse_education_level(code);
        REQUIRE(parsed.has_value());
        CHECK(*parsed == l);
    }
    CHECK(kho::to_string(education_level::none).empty());
    CHECK(kho::parse_education_level("").value() == education_level::none);
    CHECK(kho::to_string(education_level::lower_secondary) == "lower_secondary");
}

TEST_CASE("an unknown education level is refused with the allowed codes", "[units]") {
    for (const char* bad : {"THPT", "Upper_Secondary", "none", "trung học phổ thông", " primary"}) {
        auto r = kho::parse_education_level(bad);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::invalid_parameter);
        CHECK(r.error().detail.find("upper_secondary") != std::string::npos);
    }
}

TEST_CASE("validate trims name and province and keeps the rest", "[units]") {
    unit u = school();
    u.name = "  Trường THPT Chu Văn An\t";
    u.province = " Hà Nội ";
    auto v = kho::validate(u);
    REQUIRE(v.has_value());
    CHECK(v->name == "Trường THPT Chu Văn An");
    CHECK(v->province == "Hà Nội");
    CHECK(v->code == "THPT-CHU-VAN-AN");
    CHECK(v->parent_code == "SGD-HN");
    CHECK(v->level == education_level::upper_secondary);

    CHECK(kho::validate(ministry()).has_value());  // root: no parent, no province
}

TEST_CASE("validate checks the code's alphabet and length", "[units]") {
    unit u = ministry();
    u.code = std::string(64, 'A');
    CHECK(kho::validate(u).has_value());
    u.code = "sgd_hcm.01-a";
    CHECK(kho::validate(u).has_value());

    for (std::string bad : {std::string(), std::string(65, 'A'), std::string("SGD HN"),
                            std::string("SGĐ-HN"), std::string("SGD/HN"), std::string("SGD,HN")}) {
        u.code = bad;
        CAPTURE(bad);
        CHECK(invalid_code(u) == errc::invalid_parameter);
    }
    u.code = "SGD HN";
    auto r = kho::validate(u);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().detail.find("code \"SGD HN\"") != std::string::npos);
}

TEST_CASE("validate checks parent_code", "[units]") {
    unit u = school();
    u.parent_code = "SGD HN";
    auto r = kho::validate(u);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().detail.find("parent_code \"SGD HN\"") != std::string::npos);

    u.parent_code = u.code;
    r = kho::validate(u);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::invalid_parameter);
    CHECK(r.error().detail.find("own parent") != std::string::npos);
}

TEST_CASE("validate checks name and province text", "[units]") {
    unit u = school();
    u.name = "   ";
    auto r = kho::validate(u);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().detail == "name must not be empty");

    u.name = std::string(300, 'a');
    CHECK(kho::validate(u).has_value());
    u.name = std::string(301, 'a');
    r = kho::validate(u);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().detail.find("longer than 300 bytes") != std::string::npos);

    u.name = "Trường\x01THPT";
    r = kho::validate(u);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().detail.find("control characters") != std::string::npos);

    u.name = "Tr\xC6\xB0\xE1\xBB";  // "Trư" and a cut-off "ờ"
    r = kho::validate(u);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().detail.find("not valid UTF-8") != std::string::npos);
    // The message itself is valid UTF-8, so it can go into JSON.
    CHECK_NOTHROW(nlohmann::json(r.error().detail).dump());

    u = school();
    u.province = std::string(101, 'x');
    r = kho::validate(u);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().detail.find("province") == 0);
    u.province = std::string(100, 'x');
    CHECK(kho::validate(u).has_value());
}

TEST_CASE("the storage record is compact JSON with integer times and round-trips", "[units]") {
    for (const auto& u : {school(), ministry()}) {
        auto bytes = kho::encode_record(u);
        CHECK(bytes.find('\n') == std::string::npos);
        CHECK(bytes.find(": ") == std::string::npos);
        auto j = nlohmann::json::parse(bytes);
        CHECK(j.at("created_at").is_number_integer());
        CHECK(j.at("updated_at").get<kho::unix_ms>() == u.updated_at);

        auto back = kho::decode_unit_record(bytes);
        REQUIRE(back.has_value());
        CHECK(back->code == u.code);
        CHECK(back->name == u.name);
        CHECK(back->parent_code == u.parent_code);
        CHECK(back->province == u.province);
        CHECK(back->level == u.level);
        CHECK(back->created_at == u.created_at);
        CHECK(back->updated_at == u.updated_at);
    }
}

TEST_CASE("a corrupt unit record is an internal error", "[units]") {
    for (const char* bad : {"", "{", "[]", R"({"code":"A"})",
                            R"({"code":"A","name":"B","parent_code":"","province":"","level":"x",)"
                            R"("created_at":1,"updated_at":1})"}) {
        auto r = kho::decode_unit_record(bad);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::internal);
    }
}

TEST_CASE("the API view has RFC 3339 times and nulls for root and no level", "[units]") {
    auto j = kho::to_api_json(school());
    CHECK(j.at("code") == "THPT-CHU-VAN-AN");
    CHECK(j.at("name") == "Trường THPT Chu Văn An");
    CHECK(j.at("parent_code") == "SGD-HN");
    CHECK(j.at("province") == "Hà Nội");
    CHECK(j.at("level") == "upper_secondary");
    CHECK(j.at("created_at") == "2025-11-26T05:02:12.345Z");
    CHECK(j.at("updated_at") == "2025-11-26T05:02:13.345Z");
    CHECK(j.size() == 7);

    auto root = kho::to_api_json(ministry());
    CHECK(root.at("parent_code").is_null());
    CHECK(root.at("level").is_null());
    CHECK(root.at("province") == "");
}
