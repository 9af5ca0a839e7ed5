#include "core/units_csv.hpp"
#include "tests/support/units_fixtures.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using kho::csv_row_error;
using kho::education_level;
using kho::unit;
using kho::units_csv_parse;

namespace {

const std::string k_bom = "\xEF\xBB\xBF";

using kho::test::k_provinces;
using kho::test::make_unit;

// Errors as "line: message" lines, for readable failures.
std::string describe(const std::vector<csv_row_error>& errors) {
    std::string out;
    for (const auto& e : errors) out += std::to_string(e.line) + ": " + e.message + "\n";
    return out;
}

const csv_row_error* error_on(const units_csv_parse& p, std::size_t line) {
    for (const auto& e : p.errors)
        if (e.line == line) return &e;
    return nullptr;
}

bool mentions(const csv_row_error* e, const std::string& text) {
    return e != nullptr && e->message.find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("CSV with a BOM and CRLF line ends", "[units]") {
    std::string csv = k_bom +
                      "code,name,parent_code,province,level\r\n"
                      "BGDDT,Bộ Giáo dục và Đào tạo,,,\r\n"
                      "SGD-HN,Sở GDĐT Hà Nội,BGDDT,Hà Nội,\r\n"
                      "THPT-CHU-VAN-AN,Trường THPT Chu Văn An,SGD-HN,Hà Nội,upper_secondary\r\n";
    auto p = kho::parse_units_csv(csv);
    INFO(describe(p.errors));
    REQUIRE(p.errors.empty());
    REQUIRE(p.rows.size() == 3);
    CHECK(p.rows[0].line == 2);
    CHECK(p.rows[0].u.code == "BGDDT");
    CHECK(p.rows[0].u.name == "Bộ Giáo dục và Đào tạo");
    CHECK(p.rows[0].u.parent_code.empty());
    CHECK(p.rows[1].u.province == "Hà Nội");
    CHECK(p.rows[2].line == 4);
    CHECK(p.rows[2].u.level == education_level::upper_secondary);
    CHECK(p.rows[2].u.parent_code == "SGD-HN");
}

TEST_CASE("CSV without a BOM, with LF or CR line ends and no final line end", "[units]") {
    for (std::string eol : {"\n", "\r"}) {
        std::string csv = "code,name,parent_code\n" + std::string("BGDDT,Bộ Giáo dục và Đào tạo,") +
                          eol + "SGD-DN,Sở GDĐT Đà Nẵng,BGDDT";
        csv.replace(csv.find('\n'), 1, eol);
        auto p = kho::parse_units_csv(csv);
        INFO(describe(p.errors));
        REQUIRE(p.errors.empty());
        REQUIRE(p.rows.size() == 2);
        CHECK(p.rows[1].line == 3);
        CHECK(p.rows[1].u.name == "Sở GDĐT Đà Nẵng");
    }
}

TEST_CASE("CSV header names columns in any order and any case", "[units]") {
    std::string csv =
        "Level, NAME ,Code,Province,PARENT_CODE\n"
        "preschool,Trường Mầm non Hoa Sen,MN-HOA-SEN,Cần Thơ,SGD-CT\n";
    auto p = kho::parse_units_csv(csv);
    INFO(describe(p.errors));
    REQUIRE(p.rows.size() == 1);
    const auto& u = p.rows[0].u;
    CHECK(u.code == "MN-HOA-SEN");
    CHECK(u.name == "Trường Mầm non Hoa Sen");
    CHECK(u.parent_code == "SGD-CT");
    CHECK(u.province == "Cần Thơ");
    CHECK(u.level == education_level::preschool);

    // Optional columns may be absent.
    p = kho::parse_units_csv("name,code\nBộ Giáo dục và Đào tạo,BGDDT\n");
    REQUIRE(p.rows.size() == 1);
    CHECK(p.rows[0].u.parent_code.empty());
    CHECK(p.rows[0].u.province.empty());
    CHECK(p.rows[0].u.level == education_level::none);
}

TEST_CASE("CSV quoted fields keep commas and quotes, line numbers count quoted line breaks",
          "[units]") {
    std::string csv =
        "code,name,parent_code,province,level\r\n"
        "BGDDT,\"Bộ Giáo dục và Đào tạo\",,,\r\n"
        "THPT-LQD,\"Trường THPT chuyên \"\"Lê Quý Đôn\"\", Đà Nẵng\",SGD-DN,\"Đà Nẵng\","
        "upper_secondary\r\n"
        "THCS-NT,\"Trường THCS\r\nNguyễn Trãi\",SGD-HD,\"Hải\nPhòng\",lower_secondary\r\n"
        "TH-KD,\"Trường Tiểu học\n\nKim Đồng\",SGD-HN,Hà Nội,primary\r\n"
        "GDTX-HT,Trung tâm GDTX Hà Tĩnh,SGD-HT,Hà Tĩnh,continuing\r\n"
        "BROKEN,,SGD-HT,Hà Tĩnh,\r\n";
    auto p = kho::parse_units_csv(csv);
    INFO(describe(p.errors));
    REQUIRE(p.rows.size() == 5);
    CHECK(p.rows[1].u.name == "Trường THPT chuyên \"Lê Quý Đôn\", Đà Nẵng");
    CHECK(p.rows[1].line == 3);
    // A line break inside a name or province (Alt+Enter in Excel) is a space.
    CHECK(p.rows[2].u.name == "Trường THCS Nguyễn Trãi");
    CHECK(p.rows[2].u.province == "Hải Phòng");
    CHECK(p.rows[2].line == 4);
    CHECK(p.rows[3].u.name == "Trường Tiểu học  Kim Đồng");
    CHECK(p.rows[3].line == 7);
    CHECK(p.rows[4].line == 10);
    CHECK(p.rows[4].u.level == education_level::continuing);
    // The record after three multi-line records is reported on its own line.
    REQUIRE(p.errors.size() == 1);
    CHECK(p.errors[0].line == 11);
    CHECK(mentions(&p.errors[0], "name must not be empty"));
}

TEST_CASE("CSV blank lines are skipped without shifting line numbers", "[units]") {
    std::string csv =
        "\r\n"
        "code,name,parent_code\r\n"
        "\r\n"
        "BGDDT,Bộ Giáo dục và Đào tạo,\r\n"
        ",,\r\n"
        "   \r\n"
        "SGD-HUE,Sở GDĐT Huế,BGDDT\r\n"
        "\r\n";
    auto p = kho::parse_units_csv(csv);
    INFO(describe(p.errors));
    REQUIRE(p.errors.empty());
    REQUIRE(p.rows.size() == 2);
    CHECK(p.rows[0].line == 4);
    CHECK(p.rows[1].line == 7);
}

TEST_CASE("CSV header errors are reported on line 1", "[units]") {
    SECTION("empty file") {
        for (std::string csv : {std::string(), k_bom, std::string("\r\n\r\n")}) {
            auto p = kho::parse_units_csv(csv);
            REQUIRE(p.errors.size() == 1);
            CHECK(p.errors[0].line == 1);
            CHECK(mentions(&p.errors[0], "empty"));
        }
    }
    SECTION("unknown column") {
        auto p = kho::parse_units_csv("code,name,tỉnh\nBGDDT,Bộ GDĐT,Hà Nội\n");
        REQUIRE(p.errors.size() == 1);
        CHECK(p.errors[0].line == 1);
        CHECK(mentions(&p.errors[0], "unknown column \"tỉnh\""));
        CHECK(p.rows.empty());
    }
    SECTION("duplicate column") {
        auto p = kho::parse_units_csv("code,name,Code\n");
        REQUIRE(p.errors.size() == 1);
        CHECK(p.errors[0].line == 1);
        CHECK(mentions(&p.errors[0], "\"code\" twice"));
    }
    SECTION("missing required column") {
        auto p = kho::parse_units_csv("code,province\nSGD-HN,Hà Nội\n");
        REQUIRE(p.errors.size() == 1);
        CHECK(mentions(&p.errors[0], "no \"name\" column"));
    }
    SECTION("a header alone is a file with no units") {
        auto p = kho::parse_units_csv(k_bom + "code,name,parent_code,province,level\r\n");
        CHECK(p.errors.empty());
        CHECK(p.rows.empty());
    }
}

TEST_CASE("CSV reports every bad row with its line and keeps the good ones", "[units]") {
    std::string csv = k_bom +
                      "code,name,parent_code,province,level\r\n"             // 1
                      "BGDDT,Bộ Giáo dục và Đào tạo,,,\r\n"                  // 2
                      "SGD-HN,Sở GDĐT Hà Nội,BGDDT,Hà Nội\r\n"               // 3 too few
                      "SGD-HP,Sở GDĐT Hải Phòng,BGDDT,Hải Phòng,,extra\r\n"  // 4 too many
                      "SGD-CB,S\xE1\xBB GDĐT Cao Bằng,BGDDT,Cao Bằng,\r\n"   // 5 UTF-8
                      "SGD LC,Sở GDĐT Lai Châu,BGDDT,Lai Châu,\r\n"          // 6 code
                      "THPT-A,Trường THPT A,SGD-HN,Hà Nội,THPT\r\n"          // 7 level
                      "SGD-QN,,BGDDT,Quảng Ninh,\r\n"                        // 8 name
                      "SGD-PT,Sở GDĐT Phú Thọ,SGD-PT,Phú Thọ,\r\n"           // 9 own parent
                      "SGD-HUE,Sở GDĐT Huế,BGDDT,Huế,\r\n"                   // 10 ok
                      "SGD-HUE,Sở GDĐT Thừa Thiên Huế,BGDDT,Huế,\r\n"        // 11 dup
                      "SGD-NA,\"Sở GDĐT \"Nghệ\" An\",BGDDT,Nghệ An,\r\n"    // 12 after quote
                      "SGD-GL,Sở GDĐT Gia Lai,BGDDT,Gia Lai,\r\n"            // 13 ok
                      "SGD-KH,\"Sở GDĐT Khánh Hòa,BGDDT,Khánh Hòa,\r\n"      // 14 unterminated
                      "SGD-LD,Sở GDĐT Lâm Đồng,BGDDT,Lâm Đồng,\r\n";         // (in the quote)
    auto p = kho::parse_units_csv(csv);
    INFO(describe(p.errors));

    REQUIRE(p.rows.size() == 3);
    CHECK(p.rows[0].u.code == "BGDDT");
    CHECK(p.rows[1].u.code == "SGD-HUE");
    CHECK(p.rows[1].line == 10);
    CHECK(p.rows[2].u.code == "SGD-GL");

    REQUIRE(p.errors.size() == 10);
    CHECK(mentions(error_on(p, 3), "4 values but the header names 5 columns"));
    CHECK(mentions(error_on(p, 4), "6 values but the header names 5 columns"));
    CHECK(mentions(error_on(p, 5), "column \"name\""));
    CHECK(mentions(error_on(p, 5), "not valid UTF-8"));
    CHECK(mentions(error_on(p, 6), "code \"SGD LC\""));
    CHECK(mentions(error_on(p, 7), "level \"THPT\""));
    CHECK(mentions(error_on(p, 8), "name must not be empty"));
    CHECK(mentions(error_on(p, 9), "parent_code \"SGD-PT\""));
    CHECK(mentions(error_on(p, 11), "code \"SGD-HUE\" already appears on line 10"));
    CHECK(mentions(error_on(p, 12), "column \"name\" has text after its closing quote"));
    CHECK(mentions(error_on(p, 14), "column \"name\" has no closing quote"));
    for (std::size_t i = 1; i < p.errors.size(); ++i)
        CHECK(p.errors[i - 1].line < p.errors[i].line);
}

TEST_CASE("CSV errors stop at the cap with a note", "[units]") {
    std::string csv = "code,name\n";
    for (int i = 0; i < 1500; ++i) csv += "BAD CODE " + std::to_string(i) + ",Trường\n";
    auto p = kho::parse_units_csv(csv);
    REQUIRE(p.errors.size() == kho::max_csv_errors + 1);
    CHECK(p.errors[kho::max_csv_errors - 1].line == kho::max_csv_errors + 1);
    CHECK(mentions(&p.errors.back(), "stopped after 1000 errors"));
    CHECK(p.errors.back().line == kho::max_csv_errors + 2);
}

TEST_CASE("CSV files over 100 000 rows are refused with one error", "[units]") {
    std::string csv = "code,name,parent_code\n";
    csv.reserve(3'000'000);
    for (std::size_t i = 0; i <= kho::max_csv_rows; ++i)
        csv += "T" + std::to_string(i) + ",Trường số " + std::to_string(i) + ",BGDDT\n";
    auto p = kho::parse_units_csv(csv);
    REQUIRE(p.errors.size() == 1);
    CHECK(p.errors[0].line == kho::max_csv_rows + 2);
    CHECK(mentions(&p.errors[0], "more than 100000 rows"));
    CHECK(p.rows.empty());

    // Exactly the limit is fine.
    csv.erase(csv.rfind("T100000,"));
    p = kho::parse_units_csv(csv);
    CHECK(p.errors.empty());
    CHECK(p.rows.size() == kho::max_csv_rows);
}

TEST_CASE("CSV export writes a BOM, the header, CRLF and quotes what needs it", "[units]") {
    std::vector<unit> units = {
        make_unit("BGDDT", "Bộ Giáo dục và Đào tạo"),
        make_unit("THPT-LQD", "Trường THPT chuyên \"Lê Quý Đôn\", Đà Nẵng", "SGD-DN", "Đà Nẵng",
                  education_level::upper_secondary),
    };
    auto csv = kho::format_units_csv(units);
    CHECK(csv == k_bom +
                     "code,name,parent_code,province,level\r\n"
                     "BGDDT,Bộ Giáo dục và Đào tạo,,,\r\n"
                     "THPT-LQD,\"Trường THPT chuyên \"\"Lê Quý Đôn\"\", Đà Nẵng\",SGD-DN,Đà Nẵng,"
                     "upper_secondary\r\n");
    CHECK(kho::format_units_csv({}) == k_bom + "code,name,parent_code,province,level\r\n");
}

TEST_CASE("CSV export then parse gives the same units", "[units]") {
    std::vector<unit> units = {make_unit("BGDDT", "Bộ Giáo dục và Đào tạo")};
    for (std::size_t i = 0; i < k_provinces.size(); ++i) {
        auto code = "SGD-" + std::to_string(i + 1);
        units.push_back(make_unit(code, "Sở GDĐT " + k_provinces[i], "BGDDT", k_provinces[i]));
        auto level = kho::all_education_levels()[i % kho::all_education_levels().size()];
        units.push_back(make_unit("T-" + std::to_string(i + 1),
                                  "Trường \"" + k_provinces[i] + "\", cơ sở 1", code,
                                  k_provinces[i], level));
    }
    units.push_back(make_unit("DHBK-HN", "Đại học Bách khoa Hà Nội", "BGDDT", "Hà Nội",
                              education_level::higher));
    auto p = kho::parse_units_csv(kho::format_units_csv(units));
    INFO(describe(p.errors));
    REQUIRE(p.errors.empty());
    REQUIRE(p.rows.size() == units.size());
    for (std::size_t i = 0; i < units.size(); ++i) {
        CHECK(p.rows[i].line == i + 2);
        CHECK(p.rows[i].u.code == units[i].code);
        CHECK(p.rows[i].u.name == units[i].name);
        CHECK(p.rows[i].u.parent_code == units[i].parent_code);
        CHECK(p.rows[i].u.province == units[i].province);
        CHECK(p.rows[i].u.level == units[i].level);
    }
}
