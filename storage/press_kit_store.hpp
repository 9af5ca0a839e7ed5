#pragma once
// Press kits, by id, newest first; every change audited in its own commit.
// Also the CRC-32 of blobs (a ZIP's headers need it before the bytes), kept
// once computed: blobs never change.

#include "core/audit.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/press_kit.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace kho::storage {

class database;
class audit_log;

struct press_kit_page {
    std::vector<press_kit> items;  // newest first
    std::optional<std::string> next_cursor;
};

class press_kit_store {
  public:
    press_kit_store(database& db, audit_log& audit, kho::clock clk = {});

    // `kit` is validated (core/press_kit.hpp); id and times are set here.
    result<press_kit> create(press_kit kit, const audit_context& who);
    // errc::precondition_failed when `expected_revision` is given and stale.
    result<press_kit> update(const ulid& id, const press_kit_input& in,
                             std::optional<std::uint64_t> expected_revision,
                             const audit_context& who);
    result<void> remove(const ulid& id, const audit_context& who);
    result<press_kit> get(const ulid& id) const;
    result<press_kit_page> list(const std::optional<std::string>& cursor, std::size_t limit) const;

    std::optional<std::uint32_t> cached_crc32(const std::string& sha256_hex) const;
    void cache_crc32(const std::string& sha256_hex, std::uint32_t crc);

  private:
    database& db_;
    audit_log& audit_;
    kho::clock clock_;
    ulid_generator ids_;
    std::mutex write_mutex_;
};

}  // namespace kho::storage
