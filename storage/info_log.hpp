#pragma once
// Internal to storage/: RocksDB's informational log (db/LOG), written so
// that a failed write loses a line and nothing else.
//
// Why not RocksDB's own: Debian 12's librocksdb 7.8 is built with
// assertions on, and its file logger asserts that no write failed before
// (WritableFileWriter::AssertFalseAndGetStatusForPrevError): on a full
// disk the first log line that cannot be written makes the next one abort
// the whole server. (RocksDB 9 stops writing to a file after an error
// instead, facebook/rocksdb#12448.)
//
// At open the previous LOG becomes LOG.old.<ms since the epoch>, and only
// the newest `keep_old` old logs stay, as RocksDB does.

#include <rocksdb/env.h>

#include <filesystem>
#include <memory>

namespace kho::storage {

std::shared_ptr<rocksdb::Logger> open_info_log(const std::filesystem::path& db_dir,
                                               std::size_t keep_old);

}  // namespace kho::storage
