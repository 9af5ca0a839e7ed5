#include "storage/audit_log.hpp"

#include "core/text.hpp"
#include "storage/key_codec.hpp"
#include "storage/rocks.hpp"

#include <rocksdb/iterator.h>

#include <algorithm>
#include <chrono>
#include <memory>

namespace kho::storage {
namespace {

constexpr std::size_t k_max_limit = 1000;
constexpr unix_ms k_max_ulid_ms = (unix_ms{1} << 48) - 1;

std::string index_prefix(char field, std::string_view value) {
    std::string k(1, field);
    k.append(value);
    k += '\0';
    return k;
}

// The smallest 16-byte ULID key of millisecond `t`: every id made at `t` or
// later sorts at or after it, every earlier one before it.
std::string time_key(unix_ms t) {
    std::string k;
    append_u64_be(k, static_cast<std::uint64_t>(std::clamp<unix_ms>(t, 0, k_max_ulid_ms)) << 16);
    k.resize(16, '\0');
    return k;
}

bool is_prefix_pattern(std::string_view s, std::string_view terminators) {
    return !s.empty() && terminators.find(s.back()) != std::string_view::npos;
}

bool matches_pattern(std::string_view value, std::string_view pattern,
                     std::string_view terminators) {
    return is_prefix_pattern(pattern, terminators) ? value.starts_with(pattern) : value == pattern;
}

// Time bounds are applied by the key range; these are the other fields.
bool matches(const audit_entry& e, const audit_filter& f) {
    if (f.actor && e.actor != *f.actor) return false;
    if (f.target && !matches_pattern(e.target, *f.target, "/:")) return false;
    if (f.action && !matches_pattern(e.action, *f.action, ".")) return false;
    return true;
}

}  // namespace

audit_log::audit_log(database& db, kho::clock clk, std::size_t scan_budget)
    : db_(db), clock_(std::move(clk)), scan_budget_(std::max<std::size_t>(scan_budget, 1)) {}

void audit_log::append(rocksdb::WriteBatch& batch, audit_entry& e) {
    e.at = clock_.now();
    auto ms = std::chrono::milliseconds(std::clamp<unix_ms>(e.at, 0, k_max_ulid_ms));
    auto id = ids_.next(std::chrono::system_clock::time_point(ms));
    e.id = id.to_string();
    // Entries quote what clients sent (a user name that failed to log in);
    // keep them valid UTF-8 so that every reader can print them, and keep
    // 0x00 out of the names that end with it in index keys.
    for (auto* s : {&e.actor, &e.action, &e.target, &e.client_address, &e.comment})
        if (!is_valid_utf8(*s)) *s = to_valid_utf8(*s);
    for (auto* s : {&e.actor, &e.target})
        for (auto pos = s->find('\0'); pos != std::string::npos; pos = s->find('\0', pos))
            s->replace(pos, 1, "\uFFFD");

    auto& h = db_.handles();
    batch.Put(h[cf::audit], id.raw(), encode_record(e));
    batch.Put(h[cf::audit_index], index_prefix('a', e.actor) + std::string(id.raw()), "");
    batch.Put(h[cf::audit_index], index_prefix('t', e.target) + std::string(id.raw()), "");
}

result<audit_entry> audit_log::record(audit_entry e) {
    rocksdb::WriteBatch batch;
    append(batch, e);
    auto& h = db_.handles();
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "record audit entry");
    return e;
}

result<audit_page> audit_log::list(const audit_filter& f, const std::optional<std::string>& cursor,
                                   std::size_t limit) const {
    if (limit < 1 || limit > k_max_limit)
        return make_error(errc::invalid_parameter,
                          "limit must be between 1 and " + std::to_string(k_max_limit));
    std::optional<ulid> after;
    if (cursor) {
        auto c = ulid::parse(*cursor);
        if (!c) return make_error(errc::invalid_parameter, "cursor is not valid");
        after = *c;
    }

    audit_page page;
    auto has_nul = [](const std::optional<std::string>& s) {
        return s && s->find('\0') != std::string::npos;
    };
    if (has_nul(f.actor) || has_nul(f.target)) return page;  // append() never stores one

    // Walk one index (or the log itself) newest first. A target prefix has
    // no index of its own: the log is walked and filtered.
    auto& h = db_.handles();
    std::string prefix;
    rocksdb::ColumnFamilyHandle* family = h[cf::audit];
    if (f.actor) {
        prefix = index_prefix('a', *f.actor);
    } else if (f.target && !is_prefix_pattern(*f.target, "/:")) {
        prefix = index_prefix('t', *f.target);
    }
    if (!prefix.empty()) family = h[cf::audit_index];

    // Key range [lower, upper): since, until and the cursor bound the ULID.
    std::string lower = prefix;
    if (f.since) lower += time_key(*f.since);
    std::optional<std::string> upper_id;
    if (f.until && *f.until <= k_max_ulid_ms) upper_id = time_key(*f.until);
    if (after && (!upper_id || after->raw() < *upper_id)) upper_id = std::string(after->raw());
    std::string upper = upper_id ? prefix + *upper_id : prefix_successor(prefix);

    if (!upper.empty() && upper <= lower) return page;

    rocksdb::Slice lower_slice(lower);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    if (!lower.empty()) ro.iterate_lower_bound = &lower_slice;
    if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(ro, family));

    std::size_t examined = 0;
    ulid last_examined;
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
        if (page.items.size() == limit) {
            page.next_cursor = page.items.back().id;
            return page;
        }
        if (examined == scan_budget_) {
            page.next_cursor = last_examined.to_string();
            return page;
        }
        ++examined;
        auto key = it->key().ToStringView();
        // Names in index keys never contain 0x00 (append() replaces it), so
        // every key in the range is the prefix and an id.
        if (key.size() != prefix.size() + 16 || !key.starts_with(prefix)) continue;
        auto raw = key.substr(prefix.size());
        auto id = ulid::from_raw(raw);
        if (!id) return id.error();
        last_examined = *id;
        std::string fetched;
        std::string_view value;
        if (family == h[cf::audit]) {
            value = it->value().ToStringView();
        } else {
            auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::audit], raw, &fetched);
            if (s.IsNotFound()) continue;  // an index key without its entry: never written
            if (!s.ok()) return to_error(s, "read audit entry");
            value = fetched;
        }
        auto e = decode_audit_record(value);
        if (!e) return e.error();
        if (matches(*e, f)) page.items.push_back(std::move(*e));
    }
    if (!it->status().ok()) return to_error(it->status(), "list audit entries");
    return page;
}

}  // namespace kho::storage
