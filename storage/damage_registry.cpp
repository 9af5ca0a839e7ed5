#include "storage/damage_registry.hpp"

#include "core/sha256.hpp"
#include "storage/rocks.hpp"

#include <nlohmann/json.hpp>
#include <rocksdb/iterator.h>

#include <memory>

namespace kho::storage {
namespace {

constexpr std::string_view k_prefix = "damaged.";

std::string key_of(const std::string& hex) {
    return std::string(k_prefix) + hex;
}

}  // namespace

damage_registry::damage_registry(database& db, kho::clock clk) : db_(db), clock_(std::move(clk)) {
    auto& h = db_.handles();
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(rocksdb::ReadOptions(), h[cf::meta]));
    for (it->Seek(std::string(k_prefix)); it->Valid() && it->key().starts_with(k_prefix);
         it->Next()) {
        damage_record r;
        r.sha256 = it->key().ToString().substr(k_prefix.size());
        auto j = nlohmann::json::parse(it->value().ToStringView(), nullptr, false);
        if (j.is_object()) {
            r.found_by = j.value("found_by", "");
            r.detail = j.value("detail", "");
            r.at = j.value("at", unix_ms{0});
        }
        if (is_sha256_hex(r.sha256)) records_.emplace(r.sha256, std::move(r));
    }
}

result<void> damage_registry::flag(const std::string& sha256_hex, std::string_view found_by,
                                   std::string_view detail) {
    if (!is_sha256_hex(sha256_hex)) return make_error(errc::internal, "bad digest");
    damage_record r{sha256_hex, std::string(found_by), std::string(detail), clock_.now()};
    nlohmann::json j{{"found_by", r.found_by}, {"detail", r.detail}, {"at", r.at}};
    auto& h = db_.handles();
    auto s = h.db->Put(sync_write(), h[cf::meta], key_of(sha256_hex),
                       j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    std::lock_guard lock(mutex_);
    // Shown even when the record could not be written (a full disk): the
    // damage is real either way.
    records_.insert_or_assign(sha256_hex, std::move(r));
    if (!s.ok()) return to_error(s, "record a damaged blob");
    return ok();
}

result<void> damage_registry::clear(const std::string& sha256_hex) {
    {
        std::lock_guard lock(mutex_);
        if (!records_.count(sha256_hex)) return ok();
    }
    auto& h = db_.handles();
    auto s = h.db->Delete(sync_write(), h[cf::meta], key_of(sha256_hex));
    if (!s.ok()) return to_error(s, "clear a damaged blob");
    std::lock_guard lock(mutex_);
    records_.erase(sha256_hex);
    return ok();
}

bool damage_registry::damaged(const std::string& sha256_hex) const {
    std::lock_guard lock(mutex_);
    return records_.count(sha256_hex) > 0;
}

std::vector<damage_record> damage_registry::list() const {
    std::lock_guard lock(mutex_);
    std::vector<damage_record> out;
    for (const auto& [sha, r] : records_) out.push_back(r);
    return out;
}

}  // namespace kho::storage
