#include "core/password.hpp"

#include "core/text.hpp"

#include <sodium.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstdint>

namespace kho {
namespace {

constexpr std::size_t k_min_chars = 10;
constexpr std::size_t k_max_bytes = 1024;

// 31 symbols: a-z and 2-9 without 0/o, 1/l/i.
constexpr std::string_view k_alphabet = "abcdefghjkmnpqrstuvwxyz23456789";

bool sodium_ready() {
    static const bool ready = sodium_init() >= 0;  // thread-safe, idempotent
    return ready;
}

// A std::string that is wiped when it goes away: the normalized password.
struct secret {
    std::string text;
    secret() = default;
    secret(const secret&) = delete;
    secret& operator=(const secret&) = delete;
    ~secret() { sodium_memzero(text.data(), text.size()); }
};

// The NFC form of valid UTF-8 `s`, into `out`. ASCII is already NFC.
bool to_nfc(std::string_view s, secret& out) {
    if (std::all_of(s.begin(), s.end(), [](char c) { return (c & 0x80) == 0; })) {
        out.text.assign(s);
        return true;
    }
    if (s.size() > static_cast<std::size_t>(INT32_MAX)) return false;  // ICU's length type
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
    if (U_FAILURE(status)) return false;
    auto src =
        icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
    auto normalized = nfc->normalize(src, status);
    if (U_FAILURE(status)) return false;
    normalized.toUTF8String(out.text);
    return true;
}

// The encoded hash as libsodium wants it: NUL-terminated, shorter than
// crypto_pwhash_STRBYTES, no NUL inside.
bool to_c_hash(std::string_view encoded, std::string& out) {
    if (encoded.size() >= crypto_pwhash_STRBYTES) return false;
    if (encoded.find('\0') != std::string_view::npos) return false;
    out.assign(encoded);
    return true;
}

}  // namespace

result<void> password_params::validate() const {
    if (ops < crypto_pwhash_argon2id_OPSLIMIT_MIN || ops > crypto_pwhash_argon2id_OPSLIMIT_MAX)
        return make_error(errc::invalid_parameter, "password hashing ops is out of range");
    if (mem_bytes < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
        mem_bytes > crypto_pwhash_argon2id_MEMLIMIT_MAX)
        return make_error(errc::invalid_parameter, "password hashing memory is out of range");
    return ok();
}

result<std::string> hash_password(std::string_view password, const password_params& params) {
    if (auto v = params.validate(); !v) return v.error();
    if (!is_valid_utf8(password))
        return make_error(errc::invalid_parameter, "the password is not valid UTF-8");
    if (!sodium_ready()) return make_error(errc::internal, "libsodium could not be initialized");
    secret pw;
    if (!to_nfc(password, pw))
        return make_error(errc::internal, "the password could not be normalized");
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, pw.text.data(), pw.text.size(), params.ops, params.mem_bytes,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return make_error(errc::internal, "out of memory while hashing a password");
    return std::string(out);
}

bool verify_password(std::string_view encoded_hash, std::string_view password) {
    std::string hash;
    if (!to_c_hash(encoded_hash, hash)) return false;
    if (!is_valid_utf8(password) || !sodium_ready()) return false;
    secret pw;
    if (!to_nfc(password, pw)) return false;
    return crypto_pwhash_str_verify(hash.c_str(), pw.text.data(), pw.text.size()) == 0;
}

bool needs_rehash(std::string_view encoded_hash, const password_params& params) {
    std::string hash;
    if (!to_c_hash(encoded_hash, hash) || !sodium_ready()) return true;
    return crypto_pwhash_str_needs_rehash(hash.c_str(), params.ops, params.mem_bytes) != 0;
}

result<void> check_password_policy(std::string_view password) {
    auto refuse = [](std::string sentence) -> result<void> {
        return make_error(errc::invalid_parameter, std::move(sentence));
    };
    const std::string too_long =
        "the password is longer than " + std::to_string(k_max_bytes) + " bytes";
    if (!is_valid_utf8(password)) return refuse("the password is not valid UTF-8");
    // Composing shrinks text by about a third at most (Hangul jamo, stacked
    // marks): refuse what cannot fit before spending time normalizing it.
    if (password.size() > 4 * k_max_bytes) return refuse(too_long);
    secret pw;
    if (!to_nfc(password, pw)) return refuse("the password could not be normalized");
    if (pw.text.size() > k_max_bytes) return refuse(too_long);

    std::size_t chars = 0;
    bool only_space = true;
    const auto* s = reinterpret_cast<const std::uint8_t*>(pw.text.data());
    const auto length = static_cast<int32_t>(pw.text.size());
    for (int32_t i = 0; i < length;) {
        UChar32 c;
        U8_NEXT(s, i, length, c);
        ++chars;
        if (!u_isUWhiteSpace(c)) only_space = false;
    }
    if (only_space && chars > 0) return refuse("the password must not be only white space");
    if (chars < k_min_chars)
        return refuse("the password must have at least " + std::to_string(k_min_chars) +
                      " characters");
    return ok();
}

std::string generate_password() {
    (void)sodium_ready();  // randombytes works without it, but initialize once anyway
    std::string out;
    for (int group = 0; group < 4; ++group) {
        if (group > 0) out += '-';
        for (int i = 0; i < 5; ++i)
            out += k_alphabet[randombytes_uniform(static_cast<std::uint32_t>(k_alphabet.size()))];
    }
    return out;
}

}  // namespace kho
