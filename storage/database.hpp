#pragma once
// kho's RocksDB database: one DB with one column family per record type (the
// key layout of each is in docs/storage.md). Opening checks the schema
// version and refuses a database written by a newer kho.
//
// This header is RocksDB-free so that the rest of kho does not compile it;
// storage/*.cpp reach the handles through storage/rocks.hpp.

#include "core/error.hpp"

#include <filesystem>
#include <memory>

namespace kho::storage {

struct database_options {
    // Default: 64 MiB. RocksDB block cache shared by all column families.
    std::size_t block_cache_bytes = 64u << 20;
    // Default: 64 MiB. All memtables together (RocksDB's default is 64 MiB
    // per column family, more than a gigabyte across kho's families before
    // the first flush): past it the largest one is flushed to disk.
    std::size_t memtable_bytes = 64u << 20;
    // Default: 2. Background flush and compaction threads.
    int background_threads = 2;
};

class database {
  public:
    static constexpr int schema_version = 1;

    static result<std::unique_ptr<database>> open(const std::filesystem::path& dir,
                                                  const database_options& options = {});
    ~database();  // flushes and closes cleanly
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    struct impl;
    impl& handles() noexcept { return *impl_; }

  private:
    explicit database(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

}  // namespace kho::storage
