#pragma once
// The unit service: the tree of units (Ministry -> Sở GDĐT -> schools), kept
// in the `units` column family (key: the code's bytes; value:
// encode_record(unit)) and, because it is small (at most some 60 000 units)
// and read on every request, held in memory as well. load() reads it once at
// start-up; every change is written through: first the database (one
// synchronous WriteBatch with the records and the audit entry), then memory.
//
// Tree rules, checked by every change and by import:
//  - at most one unit has no parent (the root, the Ministry);
//  - every other unit's parent exists;
//  - there are no cycles.
//
// Thread safety: all member functions may be called concurrently. Readers
// share a lock that changes hold only while they update memory, after the
// database commit; changes are serialized among themselves.

#include "core/audit.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/unit.hpp"
#include "core/units_csv.hpp"

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace rocksdb {
class WriteBatch;
}

namespace kho::storage {

class audit_log;
class database;

struct unit_filter {
    std::optional<std::string> parent;    // direct children of this code ("" = the root)
    std::optional<std::string> province;  // exact
    std::optional<education_level> level;
    std::optional<std::string> query;  // diacritic- and case-insensitive substring of name or code
};

// Fields to change; absent ones stay. parent_code "" makes the unit the root.
struct unit_patch {
    std::optional<std::string> name;
    std::optional<std::string> parent_code;
    std::optional<std::string> province;
    std::optional<education_level> level;
};

struct unit_import_report {
    std::size_t created = 0;
    std::size_t updated = 0;
    std::size_t unchanged = 0;
    std::vector<csv_row_error> errors;  // non-empty: nothing was written
};

class unit_store {
  public:
    unit_store(database& db, audit_log& audit, kho::clock clk = {});

    // Reads the whole tree from the database, replacing what is in memory.
    // Call once at start-up before anything else (the constructor does not
    // read). errc::internal for a corrupt record.
    result<void> load();

    std::optional<unit> get(std::string_view code) const;
    // Ordered by code.
    std::vector<unit> list(const unit_filter& f) const;
    std::size_t size() const;

    // Codes from the unit's parent up to the root; empty for the root and for
    // an unknown code.
    std::vector<std::string> ancestors(std::string_view code) const;
    // True when `code` exists and is `ancestor_or_self` or lies below it.
    bool is_within(std::string_view code, std::string_view ancestor_or_self) const;

    // Validates `u` (kho::validate), sets its times and stores it with a
    // "unit.created" audit entry (target "unit:<code>").
    // errc::invalid_parameter for an invalid unit, errc::conflict when the
    // code exists, errc::unprocessable when the parent is unknown or when `u`
    // would be a second root.
    result<unit> create(unit u, const audit_context& who);

    // Applies the patch and stores it with a "unit.updated" audit entry whose
    // detail lists each changed field as {"from": ..., "to": ...}. A patch
    // that changes nothing writes nothing. errc::not_found, errc::invalid_parameter
    // (validation), errc::unprocessable (unknown parent, second root, cycle).
    result<unit> update(std::string_view code, const unit_patch& p, const audit_context& who);

    // Deletes a unit with a "unit.deleted" audit entry. errc::not_found;
    // errc::conflict when it has children or when the in-use check says that
    // something (users) still belongs to it.
    result<void> remove(std::string_view code, const audit_context& who);

    // Upserts the units of a CSV file (see core/units_csv.hpp) by code: a new
    // code is created, an existing one updated, an identical one left alone.
    // Units missing from the file are kept. Rows may come in any order; a
    // parent may be stored already or be another row of the file.
    //
    // All or nothing: when any row has an error (syntax, validation, unknown
    // parent, second root, cycle), nothing is written and the result is a
    // *successful* report whose `errors` lists every error with its line
    // (the API answers 422 with that list); the counts are then zero.
    // Otherwise everything is written in one synchronous WriteBatch with one
    // "unit.imported" audit entry (target "units", detail {created, updated,
    // unchanged}). A failed result is only for a database failure.
    result<unit_import_report> import_csv(std::string_view csv, const audit_context& who);

    // Every unit, ordered by code, in the format import_csv reads.
    std::string export_csv() const;

    // Installs the check remove() asks whether a unit is still in use (users
    // belong to it). It is called with the changes' lock held: it may read
    // this store but must not change it.
    void set_in_use_check(std::function<bool(std::string_view code)> fn);

  private:
    struct entry {
        unit u;
        std::string folded_name;  // fold_for_search(name)
        std::string folded_code;  // code in lower case
    };
    using children_map = std::map<std::string, std::set<std::string, std::less<>>, std::less<>>;

    static entry make_index_entry(unit u);
    // Memory updates; the caller holds both locks.
    void put_locked(entry e);
    void erase_locked(const std::string& code);
    // Whether `code` may get `parent` as its parent in the stored tree
    // (exists, no second root, no cycle). Caller holds write_mutex_.
    result<void> check_parent(std::string_view code, std::string_view parent) const;
    // Adds the errors of the tree the import would make (file rows over the
    // stored units): a second root, unknown parents, cycles. Caller holds
    // write_mutex_.
    void check_import_tree(const std::vector<unit_csv_row>& rows, bool parse_failed,
                           std::vector<csv_row_error>& errors) const;
    // Adds `e` to the batch and commits it synchronously.
    result<void> commit(rocksdb::WriteBatch& batch, audit_entry& e, std::string_view what);

    database& db_;
    audit_log& audit_;
    kho::clock clock_;

    std::mutex write_mutex_;                // serializes changes
    mutable std::shared_mutex read_mutex_;  // guards the members below
    std::map<std::string, entry, std::less<>> units_;
    children_map children_;                         // parent code -> codes of its children
    std::string root_;                              // "" when the store is empty
    std::function<bool(std::string_view)> in_use_;  // guarded by write_mutex_
};

}  // namespace kho::storage
