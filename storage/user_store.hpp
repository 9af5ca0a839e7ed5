#pragma once
// User accounts. Keys in the `users` column family (docs/storage.md):
//   'i' + id             -> user record
//   'n' + user name      -> id      (sign-in lookups, listing by name)
//   'u' + unit + 0x00 + id -> ""    (who belongs to a unit)
// Every change is one synchronous WriteBatch with its audit entries.
//
// Thread safety: all member functions may be called concurrently; changes
// to one user are serialized by a mutex.

#include "core/audit.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ulid.hpp"
#include "core/user.hpp"

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace kho::storage {

class database;
class audit_log;

struct user_filter {
    std::optional<kho::role> role;
    std::optional<std::string> unit;
    std::optional<std::string> query;  // diacritic-insensitive part of the user or display name
};

struct user_page {
    std::vector<user> items;  // by user name
    std::optional<std::string> next_cursor;
};

struct user_patch {
    std::optional<std::string> display_name;
    std::optional<kho::role> role;
    std::optional<std::string> unit_code;
    std::optional<bool> disabled;
};

class user_store {
  public:
    user_store(database& db, audit_log& audit, kho::clock clk = {});

    // `u` carries a normalized user name and display name, role, unit and
    // password hash; id and times are assigned. errc::conflict when the user
    // name is taken. Audited as "user.created".
    result<user> create(user u, const audit_context& who);

    result<user> get(const std::string& id) const;
    result<user> find_by_username(std::string_view username) const;
    result<user_page> list(const user_filter& f, const std::optional<std::string>& cursor,
                           std::size_t limit) const;

    // Audited per change: "user.renamed", "user.role_changed",
    // "user.unit_changed", "user.disabled", "user.enabled".
    result<user> update(const std::string& id, const user_patch& p, const audit_context& who);

    // Stores a new password hash. `action` is "user.password_changed" (by
    // its owner) or "user.password_reset" (by an admin).
    result<user> set_password(const std::string& id, std::string hash, bool must_change,
                              const audit_context& who, std::string_view action);
    // Replaces the hash with a stronger one of the same password (login with
    // raised parameters); not audited.
    result<void> upgrade_hash(const std::string& id, std::string hash);

    std::size_t count() const;
    bool unit_in_use(std::string_view unit_code) const;

  private:
    result<user> commit(user u, const std::optional<user>& before, std::vector<audit_entry> entries);

    database& db_;
    audit_log& audit_;
    kho::clock clock_;
    ulid_generator ids_;
    std::mutex write_mutex_;
    mutable std::mutex cache_mutex_;
    mutable std::unordered_map<std::string, user> cache_;  // by id
};

}  // namespace kho::storage
