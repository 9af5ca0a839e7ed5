// base64 (tus metadata) and base64url (share link tokens).

#include "core/base64.hpp"

#include <catch2/catch.hpp>

TEST_CASE("base64url: round trips and refuses every non-canonical text", "[base64]") {
    std::string bytes;
    for (int n = 0; n < 40; ++n) {
        auto text = kho::encode_base64url(bytes);
        INFO(n << " bytes -> " << text);
        CHECK(text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
              std::string::npos);
        CHECK(text.size() == (bytes.size() * 4 + 2) / 3);
        auto back = kho::decode_base64url(text);
        REQUIRE(back.has_value());
        CHECK(*back == bytes);
        bytes += static_cast<char>(n * 37 + 200);
    }
    CHECK(kho::encode_base64url("\xfb\xff") == "-_8");
    for (const char* bad : {"A", "AB+", "AB/", "AB==", "AB C", "ABé", "AF"})  // "AF": unused bits set
        CHECK_FALSE(kho::decode_base64url(bad).has_value());
    CHECK(kho::decode_base64url("AA").value() == std::string(1, '\0'));
}

TEST_CASE("base64: padded standard alphabet", "[base64]") {
    CHECK(kho::encode_base64("Nghị quyết") == "Tmdo4buLIHF1eeG6v3Q=");
    CHECK(kho::decode_base64("Tmdo4buLIHF1eeG6v3Q=").value() == "Nghị quyết");
    CHECK_FALSE(kho::decode_base64("Tmdo4buLIHF1eeG6v3Q").has_value());
    CHECK_FALSE(kho::decode_base64("Tmdo4buLIHF1eeG6_3Q=").has_value());
    CHECK_FALSE(kho::decode_base64("abc").has_value());
}
