#pragma once
// Helpers for integration tests about people: sign in, create users and
// units through the real API, check problem+json answers.

#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

namespace kho::test {

// Every test user gets this password (long passphrases with diacritics are
// what people here use).
inline constexpr const char* user_password = "Thầy ra thầy, trò ra trò 2026";

inline header_fields bearer(const std::string& token, header_fields extra = {}) {
    extra.emplace_back("Authorization", "Bearer " + token);
    return extra;
}

inline nlohmann::json json_of(const http_response& r) {
    return nlohmann::json::parse(r.body);
}

inline void check_problem(const http_response& r, int status, const std::string& code) {
    INFO(r.status << " " << r.body);
    REQUIRE(r.status == status);
    REQUIRE(r.header("Content-Type").value_or("") == "application/problem+json");
    auto j = json_of(r);
    CHECK(j["status"] == status);
    CHECK(j["code"] == code);
    CHECK_FALSE(j["detail"].get<std::string>().empty());
}

inline http_response sign_in(http_client& c, const std::string& user, const std::string& password,
                             header_fields extra = {}) {
    return c.request("POST", "/api/v1/sessions", extra,
                     nlohmann::json{{"username", user}, {"password", password}}.dump());
}

// Signs in and returns the session token.
inline std::string session_for(http_client& c, const std::string& user,
                               const std::string& password = user_password) {
    auto r = sign_in(c, user, password);
    INFO(r.body);
    REQUIRE(r.status == 201);
    return json_of(r)["token"].get<std::string>();
}

// Creates a user (as the test admin) and returns its id.
inline std::string create_user(http_client& c, const std::string& username,
                               const std::string& display_name, const std::string& role,
                               const std::string& unit = "") {
    nlohmann::json body{{"username", username},
                        {"display_name", display_name},
                        {"role", role},
                        {"password", user_password},
                        {"must_change_password", false}};
    if (!unit.empty()) body["unit"] = unit;
    auto r = c.request("POST", "/api/v1/users", auth(), body.dump());
    INFO(r.body);
    REQUIRE(r.status == 201);
    return json_of(r)["id"].get<std::string>();
}

// The Ministry, three provincial departments and four schools.
inline const char* sample_units_csv =
    "code,name,parent_code,province,level\r\n"
    "BGDDT,Bộ Giáo dục và Đào tạo,,,\r\n"
    "SGD-HN,Sở GDĐT Hà Nội,BGDDT,Hà Nội,\r\n"
    "SGD-HUE,Sở GDĐT Huế,BGDDT,Huế,\r\n"
    "SGD-CT,Sở GDĐT Cần Thơ,BGDDT,Cần Thơ,\r\n"
    "THPT-CVA,Trường THPT Chu Văn An,SGD-HN,Hà Nội,upper_secondary\r\n"
    "THPT-QH,Trường THPT Quốc Học,SGD-HUE,Huế,upper_secondary\r\n"
    "TH-VD,Trường Tiểu học Vĩnh Ninh,SGD-HUE,Huế,primary\r\n"
    "THPT-CVL,Trường THPT Châu Văn Liêm,SGD-CT,Cần Thơ,upper_secondary\r\n";

inline void import_sample_units(http_client& c) {
    auto r = c.request("POST", "/api/v1/units/import", auth({{"Content-Type", "text/csv"}}),
                       sample_units_csv);
    INFO(r.body);
    REQUIRE(r.status == 200);
}

}  // namespace kho::test
