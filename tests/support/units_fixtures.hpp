#pragma once
// Unit data for tests: Vietnam's 34 provincial-level units (since 1 July
// 2025) and a shorthand to build a unit.

#include "core/unit.hpp"

#include <string>
#include <vector>

namespace kho::test {

inline const std::vector<std::string> k_provinces = {
    "Hà Nội",      "Huế",         "Hải Phòng", "Đà Nẵng",    "Thành phố Hồ Chí Minh",
    "Cần Thơ",     "Tuyên Quang", "Cao Bằng",  "Lai Châu",   "Lào Cai",
    "Thái Nguyên", "Điện Biên",   "Lạng Sơn",  "Sơn La",     "Phú Thọ",
    "Bắc Ninh",    "Quảng Ninh",  "Hưng Yên",  "Ninh Bình",  "Thanh Hóa",
    "Nghệ An",     "Hà Tĩnh",     "Quảng Trị", "Quảng Ngãi", "Gia Lai",
    "Khánh Hòa",   "Lâm Đồng",    "Đắk Lắk",   "Đồng Nai",   "Tây Ninh",
    "Vĩnh Long",   "Đồng Tháp",   "Cà Mau",    "An Giang",
};

inline unit make_unit(std::string code, std::string name, std::string parent = {},
                      std::string province = {},
                      education_level level = education_level::none) {
    unit u;
    u.code = std::move(code);
    u.name = std::move(name);
    u.parent_code = std::move(parent);
    u.province = std::move(province);
    u.level = level;
    return u;
}

}  // namespace kho::test
