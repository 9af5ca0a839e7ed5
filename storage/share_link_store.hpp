#pragma once
// Share links: a stored record per link (what it opens, until when, how
// many downloads, an optional password), found by the id inside its signed
// token (core/link_token.hpp). Creating and revoking are audited; downloads
// are counted against the limit atomically.

#include "core/audit.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ulid.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace kho::storage {

class database;
class audit_log;

enum class link_target { press_kit, version };

struct share_link {
    ulid id;
    link_target target = link_target::version;
    std::string kit;     // press kit id (text) for press_kit
    std::string asset;   // asset id (text) for version
    std::uint32_t version = 0;
    std::string file = "original";  // "original" or a rendition name
    unix_ms expires_at = 0;
    std::uint64_t max_downloads = 0;  // 0: no limit
    std::uint64_t downloads = 0;
    std::string password_hash;        // argon2id; empty: none
    std::string note;
    std::string key_id;               // the key that signed its token
    std::string created_by;
    unix_ms created_at = 0;
    std::optional<unix_ms> revoked_at;
    std::string revoked_by;

    // "kit:<id>" or "asset:<id>/v<n>/<file>", for lists and audit.
    std::string target_name() const;
};

class share_link_store {
  public:
    share_link_store(database& db, audit_log& audit, kho::clock clk = {});

    // Stores a new link (its id must be set: the token was signed with it).
    result<share_link> create(share_link link, const audit_context& who);
    result<share_link> get(const ulid& id) const;
    // Newest first; `target` narrows to one kit ("kit:<id>") or asset ("asset:<id>").
    result<std::vector<share_link>> list(const std::string& target_prefix, std::size_t limit) const;
    // errc::conflict when already revoked.
    result<share_link> revoke(const ulid& id, const audit_context& who);
    // Counts one more download; errc::gone when the limit is reached.
    result<share_link> claim_download(const ulid& id);

    ulid next_id() { return ids_.next(); }

  private:
    result<void> put(const share_link& l, audit_entry* e);

    database& db_;
    audit_log& audit_;
    kho::clock clock_;
    ulid_generator ids_;
    std::mutex mutex_;  // read-modify-write of records
};

}  // namespace kho::storage
