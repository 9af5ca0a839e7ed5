#include "api/tus_headers.hpp"
#include "core/base64.hpp"

#include <catch2/catch.hpp>

using namespace kho::api;
using kho::decode_base64;
using kho::encode_base64;
using kho::errc;

TEST_CASE("base64 round trips every length and refuses non-canonical input", "[tus]") {
    std::string bytes;
    for (int i = 0; i < 300; ++i) {
        auto enc = encode_base64(bytes);
        auto dec = decode_base64(enc);
        REQUIRE(dec.has_value());
        CHECK(*dec == bytes);
        bytes += static_cast<char>(i * 37);
    }
    CHECK(encode_base64("Nghị quyết") == "Tmdo4buLIHF1eeG6v3Q=");
    for (const char* bad : {"abc", "ab=c", "a===", "****", "ab==cd==", "YQ=\n"})
        CHECK_FALSE(decode_base64(bad).has_value());
}

TEST_CASE("Upload-Metadata pairs decode, flags have empty values, bad ones are 400", "[tus]") {
    auto m = parse_upload_metadata("filename " + encode_base64("Phóng sự.mp4") +
                                   ",is_confidential, title " + encode_base64("Đào tạo"));
    REQUIRE(m.has_value());
    REQUIRE(m->size() == 3);
    CHECK((*m)[0] == std::pair<std::string, std::string>{"filename", "Phóng sự.mp4"});
    CHECK((*m)[1] == std::pair<std::string, std::string>{"is_confidential", ""});
    CHECK((*m)[2] == std::pair<std::string, std::string>{"title", "Đào tạo"});
    CHECK(parse_upload_metadata("")->empty());
    for (const char* bad : {"title %%%", " ,x", "a YQ==,a YQ==", "t\x01tle YQ=="}) {
        INFO(bad);
        auto r = parse_upload_metadata(bad);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::bad_request);
    }
}

TEST_CASE("Upload-Checksum needs a known algorithm and a digest of its length", "[tus]") {
    auto ok = parse_upload_checksum("sha1 " + encode_base64(std::string(20, 'x')));
    REQUIRE(ok.has_value());
    CHECK(ok->algorithm == "sha1");
    CHECK(ok->digest == std::string(20, 'x'));
    CHECK(parse_upload_checksum("md5 " + encode_base64(std::string(16, 'y'))).has_value());
    CHECK(parse_upload_checksum("sha256 " + encode_base64(std::string(32, 'z'))).has_value());
    CHECK_FALSE(parse_upload_checksum("sha256 " + encode_base64(std::string(20, 'z'))).has_value());
    CHECK_FALSE(parse_upload_checksum("crc32 AAAAAA==").has_value());
    CHECK_FALSE(parse_upload_checksum("sha256").has_value());
    CHECK_FALSE(parse_upload_checksum("sha256 ***").has_value());
}

TEST_CASE("Upload-Concat partial and final with relative and absolute URLs", "[tus]") {
    CHECK(parse_upload_concat("partial")->partial);
    auto f = parse_upload_concat(
        "final;/api/v1/uploads/01ARZ3NDEKTSV4RRFFQ69G5FAV "
        "http://h:1/api/v1/uploads/01ARZ3NDEKTSV4RRFFQ69G5FAW");
    REQUIRE(f.has_value());
    CHECK(f->part_ids ==
          std::vector<std::string>{"01ARZ3NDEKTSV4RRFFQ69G5FAV", "01ARZ3NDEKTSV4RRFFQ69G5FAW"});
    for (const char* bad : {"final;", "final;/etc/passwd", "whole", "final;/api/v1/uploads/short"})
        CHECK_FALSE(parse_upload_concat(bad).has_value());
}

TEST_CASE("tus integers are plain decimal", "[tus]") {
    CHECK(*parse_tus_u64("Upload-Offset", "0") == 0);
    CHECK(*parse_tus_u64("Upload-Offset", "8589934592") == 8589934592ull);
    for (const char* bad : {"", "-1", "+1", " 1", "1 ", "0x10", "99999999999999999999", "1.5"})
        CHECK_FALSE(parse_tus_u64("Upload-Offset", bad).has_value());
}
