#include "core/text.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

using kho::fold_for_search;
using kho::is_valid_utf8;
using kho::to_ascii;
using kho::to_valid_utf8;

namespace {

const std::string k_replacement = "\xEF\xBF\xBD";  // U+FFFD

struct fold_case {
    std::string input;
    std::string expected;
};

}  // namespace

TEST_CASE("fold_for_search folds Vietnamese text", "[text]") {
    const std::vector<fold_case> table{
        // Phrases as they appear in titles, campaigns and tags.
        {"Nghị quyết", "nghi quyet"},
        {"Đào tạo", "dao tao"},
        {"đ", "d"},
        {"Đ", "d"},
        {"Thầy ra thầy, trò ra trò", "thay ra thay, tro ra tro"},
        {"Áp phích Nghị quyết 71", "ap phich nghi quyet 71"},
        {"Nghị quyết 71-NQ/TW", "nghi quyet 71-nq/tw"},
        {"chuyển đổi số", "chuyen doi so"},
        {"Bộ Giáo dục và Đào tạo", "bo giao duc va dao tao"},
        {"BỘ GIÁO DỤC VÀ ĐÀO TẠO", "bo giao duc va dao tao"},
        {"Kỳ thi tốt nghiệp THPT năm 2025", "ky thi tot nghiep thpt nam 2025"},
        {"Học sinh, sinh viên", "hoc sinh, sinh vien"},
        {"Ngày Nhà giáo Việt Nam 20/11", "ngay nha giao viet nam 20/11"},
        {"Tiếng Việt", "tieng viet"},
        {"Trường Đại học Sư phạm Hà Nội", "truong dai hoc su pham ha noi"},
        {"Infographic: Lộ trình đổi mới chương trình",
         "infographic: lo trinh doi moi chuong trinh"},
        {"Giáo dục mầm non", "giao duc mam non"},
        {"Phổ cập giáo dục", "pho cap giao duc"},
        {"Khuyến học, khuyến tài", "khuyen hoc, khuyen tai"},
        {"Tuyển sinh lớp 10", "tuyen sinh lop 10"},
        {"Ươm mầm tài năng", "uom mam tai nang"},
        {"Điểm chuẩn", "diem chuan"},
        // Every tone mark (sắc, huyền, hỏi, ngã, nặng) on every vowel.
        {"á à ả ã ạ", "a a a a a"},
        {"ắ ằ ẳ ẵ ặ ă", "a a a a a a"},
        {"ấ ầ ẩ ẫ ậ â", "a a a a a a"},
        {"é è ẻ ẽ ẹ", "e e e e e"},
        {"ế ề ể ễ ệ ê", "e e e e e e"},
        {"í ì ỉ ĩ ị", "i i i i i"},
        {"ó ò ỏ õ ọ", "o o o o o"},
        {"ố ồ ổ ỗ ộ ô", "o o o o o o"},
        {"ớ ờ ở ỡ ợ ơ", "o o o o o o"},
        {"ú ù ủ ũ ụ", "u u u u u"},
        {"ứ ừ ử ữ ự ư", "u u u u u u"},
        {"ý ỳ ỷ ỹ ỵ", "y y y y y"},
        // The same in upper case.
        {"Á À Ả Ã Ạ", "a a a a a"},
        {"Ắ Ằ Ẳ Ẵ Ặ Ă", "a a a a a a"},
        {"Ấ Ầ Ẩ Ẫ Ậ Â", "a a a a a a"},
        {"É È Ẻ Ẽ Ẹ", "e e e e e"},
        {"Ế Ề Ể Ễ Ệ Ê", "e e e e e e"},
        {"Í Ì Ỉ Ĩ Ị", "i i i i i"},
        {"Ó Ò Ỏ Õ Ọ", "o o o o o"},
        {"Ố Ồ Ổ Ỗ Ộ Ô", "o o o o o o"},
        {"Ớ Ờ Ở Ỡ Ợ Ơ", "o o o o o o"},
        {"Ú Ù Ủ Ũ Ụ", "u u u u u"},
        {"Ứ Ừ Ử Ữ Ự Ư", "u u u u u u"},
        {"Ý Ỳ Ỷ Ỹ Ỵ", "y y y y y"},
        // Decomposed input (NFD, as macOS writes file names) folds the same.
        {"Ngh\x69\xCC\xA3 quy\xC3\xAA\xCC\x81t", "nghi quyet"},
        {"Tie\xCC\x82\xCC\x81ng Vie\xCC\xA3\xCC\x82t", "tieng viet"},
        // Plain ASCII only changes case.
        {"", ""},
        {"STEM 2025", "stem 2025"},
        {"abc-XYZ_09 ./:", "abc-xyz_09 ./:"},
        // Typographic punctuation becomes its ASCII look-alike.
        {"“Học” – tập…", "\"hoc\" - tap..."},
    };
    REQUIRE(table.size() >= 30);
    for (const auto& c : table) {
        INFO("input: " << c.input);
        CHECK(fold_for_search(c.input) == c.expected);
    }
}

TEST_CASE("fold_for_search makes differently written words equal", "[text]") {
    REQUIRE(fold_for_search("NGHỊ QUYẾT") == fold_for_search("nghị quyết"));
    REQUIRE(fold_for_search("Nghị quyết") == fold_for_search("nghi quyet"));
    REQUIRE(fold_for_search("Ð") == "d");  // U+00D0 (Icelandic eth) looks like Đ
    REQUIRE(fold_for_search("Chuyển Đổi Số") == fold_for_search("chuyen doi so"));
}

TEST_CASE("to_ascii keeps case", "[text]") {
    CHECK(to_ascii("Áp phích") == "Ap phich");
    CHECK(to_ascii("Nghị Quyết") == "Nghi Quyet");
    CHECK(to_ascii("ĐÀO TẠO") == "DAO TAO");
    CHECK(to_ascii("Đào tạo") == "Dao tao");
    CHECK(to_ascii("đ") == "d");
    CHECK(to_ascii("Ứng dụng CNTT") == "Ung dung CNTT");
    CHECK(to_ascii("Ươm Mầm") == "Uom Mam");
    CHECK(to_ascii("Ỹ ỹ") == "Y y");
    CHECK(to_ascii("plain ASCII stays") == "plain ASCII stays");
    CHECK(to_ascii("") == "");

    SECTION("characters without an ASCII rendering become '_'") {
        CHECK(to_ascii("🎓") == "_");
        CHECK(to_ascii("Lớp 🎓 12") == "Lop _ 12");
        CHECK(to_ascii("x教y") == "x_y");
        CHECK(fold_for_search("Tết 🧧") == "tet _");
    }
    SECTION("the result is always ASCII") {
        for (std::string s :
             {"Nghị quyết 71-NQ/TW", "教育 và đào tạo", "“Học” – tập…", "ß Æ œ", "\xFF\xFE abc"}) {
            auto out = to_ascii(s);
            INFO("input: " << s << " output: " << out);
            for (char ch : out) REQUIRE(static_cast<unsigned char>(ch) < 0x80);
        }
    }
}

TEST_CASE("is_valid_utf8", "[text][utf8]") {
    SECTION("well-formed") {
        CHECK(is_valid_utf8(""));
        CHECK(is_valid_utf8("Áp phích Nghị quyết 71"));
        CHECK(is_valid_utf8("ASCII only"));
        CHECK(is_valid_utf8(std::string("nul\0inside", 10)));
        CHECK(is_valid_utf8("\xC2\x80"));          // U+0080, smallest 2-byte
        CHECK(is_valid_utf8("\xDF\xBF"));          // U+07FF
        CHECK(is_valid_utf8("\xE0\xA0\x80"));      // U+0800, smallest 3-byte
        CHECK(is_valid_utf8("\xED\x9F\xBF"));      // U+D7FF, just below surrogates
        CHECK(is_valid_utf8("\xEE\x80\x80"));      // U+E000, just above surrogates
        CHECK(is_valid_utf8("\xEF\xBF\xBD"));      // U+FFFD
        CHECK(is_valid_utf8("\xF0\x90\x80\x80"));  // U+10000, smallest 4-byte
        CHECK(is_valid_utf8("\xF0\x9F\x8E\x93"));  // 🎓
        CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
    }
    SECTION("overlong encodings") {
        CHECK_FALSE(is_valid_utf8("\xC0\xAF"));  // '/'
        CHECK_FALSE(is_valid_utf8("\xC0\x80"));  // NUL
        CHECK_FALSE(is_valid_utf8("\xC1\xBF"));
        CHECK_FALSE(is_valid_utf8("\xE0\x80\xAF"));
        CHECK_FALSE(is_valid_utf8("\xE0\x9F\xBF"));
        CHECK_FALSE(is_valid_utf8("\xF0\x80\x80\xAF"));
        CHECK_FALSE(is_valid_utf8("\xF0\x8F\xBF\xBF"));
        CHECK_FALSE(
            is_valid_utf8("..\xC0\xAF..\xC0\xAF"
                          "etc"));
    }
    SECTION("surrogates") {
        CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));              // U+D800
        CHECK_FALSE(is_valid_utf8("\xED\xAF\xBF"));              // U+DBFF
        CHECK_FALSE(is_valid_utf8("\xED\xB0\x80"));              // U+DC00
        CHECK_FALSE(is_valid_utf8("\xED\xBF\xBF"));              // U+DFFF
        CHECK_FALSE(is_valid_utf8("\xED\xA0\xBD\xED\xB8\x80"));  // CESU-8 pair
    }
    SECTION("beyond U+10FFFF and impossible bytes") {
        CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));
        CHECK_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
        CHECK_FALSE(is_valid_utf8("\xF8\x88\x80\x80\x80"));
        CHECK_FALSE(is_valid_utf8("\xFE"));
        CHECK_FALSE(is_valid_utf8("\xFF"));
    }
    SECTION("truncated sequences") {
        CHECK_FALSE(is_valid_utf8("\xC3"));
        CHECK_FALSE(is_valid_utf8("\xE1\xBB"));  // first two bytes of "ợ"
        CHECK_FALSE(is_valid_utf8("Nghi\xE1\xBB"));
        CHECK_FALSE(is_valid_utf8("Nghi\xE1\xBB quyet"));
        CHECK_FALSE(is_valid_utf8("\xF0\x9F\x8E"));
        CHECK_FALSE(is_valid_utf8("\xF0\x9F"));
        CHECK_FALSE(is_valid_utf8("\xF0"));
    }
    SECTION("stray continuation bytes") {
        CHECK_FALSE(is_valid_utf8("\x80"));
        CHECK_FALSE(is_valid_utf8("abc\xBF"));
        CHECK_FALSE(is_valid_utf8("\xC3\xA1\xA1"));  // "á" followed by a continuation
    }
    SECTION("Latin-1 text is not UTF-8") {
        CHECK_FALSE(is_valid_utf8("Ti\xEAng Vi\xEAt"));
        CHECK_FALSE(is_valid_utf8("caf\xE9"));
    }
}

TEST_CASE("to_valid_utf8 replaces ill-formed bytes with U+FFFD", "[text][utf8]") {
    SECTION("valid input is returned unchanged") {
        for (std::string s : {"", "Áp phích Nghị quyết 71", "🎓 Tốt nghiệp", "\xF4\x8F\xBF\xBF"})
            CHECK(to_valid_utf8(s) == s);
        std::string with_nul("a\0b", 3);
        CHECK(to_valid_utf8(with_nul) == with_nul);
    }
    SECTION("a single bad byte") {
        CHECK(to_valid_utf8("abc\xFF"
                            "def") == "abc" + k_replacement + "def");
        CHECK(to_valid_utf8("\x80") == k_replacement);
    }
    SECTION("Latin-1 letters inside Vietnamese text") {
        CHECK(to_valid_utf8("Ti\xEAng Việt") == "Ti" + k_replacement + "ng Việt");
    }
    SECTION("a truncated sequence becomes one replacement") {
        CHECK(to_valid_utf8("Nghi\xE1\xBB quyet") == "Nghi" + k_replacement + " quyet");
        CHECK(to_valid_utf8("Nghi\xE1\xBB") == "Nghi" + k_replacement);
        CHECK(to_valid_utf8("\xF0\x9F\x8E") == k_replacement);
    }
    SECTION("overlongs and surrogates") {
        CHECK(to_valid_utf8("a\xC0\xAF"
                            "b") == "a" + k_replacement + k_replacement + "b");
        auto s = to_valid_utf8(
            "a\xED\xA0\x80"
            "b");
        CHECK(s.starts_with("a" + k_replacement));
        CHECK(s.ends_with(k_replacement + "b"));
        CHECK(s.find("\xED\xA0") == std::string::npos);
    }
    SECTION("the result is always valid and keeps the good parts") {
        const std::vector<std::string> inputs{"\xC3",
                                              "\xFF\xFE\xFD",
                                              "..\xC0\xAF..",
                                              "\xED\xBF\xBF",
                                              "\xF4\x90\x80\x80",
                                              "Đào\xE1 tạo\x80",
                                              "\xE1\xBB\xA3\xE1\xBB",
                                              std::string("\0\xFF\0", 3)};
        for (const auto& in : inputs) {
            auto out = to_valid_utf8(in);
            INFO("input size " << in.size());
            REQUIRE(is_valid_utf8(out));
            REQUIRE(out.find(k_replacement) != std::string::npos);
        }
        auto out = to_valid_utf8("Đào\xE1 tạo\x80");
        CHECK(out == "Đào" + k_replacement + " tạo" + k_replacement);
    }
}
