#pragma once
// Passwords of kho's local accounts: Argon2id hashes in libsodium's encoded
// form ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash"), which carries its own
// salt and parameters, so raising the parameters later needs no migration:
// needs_rehash() tells the sign-in path to store a fresh hash.
//
// Passwords are normalized to Unicode NFC before hashing and verifying:
// Vietnamese keyboards (Telex, VNI) on different systems send "Mật khẩu"
// with precomposed or with decomposed diacritics, and both must verify.
// A password is used whole, never truncated.
//
// Thread safety: all functions may be called concurrently. Hashing and
// verifying are deliberately slow (about 50 ms and 19 MiB each with the
// defaults): call them on a blocking pool, not on an I/O thread.

#include "core/error.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace kho {

struct password_params {
    // Default: 2. Argon2id passes over memory (t). OWASP's minimum with 19 MiB.
    unsigned long long ops = 2;
    // Default: 19 MiB. Argon2id memory (m); libsodium always uses one lane (p = 1).
    std::size_t mem_bytes = 19u << 20;

    // errc::invalid_parameter when outside libsodium's limits for Argon2id.
    result<void> validate() const;
};

// Argon2id hash of the NFC form of `password`, with a fresh random salt.
// errc::invalid_parameter for ill-formed UTF-8 or invalid params;
// errc::internal when the memory cannot be allocated. Does not apply the
// policy: call check_password_policy() on new passwords first.
result<std::string> hash_password(std::string_view password, const password_params& params = {});

// True when `password` (normalized to NFC) matches `encoded_hash`. The
// comparison is constant-time (libsodium). False for a malformed or
// unsupported hash and for ill-formed UTF-8; never throws.
bool verify_password(std::string_view encoded_hash, std::string_view password);

// True when `encoded_hash` was not made by Argon2id with exactly `params`
// (weaker or stronger, or another algorithm, or malformed): after a
// successful sign-in, hash the password again and store the new hash.
bool needs_rehash(std::string_view encoded_hash, const password_params& params = {});

// The rules for a new password (NIST SP 800-63B, no composition rules):
// valid UTF-8, at least 10 characters (code points after NFC), at most 1024
// bytes, not only white space. errc::invalid_parameter with a sentence for
// the user otherwise.
result<void> check_password_policy(std::string_view password);

// A random password for a first administrator or a reset, easy to read out
// and type: four groups of five lower-case letters and digits without
// look-alikes (no 0/o, 1/l/i), joined by '-', e.g. "k7m2x-q9ptz-4hwcd-r8sne".
// About 99 bits of entropy from libsodium's randombytes; passes the policy.
std::string generate_password();

}  // namespace kho
