#pragma once
// Online backup of a data directory: a RocksDB checkpoint of the metadata
// plus a copy of every blob not yet in the destination (blobs are immutable
// and named by their hash, so a later backup into the same place copies only
// new ones). Blob removal is paused from before the checkpoint until the
// copy ends, so every blob the checkpoint references is copied.
//
// Layout of the destination:
//   manifest.json   what, when, how much
//   db/             RocksDB checkpoint (replaced at every backup)
//   blobs/sha256/ab/cd/<hex>

#include "core/clock.hpp"
#include "core/error.hpp"

#include <cstdint>
#include <filesystem>

namespace kho::storage {

class asset_store;
class database;
class blob_store;

struct backup_report {
    std::filesystem::path destination;
    std::size_t blobs_total = 0;
    std::size_t blobs_copied = 0;
    std::uint64_t bytes_copied = 0;
    unix_ms created_at = 0;
};

// `destination` must be an absolute path on this machine. errc::conflict
// when another backup is running.
// `secrets`: the data directory's secrets/ (share link keys), copied with
// its 0700/0600 modes so that restored share links still open.
result<backup_report> backup_to(database& db, asset_store& assets, blob_store& blobs,
                                const std::filesystem::path& destination, const kho::clock& clk,
                                const std::filesystem::path& secrets = {});

}  // namespace kho::storage
