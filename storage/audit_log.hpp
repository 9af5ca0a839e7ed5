#pragma once
// The append-only audit log. Entries are keyed by a time-ordered ULID in the
// `audit` column family, with secondary keys by actor and by target in
// `audit_index` (layout in docs/storage.md). Services that change state add
// their entry to the same WriteBatch as the change, so a change and its audit
// entry are committed together or not at all. Nothing deletes or rewrites an
// entry.
//
// Thread safety: all member functions may be called concurrently.

#include "core/audit.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ulid.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace rocksdb {
class WriteBatch;
}

namespace kho::storage {

class database;

struct audit_filter {
    std::optional<std::string> actor;   // exact user id
    std::optional<std::string> target;  // exact target, or a prefix ending in '/' or ':'
    std::optional<std::string> action;  // exact action, or a prefix ending in '.' ("version.")
    std::optional<unix_ms> since;       // inclusive
    std::optional<unix_ms> until;       // exclusive
};

struct audit_page {
    std::vector<audit_entry> items;  // newest first
    std::optional<std::string> next_cursor;
};

class audit_log {
  public:
    // `scan_budget`: the most keys one list() call examines; a page that
    // reaches it ends early with a next_cursor, so that a sparse filter never
    // turns one request into a scan of the whole log.
    audit_log(database& db, kho::clock clk = {}, std::size_t scan_budget = 100000);

    // Fills e.id and e.at (both from the clock) and adds the entry and its
    // index keys to `batch`. Ill-formed UTF-8 in the text fields and 0x00 in
    // actor and target are replaced by U+FFFD. The caller commits the batch
    // (synchronously).
    void append(rocksdb::WriteBatch& batch, audit_entry& e);

    // Appends one entry on its own (synchronous write), for events that
    // change nothing else (a failed login).
    result<audit_entry> record(audit_entry e);

    // Newest first, at most `limit` (1..1000) entries. `cursor` is the id of
    // the last entry of the previous page. since/until bound the time in the
    // id (a key range, not a scan). A page may hold fewer entries than
    // `limit`, even none, and still have a next_cursor (the scan budget).
    // errc::invalid_parameter for a malformed cursor or a limit out of range.
    result<audit_page> list(const audit_filter& f, const std::optional<std::string>& cursor,
                            std::size_t limit) const;

  private:
    database& db_;
    kho::clock clock_;
    ulid_generator ids_;
    std::size_t scan_budget_;
};

}  // namespace kho::storage
