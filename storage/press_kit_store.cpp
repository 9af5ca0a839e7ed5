#include "storage/press_kit_store.hpp"

#include "storage/audit_log.hpp"
#include "storage/key_codec.hpp"
#include "storage/rocks.hpp"

#include <rocksdb/iterator.h>

namespace kho::storage {
namespace {

// `press_kits` keys: 'k' + kit id (16 B) -> record; 'c' + blob SHA-256 hex
// -> CRC-32 (u32 BE).
std::string kit_key(const ulid& id) {
    std::string k = "k";
    k.append(id.raw());
    return k;
}

audit_entry entry(const audit_context& who, std::string action, const press_kit& k) {
    audit_entry e;
    e.actor = who.actor;
    e.client_address = who.client_address;
    e.action = std::move(action);
    e.target = "press_kit:" + k.id.to_string();
    e.detail = {{"title", k.title}, {"items", k.items.size()}, {"revision", k.revision}};
    if (k.embargo_until) e.detail["embargo_until"] = format_rfc3339(*k.embargo_until);
    if (k.expires_at) e.detail["expires_at"] = format_rfc3339(*k.expires_at);
    return e;
}

}  // namespace

press_kit_store::press_kit_store(database& db, audit_log& audit, kho::clock clk)
    : db_(db), audit_(audit), clock_(std::move(clk)) {}

result<press_kit> press_kit_store::create(press_kit kit, const audit_context& who) {
    auto& h = db_.handles();
    kit.id = ids_.next();
    kit.created_by = who.actor;
    kit.created_at = kit.updated_at = clock_.now();
    kit.revision = 1;
    rocksdb::WriteBatch batch;
    batch.Put(h[cf::press_kits], kit_key(kit.id), encode_record(kit));
    auto e = entry(who, "press_kit.created", kit);
    audit_.append(batch, e);
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "store press kit");
    return kit;
}

result<press_kit> press_kit_store::update(const ulid& id, const press_kit_input& in,
                                          std::optional<std::uint64_t> expected_revision,
                                          const audit_context& who) {
    std::lock_guard guard(write_mutex_);
    auto current = get(id);
    if (!current) return current.error();
    if (expected_revision && *expected_revision != current->revision)
        return make_error(errc::precondition_failed, "the press kit changed: its revision is now " +
                                                         std::to_string(current->revision));
    auto changed = apply_input(*current, in, false);
    if (!changed) return changed.error();
    changed->revision += 1;
    changed->updated_at = clock_.now();
    auto& h = db_.handles();
    rocksdb::WriteBatch batch;
    batch.Put(h[cf::press_kits], kit_key(id), encode_record(*changed));
    auto e = entry(who, "press_kit.updated", *changed);
    audit_.append(batch, e);
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "update press kit");
    return changed;
}

result<void> press_kit_store::remove(const ulid& id, const audit_context& who) {
    std::lock_guard guard(write_mutex_);
    auto current = get(id);
    if (!current) return current.error();
    auto& h = db_.handles();
    rocksdb::WriteBatch batch;
    batch.Delete(h[cf::press_kits], kit_key(id));
    auto e = entry(who, "press_kit.deleted", *current);
    audit_.append(batch, e);
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "delete press kit");
    return {};
}

result<press_kit> press_kit_store::get(const ulid& id) const {
    auto& h = db_.handles();
    std::string v;
    auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::press_kits], kit_key(id), &v);
    if (s.IsNotFound()) return make_error(errc::not_found, "no press kit with id " + id.to_string());
    if (!s.ok()) return to_error(s, "read press kit");
    return decode_press_kit_record(v);
}

result<press_kit_page> press_kit_store::list(const std::optional<std::string>& cursor,
                                             std::size_t limit) const {
    auto& h = db_.handles();
    std::optional<std::string> after;
    if (cursor) {
        auto id = ulid::parse(*cursor);
        if (!id) return make_error(errc::invalid_parameter, "cursor is not one this server gave out");
        after = std::string(id->raw());
    }
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(rocksdb::ReadOptions(), h[cf::press_kits]));
    seek_newest_first(*it, "k", after);
    press_kit_page page;
    for (; it->Valid() && it->key().starts_with("k"); it->Prev()) {
        if (page.items.size() == limit) {
            page.next_cursor = page.items.back().id.to_string();
            break;
        }
        auto k = decode_press_kit_record(it->value().ToStringView());
        if (!k) return k.error();
        page.items.push_back(std::move(*k));
    }
    if (!it->status().ok()) return to_error(it->status(), "list press kits");
    return page;
}

std::optional<std::uint32_t> press_kit_store::cached_crc32(const std::string& sha256_hex) const {
    auto& h = db_.handles();
    std::string v;
    if (!h.db->Get(rocksdb::ReadOptions(), h[cf::press_kits], "c" + sha256_hex, &v).ok() || v.size() != 4)
        return std::nullopt;
    return read_u32_be(v);
}

void press_kit_store::cache_crc32(const std::string& sha256_hex, std::uint32_t crc) {
    auto& h = db_.handles();
    std::string v;
    append_u32_be(v, crc);
    (void)h.db->Put(rocksdb::WriteOptions(), h[cf::press_kits], "c" + sha256_hex, v);
}

}  // namespace kho::storage
