// Share-link tokens (core/link_token.hpp) with a fixed key ring.
// Properties:
// - verify_link never throws and refuses with errc::forbidden;
// - a token it accepts is exactly the token sign_link makes for its claims
//   (one text per claim set: nothing about a valid token can be varied);
// - a token minted from the fuzz data verifies to the same claims, and
//   changing any one character, cutting or extending it is refused; so is
//   verifying it against a ring without its key.
//
// Input: anything. The whole input is a candidate token; its first bytes
// also give the claims of a minted token and the mutation to apply.

#include "core/link_token.hpp"
#include "fuzz/fuzz_support.hpp"

using kho::link_key;

namespace {

const std::vector<link_key>& ring() {
    static const std::vector<link_key> keys = {
        {"k1a2b3c4", std::string(32, 'a'), 1'767'225'600},
        {"00000000", std::string(32, '\x01'), 1'767'225'600},
        {std::string(32, 'z'), "s", 1'767'225'600},
    };
    return keys;
}

void check_refused(std::string_view token, const std::vector<link_key>& keys) {
    auto r = kho::verify_link(token, keys);
    KHO_FUZZ_CHECK(!r.has_value());
    KHO_FUZZ_CHECK(r.error().code == kho::errc::forbidden && !r.error().detail.empty());
}

void check_candidate(std::string_view token) {
    auto r = kho::verify_link(token, ring());
    if (!r) {
        KHO_FUZZ_CHECK(r.error().code == kho::errc::forbidden && !r.error().detail.empty());
        return;
    }
    const link_key* key = nullptr;
    for (const auto& k : ring())
        if (k.id == r->key_id) key = &k;
    KHO_FUZZ_CHECK(key != nullptr);
    KHO_FUZZ_CHECK(kho::sign_link(*key, r->link_id, r->expires_at) == token);
}

void check_minted(kho::fuzz::fuzz_reader& in) {
    const link_key& key = ring()[in.byte() % ring().size()];
    kho::ulid id;
    for (auto& b : id.bytes) b = in.byte();
    const auto expires = static_cast<std::int64_t>(in.u64());
    const std::string token = kho::sign_link(key, id, expires);

    KHO_FUZZ_CHECK(token.size() <= kho::k_max_link_token_size);
    KHO_FUZZ_CHECK(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                           "0123456789-_") == std::string::npos);
    auto r = kho::verify_link(token, ring());
    KHO_FUZZ_CHECK(r && r->link_id == id && r->expires_at == expires && r->key_id == key.id);

    // One character changed.
    std::string mutated = token;
    const std::size_t at = in.byte() % token.size();
    const char replacement = static_cast<char>(in.byte());
    if (replacement != token[at]) {
        mutated[at] = replacement;
        check_refused(mutated, ring());
    }
    // Cut short, or extended.
    check_refused(std::string_view(token).substr(0, at), ring());
    check_refused(token + static_cast<char>('A' + in.byte() % 26), ring());
    // Its key removed from the ring.
    std::vector<link_key> others;
    for (const auto& k : ring())
        if (k.id != key.id) others.push_back(k);
    check_refused(token, others);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    check_candidate(std::string_view(reinterpret_cast<const char*>(data), size));
    kho::fuzz::fuzz_reader in(data, size);
    check_minted(in);
    return 0;
}
