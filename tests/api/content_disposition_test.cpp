#include "api/content_disposition.hpp"

#include <catch2/catch.hpp>

#include <string>

using kho::api::content_disposition;

namespace {

struct parts {
    std::string fallback;  // filename="..."
    std::string encoded;   // filename*=UTF-8''...
};

parts split(const std::string& header) {
    auto f = header.find("; filename=\"");
    auto star = header.find("\"; filename*=UTF-8''");
    REQUIRE(f != std::string::npos);
    REQUIRE(star != std::string::npos);
    f += 12;
    return {header.substr(f, star - f), header.substr(star + 20)};
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    FAIL("not an upper-case hex digit: " << c);
    return 0;
}

std::string percent_decode(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            REQUIRE(i + 2 < s.size());
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

bool all_safe_ascii(const std::string& s) {
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c > 0x7e || ch == '"' || ch == '\\' || ch == '%') return false;
    }
    return true;
}

bool all_attr_chars(const std::string& s) {
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && std::string_view("!#$&+-.^_`|~%").find(ch) == std::string_view::npos)
            return false;
    }
    return true;
}

}  // namespace

TEST_CASE("Vietnamese names", "[content_disposition]") {
    SECTION("the documented example") {
        REQUIRE(content_disposition("attachment", "Áp phích Nghị quyết 71.png") ==
                "attachment; filename=\"Ap phich Nghi quyet 71.png\"; "
                "filename*=UTF-8''%C3%81p%20ph%C3%ADch%20Ngh%E1%BB%8B%20quy%E1%BA%BFt%2071.png");
    }
    for (std::string name :
         {"Áp phích Nghị quyết 71.png", "Đào tạo.pdf", "Ứng dụng – bản cuối.docx"}) {
        DYNAMIC_SECTION("round trip " << name) {
            auto p = split(content_disposition("inline", name));
            REQUIRE(all_attr_chars(p.encoded));
            REQUIRE(percent_decode(p.encoded) == name);
            REQUIRE(all_safe_ascii(p.fallback));
        }
    }
    SECTION("Đ folds to D") {
        REQUIRE(split(content_disposition("attachment", "Đào tạo.pdf")).fallback == "Dao tao.pdf");
    }
}

TEST_CASE("dispositions", "[content_disposition]") {
    REQUIRE(content_disposition("inline", "a.png").starts_with("inline; "));
    REQUIRE(content_disposition("attachment", "a.png").starts_with("attachment; "));
    REQUIRE(content_disposition("INLINE", "a.png").starts_with("inline; "));
    REQUIRE(content_disposition("x\r\ny", "a.png").starts_with("attachment; "));
}

TEST_CASE("plain ASCII names still get filename*", "[content_disposition]") {
    REQUIRE(content_disposition("attachment", "report-2024.pdf") ==
            "attachment; filename=\"report-2024.pdf\"; filename*=UTF-8''report-2024.pdf");
}

TEST_CASE("special characters", "[content_disposition]") {
    SECTION("quotes, backslashes and percent signs") {
        std::string name = "say \"hi\" 100% a\\b.txt";
        auto p = split(content_disposition("attachment", name));
        // The backslash counts as a path separator and is stripped first.
        REQUIRE(p.fallback == "b.txt");
        REQUIRE(percent_decode(p.encoded) == "b.txt");
        auto q = split(content_disposition("attachment", "say \"hi\" 100%.txt"));
        REQUIRE(q.fallback == "say _hi_ 100_.txt");
        REQUIRE(percent_decode(q.encoded) == "say \"hi\" 100%.txt");
        REQUIRE(all_attr_chars(q.encoded));
    }
    SECTION("CR/LF injection") {
        auto header = content_disposition("attachment", "a\r\nSet-Cookie: x.png");
        REQUIRE(header.find('\r') == std::string::npos);
        REQUIRE(header.find('\n') == std::string::npos);
        REQUIRE(split(header).fallback == "aSet-Cookie: x.png");
    }
    SECTION("path traversal") {
        auto p = split(content_disposition("attachment", "../../etc/passwd"));
        REQUIRE(p.fallback == "passwd");
        REQUIRE(p.encoded == "passwd");
    }
    SECTION("empty name") {
        auto p = split(content_disposition("attachment", ""));
        REQUIRE(p.fallback == "file");
        REQUIRE(p.encoded == "file");
    }
    SECTION("characters with no ASCII rendering") {
        auto p = split(content_disposition("attachment", "日本.png"));
        REQUIRE(all_safe_ascii(p.fallback));
        REQUIRE(p.fallback.ends_with(".png"));
        REQUIRE(percent_decode(p.encoded) == "日本.png");
    }
    SECTION("fullwidth solidus and dots do not become a path in the fallback") {
        auto p = split(content_disposition("attachment", "．．／x"));
        REQUIRE(all_safe_ascii(p.fallback));
        REQUIRE(p.fallback.find('/') == std::string::npos);
        REQUIRE(p.fallback != "..");
    }
}
