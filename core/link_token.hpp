#pragma once
// Signed share links. A share link (to a press kit, an asset version or a
// rendition) is the URL /s/<token>. Every link also has a stored record, but
// the token itself is signed with HMAC-SHA256 so that a guessed or tampered
// token is refused before any lookup, and its expiry cannot be changed.
//
// Token (version 1): base64url without padding (only [A-Za-z0-9_-]) of
//
//   0x01                    version
//   n                       key id length, 1..32
//   key id                  n bytes
//   link id                 16 raw ULID bytes
//   expires_at              8 bytes, big-endian two's complement, Unix seconds
//   HMAC-SHA256(secret, all of the above)   32 bytes
//
// With kho's 8-character key ids that is 66 bytes, 88 characters.
//
// Keys rotate (storage/link_keys): the newest key signs, and every key still
// in the ring verifies, so links signed before a rotation keep working until
// their key is removed.
//
// Thread safety: plain functions without state.

#include "core/error.hpp"
#include "core/ulid.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kho {

struct link_key {
    std::string id;               // 1..32 bytes, e.g. 8 hex characters
    std::string secret;           // 32 random bytes
    std::int64_t created_at = 0;  // Unix seconds
};

struct link_claims {
    ulid link_id;
    std::int64_t expires_at = 0;  // Unix seconds
    std::string key_id;           // the key that signed the token
};

// Longest token verify_link looks at; anything longer is refused unread.
inline constexpr std::size_t k_max_link_token_size = 128;

// Signs a link with `key`. Precondition: key.id has 1..32 bytes and
// key.secret is not empty (std::invalid_argument otherwise: a programming
// error, never a client's).
std::string sign_link(const link_key& key, const ulid& link_id, std::int64_t expires_at);

// Checks a token against the key in `keys` whose id it names, comparing MACs
// in constant time. errc::forbidden, with a detail saying which, when the
// token is malformed (characters, length, version), names a key not in the
// ring (e.g. removed after rotation), or carries a wrong signature.
// Expiry is NOT checked: the caller compares claims.expires_at with its clock
// (and answers 410 Gone for an expired link).
result<link_claims> verify_link(std::string_view token, const std::vector<link_key>& keys);

}  // namespace kho
