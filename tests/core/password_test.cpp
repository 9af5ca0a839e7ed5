#include "core/password.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <string>

using kho::check_password_policy;
using kho::errc;
using kho::generate_password;
using kho::hash_password;
using kho::needs_rehash;
using kho::password_params;
using kho::verify_password;

namespace {

// Cheap parameters for tests where the cost does not matter (libsodium's minimum
// memory for Argon2id is 8 KiB; 8 MiB keeps it realistic but fast).
const password_params k_weak{1, 8u << 20};

// "Mật khẩu của tôi" with precomposed letters (NFC), as most keyboards send it...
const std::string k_nfc = "M\u1EADt kh\u1EA9u c\u1EE7a t\u00F4i";
// ... with decomposed letters in canonical order (NFD) ...
const std::string k_nfd = "Ma\u0323\u0302t kha\u0302\u0309u cu\u0309a to\u0302i";
// ... and decomposed with the marks in typing order (circumflex before dot).
const std::string k_typed = "Ma\u0302\u0323t kha\u0302\u0309u cu\u0309a to\u0302i";

std::string hash_of(std::string_view password, const password_params& params = {}) {
    auto h = hash_password(password, params);
    REQUIRE(h.has_value());
    return *h;
}

void check_refused(std::string_view password) {
    auto r = check_password_policy(password);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::invalid_parameter);
    CHECK_FALSE(r.error().detail.empty());
}

}  // namespace

TEST_CASE("hash and verify", "[password]") {
    const std::string pw = "ngựa đúng pin kẹp giấy";
    const auto h = hash_of(pw);
    CHECK(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));

    CHECK(verify_password(h, pw));
    CHECK_FALSE(verify_password(h, "ngựa đúng pin kẹp giấy!"));
    CHECK_FALSE(verify_password(h, "ngua dung pin kep giay"));
    CHECK_FALSE(verify_password(h, ""));
    CHECK_FALSE(needs_rehash(h));

    SECTION("two hashes of one password differ (salt)") {
        auto again = hash_of(pw, k_weak);
        CHECK(again != h);
        CHECK(verify_password(again, pw));
    }
}

TEST_CASE("precomposed and decomposed Vietnamese verify alike", "[password]") {
    REQUIRE(k_nfc != k_nfd);
    REQUIRE(k_nfd != k_typed);
    const auto from_nfc = hash_of(k_nfc);
    CHECK(verify_password(from_nfc, k_nfc));
    CHECK(verify_password(from_nfc, k_nfd));
    CHECK(verify_password(from_nfc, k_typed));
    const auto from_typed = hash_of(k_typed, k_weak);
    CHECK(verify_password(from_typed, k_nfc));
    // A different letter is a different password: ạ (dot below) is not ậ.
    CHECK_FALSE(verify_password(from_nfc, "M\u1EA1t kh\u1EA9u c\u1EE7a t\u00F4i"));
}

TEST_CASE("a long passphrase is used whole", "[password]") {
    std::string long_pw;
    while (long_pw.size() < 1000) long_pw += "trường học hạnh phúc ";
    long_pw.resize(1000);
    REQUIRE(check_password_policy(long_pw).has_value());
    std::string prefix = long_pw.substr(0, 999);
    const auto h = hash_of(long_pw);
    CHECK(verify_password(h, long_pw));
    CHECK_FALSE(verify_password(h, prefix));
    CHECK_FALSE(verify_password(h, long_pw.substr(0, 72)));
}

TEST_CASE("needs_rehash compares the hash's parameters", "[password]") {
    const auto weak = hash_of("mật khẩu yếu quá", k_weak);
    CHECK(weak.starts_with("$argon2id$v=19$m=8192,t=1,p=1$"));
    CHECK(needs_rehash(weak));
    CHECK_FALSE(needs_rehash(weak, k_weak));
    CHECK(verify_password(weak, "mật khẩu yếu quá"));
    CHECK(needs_rehash(weak, password_params{1, 16u << 20}));  // memory differs
    CHECK(needs_rehash(weak, password_params{3, 8u << 20}));   // passes differ

    CHECK(needs_rehash(""));
    CHECK(needs_rehash("not a hash"));
    CHECK(needs_rehash("$2b$12$abcdefghijklmnopqrstuu5G0rPkXMtH5mLq0X1kqb3ZbgMW8IGhy"));
}

TEST_CASE("a malformed hash verifies nothing and throws nothing", "[password]") {
    const std::string pw = "mật khẩu đúng rồi";
    const auto good = hash_of(pw, k_weak);
    std::string with_nul = good;
    with_nul.insert(20, 1, '\0');
    std::string changed = good;
    changed.back() = changed.back() == 'A' ? 'B' : 'A';
    for (const std::string& bad :
         {std::string(), std::string("not a hash"), std::string("$argon2id$"),
          std::string("$argon2id$v=19$m=19456,t=2,p=1$garbage"), good.substr(0, good.size() - 5),
          good + "x", with_nul, changed, std::string(300, 'x'), good.substr(1)}) {
        INFO(bad);
        CHECK_FALSE(verify_password(bad, pw));
    }
    CHECK(verify_password(good, pw));
}

TEST_CASE("hash_password refuses what it cannot hash", "[password]") {
    auto bad_utf8 = hash_password("m\xe1t kh\xe1u 12345", k_weak);
    REQUIRE_FALSE(bad_utf8.has_value());
    CHECK(bad_utf8.error().code == errc::invalid_parameter);
    auto no_ops = hash_password("mật khẩu đủ dài", password_params{0, 8u << 20});
    REQUIRE_FALSE(no_ops.has_value());
    CHECK(no_ops.error().code == errc::invalid_parameter);
    auto no_memory = hash_password("mật khẩu đủ dài", password_params{2, 1024});
    REQUIRE_FALSE(no_memory.has_value());
    CHECK(no_memory.error().code == errc::invalid_parameter);
    CHECK(password_params{}.validate().has_value());
    // verify refuses ill-formed input too, without throwing.
    CHECK_FALSE(verify_password(hash_of("abc", k_weak), "ab\xff"));
}

TEST_CASE("password policy", "[password]") {
    SECTION("accepted: length is all that counts") {
        for (const std::string& pw : std::initializer_list<std::string>{
                 "1234567890", "aaaaaaaaaa", "correct horse battery staple", "Đường về!!",
                 "   mật khẩu có khoảng trắng   ",
                 "\u4F60\u597D\u4E16\u754C\u4F60\u597D\u4E16\u754C"
                 "\u4F60\u597D",
                 std::string(1024, 'x'), "a\tb c\nd e f"}) {
            INFO(pw);
            CHECK(check_password_policy(pw).has_value());
        }
    }
    SECTION("too short, counted in characters after NFC") {
        check_refused("");
        check_refused("123456789");
        check_refused("Mật khẩu!");                          // 9 characters, 13 bytes
        check_refused("Ma\u0323\u0302t kha\u0302\u0309u!");  // the same, decomposed: 13 code points
        CHECK(check_password_policy("Mật khẩu!!").has_value());
        CHECK(check_password_policy("Ma\u0323\u0302t kha\u0302\u0309u!!").has_value());
    }
    SECTION("too long, in bytes") {
        check_refused(std::string(1025, 'x'));
        check_refused(std::string(100000, 'x'));
        std::string vi;
        while (vi.size() < 1024) vi += "ệ";  // 3 bytes each
        vi.resize(1023);                     // 341 letters
        CHECK(check_password_policy(vi).has_value());
        check_refused(vi + "ệ");
    }
    SECTION("only white space") {
        check_refused("          ");
        check_refused("\t\t\t\t\t\n\n\n\n\n");
        check_refused("\u00A0\u00A0\u00A0\u00A0\u00A0\u00A0\u00A0\u00A0\u00A0\u00A0");
        check_refused("\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000");
    }
    SECTION("ill-formed UTF-8") {
        check_refused("m\xe1t kh\xe1u 12345");
        check_refused("abcdefghij\xff");
        check_refused("abcdefghij\xc0\xaf");  // overlong '/'
    }
}

TEST_CASE("generated passwords", "[password]") {
    const std::regex shape("[a-hjkmnp-z2-9]{5}(-[a-hjkmnp-z2-9]{5}){3}");
    std::set<std::string> seen;
    for (int i = 0; i < 50; ++i) {
        auto pw = generate_password();
        INFO(pw);
        CHECK(std::regex_match(pw, shape));
        CHECK(check_password_policy(pw).has_value());
        seen.insert(pw);
    }
    CHECK(seen.size() == 50);
    auto pw = generate_password();
    CHECK(verify_password(hash_of(pw, k_weak), pw));
}
