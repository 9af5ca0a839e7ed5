#pragma once
// Blobs found damaged: a stored file that no longer hashes to its name (bit
// rot, a bad disk block, a hand edit under blobs/) or that is missing. A
// full download that sees the mismatch and `verify_store` record it here;
// every version and rendition whose blob is listed shows "damaged": true in
// the API, and so does its asset. A record goes when a verify finds the blob
// intact again, or when an upload of the same bytes replaces the file
// (asset_store places such an upload over the damaged one instead of
// deduplicating against it).
//
// Keys: `default` column family, "damaged." + SHA-256 hex ->
// {"found_by","detail","at"}. The records are also kept in memory (normally
// there are none), so that building an asset's JSON costs no read.
//
// Thread safety: all member functions may be called concurrently.

#include "core/clock.hpp"
#include "core/error.hpp"

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace kho::storage {

class database;

struct damage_record {
    std::string sha256;
    std::string found_by;  // "download" or "verify"
    std::string detail;    // what was seen: "the bytes hash to …", "missing", …
    unix_ms at = 0;
};

class damage_registry {
  public:
    // Reads the records of earlier runs.
    explicit damage_registry(database& db, kho::clock clk = {});

    // Records (or re-records) damage, durably (a synchronous write: it is
    // rare, and the flag must outlive a crash as the damage does).
    result<void> flag(const std::string& sha256_hex, std::string_view found_by,
                      std::string_view detail);
    // The blob is intact again (verified, or replaced by good bytes).
    result<void> clear(const std::string& sha256_hex);

    bool damaged(const std::string& sha256_hex) const;
    std::vector<damage_record> list() const;

  private:
    database& db_;
    kho::clock clock_;
    mutable std::mutex mutex_;
    std::map<std::string, damage_record> records_;  // by digest
};

}  // namespace kho::storage
