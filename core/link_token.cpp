#include "core/link_token.hpp"

#include "core/base64.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <stdexcept>

namespace kho {
namespace {

constexpr std::uint8_t k_version = 1;
constexpr std::size_t k_max_key_id = 32;
constexpr std::size_t k_mac_size = 32;
// version + key id length + link id + expiry, without the key id itself.
constexpr std::size_t k_fixed_size = 1 + 1 + 16 + 8;

std::array<unsigned char, k_mac_size> mac_of(std::string_view secret, std::string_view data) {
    std::array<unsigned char, k_mac_size> mac{};
    unsigned int len = 0;
    unsigned char* r =
        HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &len);
    if (r == nullptr || len != mac.size()) throw std::runtime_error("HMAC-SHA256 failed");
    return mac;
}

error refused(std::string detail) {
    return make_error(errc::forbidden, std::move(detail));
}

}  // namespace

std::string sign_link(const link_key& key, const ulid& link_id, std::int64_t expires_at) {
    if (key.id.empty() || key.id.size() > k_max_key_id)
        throw std::invalid_argument("sign_link: a key id has 1 to 32 bytes");
    if (key.secret.empty()) throw std::invalid_argument("sign_link: the key has no secret");

    std::string payload;
    payload.reserve(k_fixed_size + key.id.size() + k_mac_size);
    payload += static_cast<char>(k_version);
    payload += static_cast<char>(key.id.size());
    payload += key.id;
    payload += link_id.raw();
    auto e = static_cast<std::uint64_t>(expires_at);
    for (int shift = 56; shift >= 0; shift -= 8) payload += static_cast<char>((e >> shift) & 0xff);

    auto mac = mac_of(key.secret, payload);
    payload.append(reinterpret_cast<const char*>(mac.data()), mac.size());
    return encode_base64url(payload);
}

result<link_claims> verify_link(std::string_view token, const std::vector<link_key>& keys) {
    if (token.empty()) return refused("The share link token is empty.");
    if (token.size() > k_max_link_token_size)
        return refused("The share link token is malformed: it is too long.");

    std::string bytes;
    if (auto decoded = decode_base64url(token))
        bytes = std::move(*decoded);
    else
        return refused("The share link token is malformed: it is not base64url.");
    if (bytes.size() < k_fixed_size + 1 + k_mac_size)
        return refused("The share link token is malformed: it is too short.");
    if (static_cast<std::uint8_t>(bytes[0]) != k_version)
        return refused("The share link token has an unsupported version.");
    std::size_t id_size = static_cast<std::uint8_t>(bytes[1]);
    if (id_size == 0 || id_size > k_max_key_id ||
        bytes.size() != k_fixed_size + id_size + k_mac_size)
        return refused("The share link token is malformed: its length does not match.");

    std::string_view view(bytes);
    std::string_view key_id = view.substr(2, id_size);
    std::string_view signed_part = view.substr(0, view.size() - k_mac_size);
    std::string_view mac = view.substr(signed_part.size());

    const link_key* key = nullptr;
    for (const auto& k : keys) {
        if (k.id == key_id) {
            key = &k;
            break;
        }
    }
    if (key == nullptr)
        return refused("The share link was signed with a key that is no longer valid.");

    auto expected = mac_of(key->secret, signed_part);
    if (CRYPTO_memcmp(expected.data(), mac.data(), expected.size()) != 0)
        return refused("The share link token has an invalid signature.");

    link_claims claims;
    auto link_id = ulid::from_raw(view.substr(2 + id_size, 16));
    if (!link_id) return refused("The share link token is malformed: bad link id.");
    claims.link_id = *link_id;
    std::uint64_t e = 0;
    for (std::size_t i = 0; i < 8; ++i)
        e = (e << 8) | static_cast<std::uint8_t>(view[2 + id_size + 16 + i]);
    claims.expires_at = static_cast<std::int64_t>(e);
    claims.key_id = std::string(key_id);
    return claims;
}

}  // namespace kho
