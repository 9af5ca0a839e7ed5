#pragma once
// Internal to storage/: the RocksDB handles behind kho::storage::database.

#include "core/error.hpp"
#include "storage/database.hpp"
#include "storage/write_resumer.hpp"

#include <rocksdb/db.h>
#include <rocksdb/status.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

namespace kho::storage {

// Column families, in creation order. docs/storage.md documents each key.
enum class cf : int {
    meta = 0,
    assets,
    versions,
    asset_index,
    blob_refs,
    tokens,
    uploads,
    users,        // user records and the user-name index
    units,        // the unit tree, by code
    audit,        // the append-only audit log, by time-ordered id
    audit_index,  // audit entries by actor and by target
    comments,     // comment threads on asset versions
    token_index,  // sessions and API tokens by user
    jobs,         // media jobs, by id
    job_index,    // jobs by run order, lease end, asset and state
    renditions,   // renditions of asset versions
    catalog,      // the search index: postings of folded words
    press_kits,   // press kits, by id
    share_links,  // share links, by id, and by target
    usage,        // download events, by time, and open downloads
    usage_counters,  // download counters (merge operator)
    count_
};

struct database::impl {
    std::unique_ptr<rocksdb::DB> db;
    std::vector<rocksdb::ColumnFamilyHandle*> cfs;  // indexed by cf
    // Lifts a full disk's stop of writes once space returns.
    std::unique_ptr<write_resumer> resumer;
    rocksdb::ColumnFamilyHandle* operator[](cf c) const { return cfs[static_cast<size_t>(c)]; }
    ~impl();
};

// Write options for every change: synchronous, so that the 201 follows a
// durable commit.
rocksdb::WriteOptions sync_write();

// Positions `it` on the newest (last) key under `prefix` for a newest-first
// walk with Prev(): just before the key prefix + `after` when a page cursor
// is given, else on the last key of the prefix (or of the family when the
// prefix is empty). Keys under the prefix end in a time-ordered id.
void seek_newest_first(rocksdb::Iterator& it, std::string_view prefix,
                       std::optional<std::string_view> after);

// Maps a RocksDB status to a kho error (NotFound -> not_found, NoSpace ->
// insufficient_storage, anything else -> internal with the message).
error to_error(const rocksdb::Status& s, std::string_view what);

}  // namespace kho::storage
