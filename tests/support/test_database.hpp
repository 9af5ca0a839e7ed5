#pragma once
// The database of a storage test: opened at `path` with a small block
// cache; the test fails here if it cannot be opened.

#include "storage/database.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>

namespace kho::test {

inline std::unique_ptr<kho::storage::database> open_test_database(const std::filesystem::path& path) {
    kho::storage::database_options options;
    options.block_cache_bytes = 8u << 20;
    auto d = kho::storage::database::open(path, options);
    REQUIRE(d.has_value());
    return std::move(*d);
}

}  // namespace kho::test
