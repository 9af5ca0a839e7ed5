#include "tools/import_sidecar.hpp"

#include <catch2/catch.hpp>

using kho::cli::parse_csv_sidecar;
using kho::cli::parse_json_sidecar;
using kho::cli::usage_error;

TEST_CASE("CSV sidecars: BOM, CRLF, quotes, commas and newlines inside quotes", "[import]") {
    auto s = parse_csv_sidecar(
        "\xEF\xBB\xBF"
        "file,title,description,tags\r\n"
        "a.png,\"Áp phích, Nghị quyết 71\",\"Dòng 1\nDòng 2\",\"nq71,poster\"\r\n"
        "b/c.png,\"Hướng dẫn \"\"chuyển đổi số\"\"\",,\r\n"
        "\r\n");
    REQUIRE(s.size() == 2);
    CHECK(s.at("a.png").title == "Áp phích, Nghị quyết 71");
    CHECK(s.at("a.png").description == "Dòng 1\nDòng 2");
    CHECK(s.at("a.png").tags == "nq71,poster");
    CHECK(s.at("b/c.png").title == "Hướng dẫn \"chuyển đổi số\"");
    CHECK(s.at("b/c.png").tags.empty());
    CHECK(parse_csv_sidecar("").empty());
    CHECK(parse_csv_sidecar("file,title\n").empty());
}

TEST_CASE("CSV sidecars with any bad row are refused whole, naming the rows", "[import]") {
    auto refused = [](std::string_view text) -> std::string {
        try {
            parse_csv_sidecar(text);
        } catch (const usage_error& e) {
            return e.what();
        }
        return {};
    };
    CHECK_THAT(refused("title\nA\n"), Catch::Contains("\"file\" column"));
    CHECK_THAT(refused("file,colour\na.png,red\n"), Catch::Contains("unknown column \"colour\""));
    CHECK_THAT(refused("file,title\na.png,A,B\nb.png,B\nc.png\n"),
               Catch::Contains("row 2") && Catch::Contains("row 4"));
    CHECK_THAT(refused("file,title\na.png,A\na.png,B\n"), Catch::Contains("listed twice"));
    CHECK_THAT(refused("file,title\n,A\n"), Catch::Contains("no file"));
    CHECK_THAT(refused("file,title\na.png,\"unclosed\n"), Catch::Contains("not closed"));
    CHECK_THAT(refused("file,title\na.png,\"x\"y\n"), Catch::Contains("after a closing quote"));
    CHECK_THAT(refused("file,title\na.png,\xC3\x28\n"), Catch::Contains("UTF-8"));
}

TEST_CASE("JSON sidecars as an object or an array", "[import]") {
    auto obj = parse_json_sidecar(R"({"a.png": {"title": "Đào tạo", "kind": "poster"}})");
    CHECK(obj.at("a.png").title == "Đào tạo");
    CHECK(obj.at("a.png").kind == "poster");
    auto arr = parse_json_sidecar(R"([{"file": "x/y.png", "campaign": "NQ71"}])");
    CHECK(arr.at("x/y.png").campaign == "NQ71");
    for (const char* bad : {"not json", "42", R"({"a.png": 1})", R"({"a.png": {"colour": "red"}})",
                            R"({"a.png": {"title": 5}})", R"([{"title": "no file"}])",
                            R"([{"file": "a"}, {"file": "a"}])"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_json_sidecar(bad), usage_error);
    }
}
