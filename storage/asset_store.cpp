#include "storage/asset_store.hpp"

#include "storage/key_codec.hpp"
#include "storage/rocks.hpp"

#include <rocksdb/iterator.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace kho::storage {
namespace {

constexpr std::string_view k_stat_blob_count = "stats.blob_count";
constexpr std::string_view k_stat_blob_bytes = "stats.blob_bytes";

std::string version_key(const ulid& id, std::uint32_t n) {
    std::string k(id.raw());
    append_u32_be(k, n);
    return k;
}

std::string index_prefix(char field, std::string_view value) {
    std::string k(1, field);
    k.append(value);
    k += '\0';
    return k;
}

std::vector<std::string> index_keys(const asset& a) {
    std::vector<std::string> keys;
    auto add = [&](char field, std::string_view value) {
        auto k = index_prefix(field, value);
        k.append(a.id.raw());
        keys.push_back(std::move(k));
    };
    add('k', to_string(a.meta.kind));
    for (const auto& t : a.meta.tags) add('t', t);
    if (!a.meta.campaign.empty()) add('c', a.meta.campaign);
    return keys;
}

std::string blob_key(const std::string& hex) {
    std::string k(32, '\0');
    for (size_t i = 0; i < 32; ++i)
        k[i] = static_cast<char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    return k;
}

// Which assets hold a given original: "s" + sha256 hex + 0x00 + asset id.
std::string content_index_key(const std::string& sha256_hex, const ulid& id) {
    auto k = index_prefix('s', sha256_hex);
    k.append(id.raw());
    return k;
}

bool matches(const asset& a, const asset_filter& f) {
    if (f.trashed != a.deleted_at.has_value()) return false;
    if (f.kind && a.meta.kind != *f.kind) return false;
    if (f.campaign && a.meta.campaign != *f.campaign) return false;
    if (f.tag && std::find(a.meta.tags.begin(), a.meta.tags.end(), *f.tag) == a.meta.tags.end())
        return false;
    return true;
}

}  // namespace

asset_store::asset_store(database& db, blob_store& blobs, kho::clock clk)
    : db_(db), blobs_(blobs), clock_(std::move(clk)) {}

std::uint64_t asset_store::cache_generation() const {
    std::lock_guard lock(cache_mutex_);
    return generation_;
}

void asset_store::cache_asset(std::uint64_t generation, const asset& a) const {
    std::lock_guard lock(cache_mutex_);
    if (generation != generation_) return;
    if (asset_cache_.size() >= k_cache_entries) asset_cache_.clear();
    asset_cache_.insert_or_assign(std::string(a.id.raw()), a);
}

void asset_store::cache_version(std::uint64_t generation, const ulid& id,
                                const asset_version& v) const {
    std::lock_guard lock(cache_mutex_);
    if (generation != generation_) return;
    if (version_cache_.size() >= k_cache_entries) version_cache_.clear();
    version_cache_.insert_or_assign(version_key(id, v.number), v);
}

void asset_store::invalidate(const ulid& id, std::uint32_t version_count) {
    std::lock_guard lock(cache_mutex_);
    ++generation_;
    asset_cache_.erase(std::string(id.raw()));
    for (std::uint32_t n = 1; n <= version_count; ++n) version_cache_.erase(version_key(id, n));
}

std::mutex& asset_store::asset_lock(const ulid& id) const {
    return asset_locks_[std::hash<std::string_view>{}(id.raw()) % asset_locks_.size()];
}

std::mutex& asset_store::blob_lock(const std::string& hex) const {
    return blob_locks_[std::hash<std::string>{}(hex) % blob_locks_.size()];
}

std::int64_t asset_store::ref_count(const std::string& hex) const {
    auto& h = db_.handles();
    std::string v;
    auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::blob_refs], blob_key(hex), &v);
    return s.ok() ? decode_counter(v) : 0;
}

store_stats asset_store::stats() const {
    auto& h = db_.handles();
    store_stats st;
    std::string v;
    if (h.db->Get(rocksdb::ReadOptions(), h[cf::meta], k_stat_blob_count, &v).ok())
        st.blob_count = decode_counter(v);
    if (h.db->Get(rocksdb::ReadOptions(), h[cf::meta], k_stat_blob_bytes, &v).ok())
        st.blob_bytes = decode_counter(v);
    return st;
}

result<bool> asset_store::place_blob(blob_writer& writer, const blob_info& blob) {
    return blobs_.place(writer, blob);
}

void asset_store::add_reference(rocksdb::WriteBatch& batch, const blob_info& blob) const {
    auto& h = db_.handles();
    batch.Merge(h[cf::blob_refs], blob_key(blob.sha256), encode_counter(1));
    if (ref_count(blob.sha256) == 0) {  // the first reference: a blob more in the statistics
        batch.Merge(h[cf::meta], k_stat_blob_count, encode_counter(1));
        batch.Merge(h[cf::meta], k_stat_blob_bytes,
                    encode_counter(static_cast<std::int64_t>(blob.size)));
    }
}

result<std::pair<asset, asset_version>> asset_store::create(asset_metadata meta, blob_writer writer,
                                                            const blob_info& blob,
                                                            const std::string& content_type,
                                                            const std::string& file_name,
                                                            const std::string& principal) {
    auto now = clock_.now();
    asset a;
    a.id = ids_.next();
    a.meta = std::move(meta);
    a.revision = 1;
    a.version_count = 1;
    a.created_by = principal;
    a.created_at = a.updated_at = now;
    asset_version v{1, blob.sha256, blob.size, content_type, file_name, principal, now};

    std::lock_guard blob_guard(blob_lock(blob.sha256));
    if (auto placed = place_blob(writer, blob); !placed) return placed.error();
    auto& h = db_.handles();
    rocksdb::WriteBatch batch;
    batch.Put(h[cf::assets], a.id.raw(), encode_record(a));
    batch.Put(h[cf::versions], version_key(a.id, 1), encode_record(v));
    for (const auto& k : index_keys(a)) batch.Put(h[cf::asset_index], k, "");
    batch.Put(h[cf::asset_index], content_index_key(blob.sha256, a.id), "");
    add_reference(batch, blob);
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "commit asset");
    return std::pair{std::move(a), std::move(v)};
}

result<asset_version> asset_store::add_version(const ulid& id, blob_writer writer,
                                               const blob_info& blob,
                                               const std::string& content_type,
                                               const std::string& file_name,
                                               const std::string& principal) {
    std::lock_guard asset_guard(asset_lock(id));
    auto a = get(id);
    if (!a) return a.error();
    if (a->deleted_at) return make_error(errc::gone, "the asset is in the trash");
    auto now = clock_.now();
    a->version_count += 1;
    a->revision += 1;
    a->updated_at = now;
    asset_version v{a->version_count, blob.sha256, blob.size, content_type,
                    file_name,        principal,   now};

    std::lock_guard blob_guard(blob_lock(blob.sha256));
    if (auto placed = place_blob(writer, blob); !placed) return placed.error();
    auto& h = db_.handles();
    rocksdb::WriteBatch batch;
    batch.Put(h[cf::assets], id.raw(), encode_record(*a));
    batch.Put(h[cf::versions], version_key(id, v.number), encode_record(v));
    batch.Put(h[cf::asset_index], content_index_key(blob.sha256, id), "");
    add_reference(batch, blob);
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "commit version");
    invalidate(id);
    return v;
}

void asset_store::for_each_version(
    const std::function<void(const ulid&, const asset_version&)>& fn) const {
    auto& h = db_.handles();
    std::unique_ptr<rocksdb::Iterator> it(
        h.db->NewIterator(rocksdb::ReadOptions(), h[cf::versions]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        auto key = it->key().ToStringView();
        auto id = ulid::from_raw(key.substr(0, 16));
        auto v = decode_version_record(it->value().ToStringView());
        if (id && v) fn(*id, *v);
    }
}

bool asset_store::remove_if_unreferenced(const std::string& sha256_hex, bool dry_run) {
    std::lock_guard guard(blob_lock(sha256_hex));
    if (ref_count(sha256_hex) > 0) return false;
    // While a backup runs, a blob its checkpoint still references may have
    // lost its last reference since: keep everything until it is done.
    if (!dry_run && backups_running_.load() == 0) (void)blobs_.remove(sha256_hex);
    return true;
}

result<asset> asset_store::get(const ulid& id) const {
    std::uint64_t generation;
    {
        std::lock_guard lock(cache_mutex_);
        if (auto it = asset_cache_.find(std::string(id.raw())); it != asset_cache_.end())
            return it->second;
        generation = generation_;
    }
    auto& h = db_.handles();
    std::string v;
    auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::assets], id.raw(), &v);
    if (s.IsNotFound()) return make_error(errc::not_found, "no asset with id " + id.to_string());
    if (!s.ok()) return to_error(s, "read asset");
    auto decoded = decode_asset_record(v);
    if (decoded) cache_asset(generation, *decoded);
    return decoded;
}

result<asset_version> asset_store::get_version(const ulid& id, std::uint32_t number) const {
    auto key = version_key(id, number);
    std::uint64_t generation;
    {
        std::lock_guard lock(cache_mutex_);
        if (auto it = version_cache_.find(key); it != version_cache_.end()) return it->second;
        generation = generation_;
    }
    auto& h = db_.handles();
    std::string v;
    auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::versions], key, &v);
    if (s.IsNotFound())
        return make_error(errc::not_found,
                          "asset " + id.to_string() + " has no version " + std::to_string(number));
    if (!s.ok()) return to_error(s, "read version");
    auto decoded = decode_version_record(v);
    if (decoded) cache_version(generation, id, *decoded);
    return decoded;
}

result<std::vector<asset_version>> asset_store::list_versions(const ulid& id) const {
    auto& h = db_.handles();
    std::string prefix(id.raw());
    std::string upper = prefix_successor(prefix);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(ro, h[cf::versions]));
    std::vector<asset_version> out;
    for (it->Seek(prefix); it->Valid(); it->Next()) {
        auto v = decode_version_record(it->value().ToStringView());
        if (!v) return v.error();
        out.push_back(std::move(*v));
    }
    if (!it->status().ok()) return to_error(it->status(), "list versions");
    return out;
}

result<asset_page> asset_store::list(const asset_filter& filter,
                                     const std::optional<std::string>& cursor,
                                     std::size_t limit) const {
    auto& h = db_.handles();
    std::optional<ulid> after;
    if (cursor) {
        auto c = ulid::parse(*cursor);
        if (!c) return make_error(errc::invalid_parameter, "cursor is not valid");
        after = *c;
    }
    // Walk one index (or the assets themselves) newest first.
    std::string prefix;
    rocksdb::ColumnFamilyHandle* family = h[cf::assets];
    if (filter.sha256) {
        prefix = index_prefix('s', *filter.sha256);
    } else if (filter.tag) {
        prefix = index_prefix('t', *filter.tag);
    } else if (filter.campaign) {
        prefix = index_prefix('c', *filter.campaign);
    } else if (filter.kind) {
        prefix = index_prefix('k', to_string(*filter.kind));
    }
    if (!prefix.empty()) family = h[cf::asset_index];

    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(rocksdb::ReadOptions(), family));
    if (after) {
        std::string start = prefix + std::string(after->raw());
        it->SeekForPrev(start);
        if (it->Valid() && it->key().ToStringView() == start) it->Prev();
    } else if (prefix.empty()) {
        it->SeekToLast();
    } else {
        auto upper = prefix_successor(prefix);
        it->SeekForPrev(upper);
        if (it->Valid() && it->key().ToStringView() == upper) it->Prev();
    }

    asset_page page;
    // A sparse filter must not turn one request into a full scan: after this
    // many records the page ends early and the cursor continues from there.
    std::size_t budget = limit * 20 + 1000;
    std::optional<ulid> last_seen;
    for (; it->Valid(); it->Prev()) {
        auto key = it->key().ToStringView();
        if (!key.starts_with(prefix) || key.size() != prefix.size() + 16) break;
        auto id = ulid::from_raw(key.substr(prefix.size()));
        if (!id) return id.error();
        if (page.items.size() == limit) {
            page.next_cursor = page.items.back().id.to_string();
            return page;
        }
        if (budget-- == 0) {
            page.next_cursor = last_seen ? last_seen->to_string() : std::optional<std::string>{};
            return page;
        }
        last_seen = *id;
        result<asset> a =
            prefix.empty() ? decode_asset_record(it->value().ToStringView()) : get(*id);
        if (!a) {
            if (a.error().code == errc::not_found) continue;  // purged meanwhile
            return a.error();
        }
        if (matches(*a, filter)) page.items.push_back(std::move(*a));
    }
    if (!it->status().ok()) return to_error(it->status(), "list assets");
    return page;
}

result<asset> asset_store::update(const ulid& id, std::uint64_t expected_revision,
                                  const asset_metadata_patch& patch) {
    std::lock_guard guard(asset_lock(id));
    auto a = get(id);
    if (!a) return a.error();
    if (a->deleted_at) return make_error(errc::gone, "the asset is in the trash");
    if (a->revision != expected_revision)
        return make_error(errc::precondition_failed,
                          "the asset changed: its revision is now " + std::to_string(a->revision));
    auto meta = apply_patch(a->meta, patch);
    if (!meta) return meta.error();
    auto old_keys = index_keys(*a);
    a->meta = std::move(*meta);
    a->revision += 1;
    a->updated_at = clock_.now();
    auto& h = db_.handles();
    rocksdb::WriteBatch batch;
    for (const auto& k : old_keys) batch.Delete(h[cf::asset_index], k);
    for (const auto& k : index_keys(*a)) batch.Put(h[cf::asset_index], k, "");
    batch.Put(h[cf::assets], id.raw(), encode_record(*a));
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "update asset");
    invalidate(id);
    return a;
}

result<asset> asset_store::trash(const ulid& id, std::optional<std::uint64_t> expected_revision) {
    std::lock_guard guard(asset_lock(id));
    auto a = get(id);
    if (!a) return a.error();
    if (a->deleted_at) return make_error(errc::conflict, "the asset is already in the trash");
    if (expected_revision && *expected_revision != a->revision)
        return make_error(errc::precondition_failed,
                          "the asset changed: its revision is now " + std::to_string(a->revision));
    a->deleted_at = clock_.now();
    a->revision += 1;
    a->updated_at = *a->deleted_at;
    return put_record(std::move(*a), "trash asset");
}

result<asset> asset_store::restore(const ulid& id) {
    std::lock_guard guard(asset_lock(id));
    auto a = get(id);
    if (!a) return a.error();
    if (!a->deleted_at) return make_error(errc::conflict, "the asset is not in the trash");
    a->deleted_at.reset();
    a->revision += 1;
    a->updated_at = clock_.now();
    return put_record(std::move(*a), "restore asset");
}

result<asset> asset_store::put_record(asset a, std::string_view what) {
    auto& h = db_.handles();
    auto s = h.db->Put(sync_write(), h[cf::assets], a.id.raw(), encode_record(a));
    if (!s.ok()) return to_error(s, what);
    invalidate(a.id);
    return a;
}

result<void> asset_store::purge(const ulid& id) {
    std::lock_guard guard(asset_lock(id));
    auto a = get(id);
    if (!a) return a.error();
    if (!a->deleted_at)
        return make_error(errc::conflict, "only an asset in the trash can be deleted for good");
    auto versions = list_versions(id);
    if (!versions) return versions.error();

    // Lock every blob stripe involved, in address order (no deadlock).
    std::set<std::mutex*> stripes;
    for (const auto& v : *versions) stripes.insert(&blob_lock(v.sha256));
    std::vector<std::unique_lock<std::mutex>> held;
    for (auto* m : stripes) held.emplace_back(*m);

    std::map<std::string, std::pair<std::int64_t, std::uint64_t>> drops;  // sha -> (refs, size)
    for (const auto& v : *versions) {
        auto& d = drops[v.sha256];
        d.first += 1;
        d.second = v.size;
    }
    auto& h = db_.handles();
    rocksdb::WriteBatch batch;
    batch.Delete(h[cf::assets], id.raw());
    for (const auto& v : *versions) batch.Delete(h[cf::versions], version_key(id, v.number));
    for (const auto& k : index_keys(*a)) batch.Delete(h[cf::asset_index], k);
    for (const auto& v : *versions)
        batch.Delete(h[cf::asset_index], content_index_key(v.sha256, id));
    std::vector<std::string> unreferenced;
    for (const auto& [sha, d] : drops) {
        batch.Merge(h[cf::blob_refs], blob_key(sha), encode_counter(-d.first));
        if (ref_count(sha) - d.first <= 0) {
            unreferenced.push_back(sha);
            batch.Delete(h[cf::blob_refs], blob_key(sha));
            batch.Merge(h[cf::meta], k_stat_blob_count, encode_counter(-1));
            batch.Merge(h[cf::meta], k_stat_blob_bytes,
                        encode_counter(-static_cast<std::int64_t>(d.second)));
        }
    }
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "purge asset");
    invalidate(id, a->version_count);
    // Metadata no longer refers to these blobs; removing the files may fail
    // without harm (gc finds them later).
    // A backup that started before this commit may still copy these blobs:
    // leave them to gc then (the counter is read after the commit, and a
    // backup raises it before its checkpoint).
    if (backups_running_.load() == 0)
        for (const auto& sha : unreferenced) (void)blobs_.remove(sha);
    return ok();
}

}  // namespace kho::storage
