#pragma once
// The key ring for signed share links (core/link_token): <dir>/link-keys.json.
//
//   {
//     "format": "kho-link-keys-1",
//     "keys": [                                  newest first; the first signs
//       {"id": "3f9c0a1b", "secret": "<64 hex digits>", "created_at": 1767225600},
//       ...
//     ]
//   }
//
// A key id is 8 random hex digits; a secret is 32 random bytes (OpenSSL
// RAND_bytes); created_at is in Unix seconds. The file holds secrets, so like
// ssh kho refuses to use it when group or others may read or write it (or the
// directory is group/other-writable), and writes it with mode 0600 only.
//
// Rotation adds a new newest key and keeps every older key for `keep` after it
// stopped signing (that is, after its successor was created), so every link
// signed before the rotation still verifies until it expires, provided no link
// lives longer than `keep`. The file is rewritten atomically (temporary file,
// fsync, rename, fsync of the directory), under an flock on the directory, and
// rotate() re-reads the file first, so a rotation from the CLI and one from
// the server do not lose each other's keys. A running server only sees a key
// added by another process after it reopens the ring.
//
// Thread safety: all member functions may be called concurrently. The class
// is movable (not copyable); a moved-from object may only be destroyed or
// assigned to.

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/link_token.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kho::storage {

class link_keys {
  public:
    // Loads <dir>/link-keys.json. When missing, creates `dir` (mode 0700) and
    // the file (mode 0600) with a first key. errc::internal with a sentence
    // naming the file when it cannot be read, is corrupt, has no key, or is
    // accessible to group or others.
    static result<link_keys> open(const std::filesystem::path& dir, kho::clock clk = {});

    link_keys(link_keys&&) noexcept;
    link_keys& operator=(link_keys&&) noexcept;
    ~link_keys();

    // Every key, newest first (pass to verify_link).
    std::vector<link_key> keys() const;
    // The newest key (pass to sign_link).
    link_key current() const;

    // Adds a new newest key and drops the keys that stopped signing more than
    // `keep` ago (Default: 90 days, the longest link lifetime); the previous
    // current key is always kept. Rewrites the file atomically. Returns the
    // new key's id; on error nothing changes.
    result<std::string> rotate(std::chrono::seconds keep = std::chrono::hours(24 * 90));

    const std::filesystem::path& file() const { return file_; }

  private:
    link_keys(std::filesystem::path dir, kho::clock clk, std::vector<link_key> keys);

    std::filesystem::path dir_;
    std::filesystem::path file_;
    kho::clock clock_;
    std::unique_ptr<std::mutex> mutex_;
    std::vector<link_key> keys_;  // newest first, never empty
};

}  // namespace kho::storage
