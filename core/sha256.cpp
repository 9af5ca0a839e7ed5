#include "core/sha256.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace kho {

void sha256::ctx_deleter::operator()(void* p) const noexcept {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(p));
}

namespace {

// Fetched once: with EVP_sha256() OpenSSL 3 looks the algorithm up again
// (under a lock) at every init, which cost more than hashing a token.
const EVP_MD* sha256_md() {
    static const EVP_MD* md = [] {
        const EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
        return m != nullptr ? m : EVP_sha256();
    }();
    return md;
}

}  // namespace

sha256::sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_.get()), sha256_md(), nullptr) != 1)
        throw std::runtime_error("EVP_DigestInit_ex(sha256) failed");
}

sha256::~sha256() = default;

void sha256::update(const void* data, size_t size) {
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_.get()), data, size);
}

std::array<std::uint8_t, 32> sha256::finish() {
    std::array<std::uint8_t, 32> out{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_.get()), out.data(), &len);
    return out;
}

std::string sha256::finish_hex() {
    auto d = finish();
    return to_hex(d.data(), d.size());
}

std::string sha256::hex_of(std::string_view data) {
    sha256 h;
    h.update(data.data(), data.size());
    return h.finish_hex();
}

std::string to_hex(const std::uint8_t* data, size_t size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(size * 2, '0');
    for (size_t i = 0; i < size; ++i) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 0xf];
    }
    return out;
}

bool is_sha256_hex(std::string_view s) noexcept {
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

}  // namespace kho
