#include "storage/asset_store.hpp"

#include "core/sha256.hpp"
#include "storage/audit_log.hpp"
#include "storage/catalog_index.hpp"
#include "storage/job_queue.hpp"
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

// The review queue: "q" + submitted_at (u64 BE) + asset id + version (u32 BE).
std::string review_key(unix_ms submitted_at, const ulid& id, std::uint32_t n) {
    std::string k = "q";
    append_u64_be(k, static_cast<std::uint64_t>(submitted_at));
    k.append(id.raw());
    append_u32_be(k, n);
    return k;
}
constexpr std::size_t k_review_key_size = 1 + 8 + 16 + 4;

std::optional<std::string> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) return std::nullopt;
    std::string out;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
    }
    return out;
}

std::string allowed_list(version_state from) {
    std::string out;
    for (auto a : allowed_actions(from)) out += (out.empty() ? "" : ", ") + std::string(to_string(a));
    return out.empty() ? "none" : out;
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

asset_store::asset_store(database& db, blob_store& blobs, audit_log& audit, kho::clock clk)
    : db_(db), blobs_(blobs), audit_(audit), clock_(std::move(clk)), damage_(db, clock_) {}

audit_entry asset_store::entry_for(const audit_context& who, std::string action,
                                   std::string target) const {
    audit_entry e;
    e.actor = who.actor;
    e.client_address = who.client_address;
    e.action = std::move(action);
    e.target = std::move(target);
    return e;
}

struct asset_store::catalog_change {
    catalog_index* index = nullptr;
    std::optional<std::shared_lock<std::shared_mutex>> guard;
    std::shared_ptr<const catalog_doc> doc;
    // After the commit.
    void publish() {
        if (index && doc) index->publish(std::move(doc));
    }
};

asset_store::catalog_change asset_store::stage_catalog(
    rocksdb::WriteBatch& batch, const asset& a, const std::vector<asset_version>& changed) const {
    catalog_change c;
    if (!catalog_) return c;
    c.index = catalog_;
    c.guard.emplace(catalog_->write_guard());
    std::vector<asset_version> versions;
    if (auto stored = list_versions(a.id)) versions = std::move(*stored);
    for (const auto& v : changed) {
        auto it = std::find_if(versions.begin(), versions.end(),
                               [&](const asset_version& x) { return x.number == v.number; });
        if (it == versions.end())
            versions.push_back(v);
        else
            *it = v;
    }
    std::sort(versions.begin(), versions.end(),
              [](const auto& x, const auto& y) { return x.number < y.number; });
    c.doc = catalog_->stage(batch, a, versions);
    return c;
}

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

void asset_store::cache_versions(std::uint64_t generation, const ulid& id,
                                 const std::vector<asset_version>& versions) const {
    std::lock_guard lock(cache_mutex_);
    if (generation != generation_) return;
    if (versions_cache_.size() >= k_cache_entries) versions_cache_.clear();
    versions_cache_.insert_or_assign(std::string(id.raw()), versions);
}

void asset_store::invalidate(const ulid& id, std::uint32_t version_count) {
    std::lock_guard lock(cache_mutex_);
    ++generation_;
    asset_cache_.erase(std::string(id.raw()));
    versions_cache_.erase(std::string(id.raw()));
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
    if (!damage_.damaged(blob.sha256)) return blobs_.place(writer, blob);
    // The stored file of these bytes is damaged: deduplicating would keep
    // serving it. The new, hashed bytes replace it, which repairs every
    // asset that shares the blob.
    if (auto r = blobs_.replace(writer, blob); !r) return r.error();
    (void)damage_.clear(blob.sha256);  // a record left behind only shows until the next verify
    return false;
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
                                                            const audit_context& who,
                                                            const commit_hook& also) {
    if (auto staged = blobs_.stage(writer, blob); !staged) return staged.error();
    const std::string& principal = who.actor;
    auto now = clock_.now();
    asset a;
    a.id = ids_.next();
    a.meta = std::move(meta);
    a.revision = 1;
    a.version_count = 1;
    a.created_by = principal;
    a.created_at = a.updated_at = now;
    asset_version v;
    v.number = 1;
    v.sha256 = blob.sha256;
    v.size = blob.size;
    v.content_type = content_type;
    v.file_name = file_name;
    v.uploaded_by = principal;
    v.created_at = now;

    std::lock_guard blob_guard(blob_lock(blob.sha256));
    if (auto placed = place_blob(writer, blob); !placed) return placed.error();
    auto& h = db_.handles();
    rocksdb::WriteBatch batch;
    batch.Put(h[cf::assets], a.id.raw(), encode_record(a));
    batch.Put(h[cf::versions], version_key(a.id, 1), encode_record(v));
    for (const auto& k : index_keys(a)) batch.Put(h[cf::asset_index], k, "");
    batch.Put(h[cf::asset_index], content_index_key(blob.sha256, a.id), "");
    add_reference(batch, blob);
    auto e = entry_for(who, "asset.created", "asset:" + a.id.to_string() + "/v1");
    e.detail = {{"title", a.meta.title}, {"sha256", blob.sha256}, {"file_name", file_name}};
    audit_.append(batch, e);
    bool queued = jobs_ && jobs_->enqueue(batch, a.id, v).has_value();
    if (also) also(batch, a, v);
    auto catalog = stage_catalog(batch, a, {v});
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "commit asset");
    catalog.publish();
    if (queued) jobs_->notify();
    return std::pair{std::move(a), std::move(v)};
}

result<asset_version> asset_store::add_version(const ulid& id, blob_writer writer,
                                               const blob_info& blob,
                                               const std::string& content_type,
                                               const std::string& file_name,
                                               const audit_context& who, const commit_hook& also) {
    if (auto staged = blobs_.stage(writer, blob); !staged) return staged.error();
    std::lock_guard asset_guard(asset_lock(id));
    auto a = get(id);
    if (!a) return a.error();
    if (a->deleted_at) return make_error(errc::gone, "the asset is in the trash");
    auto now = clock_.now();
    a->version_count += 1;
    a->revision += 1;
    a->updated_at = now;
    asset_version v;
    v.number = a->version_count;
    v.sha256 = blob.sha256;
    v.size = blob.size;
    v.content_type = content_type;
    v.file_name = file_name;
    v.uploaded_by = who.actor;
    v.created_at = now;

    std::lock_guard blob_guard(blob_lock(blob.sha256));
    if (auto placed = place_blob(writer, blob); !placed) return placed.error();
    auto& h = db_.handles();
    rocksdb::WriteBatch batch;
    batch.Put(h[cf::assets], id.raw(), encode_record(*a));
    batch.Put(h[cf::versions], version_key(id, v.number), encode_record(v));
    batch.Put(h[cf::asset_index], content_index_key(blob.sha256, id), "");
    add_reference(batch, blob);
    auto e = entry_for(who, "version.created",
                       "asset:" + id.to_string() + "/v" + std::to_string(v.number));
    e.detail = {{"sha256", blob.sha256}, {"file_name", file_name}};
    audit_.append(batch, e);
    bool queued = jobs_ && jobs_->enqueue(batch, id, v).has_value();
    if (also) also(batch, *a, v);
    auto catalog = stage_catalog(batch, *a, {v});
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "commit version");
    catalog.publish();
    if (queued) jobs_->notify();
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

void asset_store::for_each_rendition(
    const std::function<void(const ulid&, std::uint32_t, const rendition&)>& fn) const {
    auto& h = db_.handles();
    std::unique_ptr<rocksdb::Iterator> it(
        h.db->NewIterator(rocksdb::ReadOptions(), h[cf::renditions]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        auto key = it->key().ToStringView();
        if (key.size() < 20) continue;
        auto id = ulid::from_raw(key.substr(0, 16));
        auto r = decode_rendition_record(it->value().ToStringView());
        if (id && r) fn(*id, read_u32_be(key.substr(16, 4)), *r);
    }
}

reference_audit asset_store::audit_references() const {
    auto& h = db_.handles();
    // One snapshot: a change committed meanwhile is either wholly in it or
    // wholly out of it, as its records and counts share one batch.
    const rocksdb::Snapshot* snap = h.db->GetSnapshot();
    rocksdb::ReadOptions ro;
    ro.snapshot = snap;
    std::map<std::string, std::pair<std::int64_t, std::uint64_t>> actual;  // raw digest -> (refs, size)
    auto count = [&](const std::string& hex, std::uint64_t size) {
        if (!is_sha256_hex(hex)) return;
        auto& a = actual[blob_key(hex)];
        a.first += 1;
        a.second = size;
    };
    {
        std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(ro, h[cf::versions]));
        for (it->SeekToFirst(); it->Valid(); it->Next())
            if (auto v = decode_version_record(it->value().ToStringView())) count(v->sha256, v->size);
    }
    {
        std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(ro, h[cf::renditions]));
        for (it->SeekToFirst(); it->Valid(); it->Next())
            if (auto r = decode_rendition_record(it->value().ToStringView())) count(r->sha256, r->size);
    }
    reference_audit report;
    auto hex_of = [](std::string_view raw) {
        return to_hex(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
    };
    {
        std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(ro, h[cf::blob_refs]));
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
            auto key = it->key().ToString();
            auto recorded = decode_counter(it->value().ToStringView());
            auto found = actual.find(key);
            std::int64_t in_use = found == actual.end() ? 0 : found->second.first;
            if (recorded != in_use) report.mismatches.push_back({hex_of(key), recorded, in_use});
            if (found != actual.end()) found->second.first = -found->second.first;  // seen
        }
    }
    for (const auto& [key, a] : actual) {
        if (a.first > 0) report.mismatches.push_back({hex_of(key), 0, a.first});  // no count at all
        ++report.referenced_blobs;
        report.referenced_bytes += a.second;
    }
    std::string v;
    if (h.db->Get(ro, h[cf::meta], k_stat_blob_count, &v).ok())
        report.recorded_blob_count = decode_counter(v);
    if (h.db->Get(ro, h[cf::meta], k_stat_blob_bytes, &v).ok())
        report.recorded_blob_bytes = decode_counter(v);
    h.db->ReleaseSnapshot(snap);
    return report;
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
    std::uint64_t generation;
    {
        std::lock_guard lock(cache_mutex_);
        if (auto it = versions_cache_.find(std::string(id.raw())); it != versions_cache_.end())
            return it->second;
        generation = generation_;
    }
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
    // Not an empty list: an asset created later under this id would not
    // drop it (creating an asset invalidates nothing; its id is new).
    if (!out.empty()) cache_versions(generation, id, out);
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
    seek_newest_first(*it, prefix,
                      after ? std::optional<std::string_view>(after->raw()) : std::nullopt);

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
                                  const asset_metadata_patch& patch, const audit_context& who) {
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
    auto e = entry_for(who, "asset.updated", "asset:" + id.to_string());
    e.detail = {{"revision", a->revision}};
    audit_.append(batch, e);
    auto catalog = stage_catalog(batch, *a, {});
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "update asset");
    catalog.publish();
    invalidate(id);
    return a;
}

result<asset> asset_store::trash(const ulid& id, std::optional<std::uint64_t> expected_revision,
                                 const audit_context& who) {
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
    return put_record(std::move(*a), "trash asset",
                      entry_for(who, "asset.trashed", "asset:" + id.to_string()));
}

result<asset> asset_store::restore(const ulid& id, const audit_context& who) {
    std::lock_guard guard(asset_lock(id));
    auto a = get(id);
    if (!a) return a.error();
    if (!a->deleted_at) return make_error(errc::conflict, "the asset is not in the trash");
    a->deleted_at.reset();
    a->revision += 1;
    a->updated_at = clock_.now();
    return put_record(std::move(*a), "restore asset",
                      entry_for(who, "asset.restored", "asset:" + id.to_string()));
}

result<asset> asset_store::put_record(asset a, std::string_view what, audit_entry entry) {
    auto& h = db_.handles();
    rocksdb::WriteBatch batch;
    batch.Put(h[cf::assets], a.id.raw(), encode_record(a));
    audit_.append(batch, entry);
    auto catalog = stage_catalog(batch, a, {});
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, what);
    catalog.publish();
    invalidate(a.id);
    return a;
}

result<void> asset_store::purge(const ulid& id, const audit_context& who) {
    std::lock_guard guard(asset_lock(id));
    auto a = get(id);
    if (!a) return a.error();
    if (!a->deleted_at)
        return make_error(errc::conflict, "only an asset in the trash can be deleted for good");
    auto versions = list_versions(id);
    if (!versions) return versions.error();
    // Renditions hold blob references too.
    std::vector<std::pair<std::string, rendition>> made;  // key -> record
    {
        auto& hh = db_.handles();
        std::string prefix(id.raw());
        std::unique_ptr<rocksdb::Iterator> it(
            hh.db->NewIterator(rocksdb::ReadOptions(), hh[cf::renditions]));
        for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next())
            if (auto r = decode_rendition_record(it->value().ToStringView()))
                made.emplace_back(it->key().ToString(), std::move(*r));
    }

    // Lock every blob stripe involved, in address order (no deadlock).
    std::set<std::mutex*> stripes;
    for (const auto& v : *versions) stripes.insert(&blob_lock(v.sha256));
    for (const auto& m : made) stripes.insert(&blob_lock(m.second.sha256));
    std::vector<std::unique_lock<std::mutex>> held;
    for (auto* m : stripes) held.emplace_back(*m);

    std::map<std::string, std::pair<std::int64_t, std::uint64_t>> drops;  // sha -> (refs, size)
    for (const auto& v : *versions) {
        auto& d = drops[v.sha256];
        d.first += 1;
        d.second = v.size;
    }
    for (const auto& m : made) {
        auto& d = drops[m.second.sha256];
        d.first += 1;
        d.second = m.second.size;
    }
    auto& h = db_.handles();
    rocksdb::WriteBatch batch;
    for (const auto& m : made) batch.Delete(h[cf::renditions], m.first);
    if (jobs_) jobs_->remove_for_asset(batch, id);
    batch.Delete(h[cf::assets], id.raw());
    for (const auto& v : *versions) batch.Delete(h[cf::versions], version_key(id, v.number));
    for (const auto& k : index_keys(*a)) batch.Delete(h[cf::asset_index], k);
    for (const auto& v : *versions) {
        batch.Delete(h[cf::asset_index], content_index_key(v.sha256, id));
        if (v.state == version_state::in_review)
            batch.Delete(h[cf::asset_index], review_key(v.submitted_at, id, v.number));
    }
    auto e = entry_for(who, "asset.purged", "asset:" + id.to_string());
    e.detail = {{"title", a->meta.title}, {"versions", versions->size()}};
    audit_.append(batch, e);
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
    std::optional<std::shared_lock<std::shared_mutex>> catalog_guard;
    if (catalog_) {
        catalog_guard.emplace(catalog_->write_guard());
        catalog_->stage_remove(batch, id);
    }
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "purge asset");
    if (catalog_) catalog_->unpublish(id);
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

namespace {

std::string rendition_key(const ulid& id, std::uint32_t n, std::string_view name) {
    std::string k(id.raw());
    append_u32_be(k, n);
    k.append(name);
    return k;
}

}  // namespace

result<std::vector<rendition>> asset_store::commit_renditions(const ulid& id, std::uint32_t n,
                                                              std::vector<staged_rendition> staged,
                                                              const job& claimed,
                                                              const std::string& media_info) {
    // Staged files not placed are removed when `staged` goes away.
    for (auto& st : staged)
        if (auto sent = blobs_.stage(st.writer, st.blob); !sent) return sent.error();
    std::lock_guard guard(asset_lock(id));
    auto a = get(id);
    auto v = get_version(id, n);
    if (!a || !v) return make_error(errc::not_found, "the version is gone");
    std::set<std::mutex*> stripes;
    for (const auto& st : staged) stripes.insert(&blob_lock(st.blob.sha256));
    auto& h = db_.handles();
    std::vector<rendition> before;
    {
        std::string prefix = rendition_key(id, n, "");
        std::unique_ptr<rocksdb::Iterator> it(
            h.db->NewIterator(rocksdb::ReadOptions(), h[cf::renditions]));
        for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next())
            if (auto r = decode_rendition_record(it->value().ToStringView()))
                before.push_back(std::move(*r));
    }
    for (const auto& r : before) stripes.insert(&blob_lock(r.sha256));
    std::vector<std::unique_lock<std::mutex>> held;
    for (auto* m : stripes) held.emplace_back(*m);

    rocksdb::WriteBatch batch;
    if (auto done = jobs_ ? jobs_->complete(batch, claimed) : result<void>(); !done)
        return done.error();
    std::vector<rendition> out;
    auto now = clock_.now();
    // One reference per rendition. A re-run replaces: the references of the
    // renditions it replaces go (an unreferenced blob is gc's to remove).
    std::map<std::string, std::pair<std::int64_t, std::uint64_t>> delta;  // sha -> (refs, size)
    for (auto& st : staged) {
        if (auto placed = place_blob(st.writer, st.blob); !placed) return placed.error();
        rendition r = st.record;
        r.sha256 = st.blob.sha256;
        r.size = st.blob.size;
        r.created_at = now;
        delta[r.sha256].first += 1;
        delta[r.sha256].second = r.size;
        batch.Put(h[cf::renditions], rendition_key(id, n, r.name), encode_record(r));
        out.push_back(std::move(r));
    }
    for (const auto& r : before) {
        delta[r.sha256].first -= 1;
        delta[r.sha256].second = r.size;
    }
    // The statistics count a blob while it has references: a count that
    // reaches zero is deleted (as a purge does) and the blob leaves them.
    for (const auto& [sha, d] : delta) {
        if (d.first == 0) continue;
        const auto held = ref_count(sha);
        const auto size = static_cast<std::int64_t>(d.second);
        if (held + d.first <= 0) {
            batch.Delete(h[cf::blob_refs], blob_key(sha));
            if (held > 0) {
                batch.Merge(h[cf::meta], k_stat_blob_count, encode_counter(-1));
                batch.Merge(h[cf::meta], k_stat_blob_bytes, encode_counter(-size));
            }
            continue;
        }
        batch.Merge(h[cf::blob_refs], blob_key(sha), encode_counter(d.first));
        if (held <= 0) {
            batch.Merge(h[cf::meta], k_stat_blob_count, encode_counter(1));
            batch.Merge(h[cf::meta], k_stat_blob_bytes, encode_counter(size));
        }
    }
    for (const auto& r : before)
        if (std::none_of(out.begin(), out.end(), [&](const rendition& x) { return x.name == r.name; }))
            batch.Delete(h[cf::renditions], rendition_key(id, n, r.name));
    asset_version updated = *v;
    updated.media_info = media_info;
    batch.Put(h[cf::versions], version_key(id, n), encode_record(updated));
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "commit renditions");
    invalidate(id, a->version_count);
    return out;
}

result<std::vector<rendition>> asset_store::list_renditions(const ulid& id, std::uint32_t n) const {
    auto& h = db_.handles();
    std::string prefix = rendition_key(id, n, "");
    std::vector<rendition> out;
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(rocksdb::ReadOptions(), h[cf::renditions]));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        auto r = decode_rendition_record(it->value().ToStringView());
        if (!r) return r.error();
        out.push_back(std::move(*r));
    }
    if (!it->status().ok()) return to_error(it->status(), "list renditions");
    return out;
}

result<rendition> asset_store::get_rendition(const ulid& id, std::uint32_t n,
                                             std::string_view name) const {
    auto& h = db_.handles();
    std::string v;
    auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::renditions], rendition_key(id, n, name), &v);
    if (s.IsNotFound())
        return make_error(errc::not_found, "version " + std::to_string(n) + " has no rendition " +
                                               std::string(name));
    if (!s.ok()) return to_error(s, "read rendition");
    return decode_rendition_record(v);
}

result<asset_version> asset_store::transition(const ulid& id, std::uint32_t n,
                                              const transition_request& t,
                                              const audit_context& who) {
    std::lock_guard guard(asset_lock(id));
    auto a = get(id);
    if (!a) return a.error();
    auto v = get_version(id, n);
    if (!v) return v.error();
    if (a->deleted_at) return make_error(errc::conflict, "the asset is in the trash");
    auto to = next_state(v->state, t.action);
    if (!to)
        return make_error(errc::conflict, "version " + std::to_string(n) + " is " +
                                              std::string(to_string(v->state)) + "; it cannot " +
                                              std::string(to_string(t.action)) +
                                              ". Allowed: " + allowed_list(v->state));
    if (t.action == workflow_action::reject && t.comment.empty())
        return make_error(errc::unprocessable, "a rejection needs a comment for the designer");
    if (t.action == workflow_action::approve && !t.audience)
        return make_error(errc::unprocessable, "an approval needs an audience");
    if (t.window.from && t.window.until && *t.window.until <= *t.window.from)
        return make_error(errc::unprocessable, "valid_until must be later than valid_from");

    auto now = clock_.now();
    auto& h = db_.handles();
    rocksdb::WriteBatch batch;
    const std::string target = "asset:" + id.to_string() + "/v" + std::to_string(n);
    if (v->state == version_state::in_review)
        batch.Delete(h[cf::asset_index], review_key(v->submitted_at, id, n));
    switch (t.action) {
        case workflow_action::submit:
            v->submitted_by = who.actor;
            v->submitted_at = now;
            batch.Put(h[cf::asset_index], review_key(now, id, n), "");
            break;
        case workflow_action::approve:
            v->audience = *t.audience;
            v->window = t.window;
            [[fallthrough]];
        case workflow_action::reject:
        case workflow_action::archive:
            v->reviewed_by = who.actor;
            v->reviewed_at = now;
            v->review_comment = t.comment;
            break;
        case workflow_action::revise:
            break;
    }
    v->state = *to;
    batch.Put(h[cf::versions], version_key(id, n), encode_record(*v));
    auto e = entry_for(who, std::string(audit_action(t.action)), target);
    e.comment = t.comment;
    if (t.action == workflow_action::approve) {
        e.detail["audience"] = to_json(v->audience);
        if (v->window.from) e.detail["valid_from"] = format_rfc3339(*v->window.from);
        if (v->window.until) e.detail["valid_until"] = format_rfc3339(*v->window.until);
    }
    audit_.append(batch, e);

    std::vector<asset_version> changed{*v};
    // One approved version per asset: the one approved before is superseded.
    if (t.action == workflow_action::approve) {
        auto all = list_versions(id);
        if (!all) return all.error();
        for (auto& older : *all) {
            if (older.number == n || older.state != version_state::approved) continue;
            older.state = version_state::archived;
            older.reviewed_by = who.actor;
            older.reviewed_at = now;
            older.review_comment = "superseded by version " + std::to_string(n);
            batch.Put(h[cf::versions], version_key(id, older.number), encode_record(older));
            auto archived = entry_for(who, "version.archived",
                                      "asset:" + id.to_string() + "/v" + std::to_string(older.number));
            archived.comment = older.review_comment;
            audit_.append(batch, archived);
            changed.push_back(older);
        }
    }
    a->revision += 1;
    a->updated_at = now;
    batch.Put(h[cf::assets], id.raw(), encode_record(*a));
    auto catalog = stage_catalog(batch, *a, changed);
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "commit transition");
    catalog.publish();
    invalidate(id, a->version_count);
    return v;
}

result<review_page> asset_store::review_queue(const std::optional<std::string>& cursor,
                                              std::size_t limit) const {
    auto& h = db_.handles();
    std::string start = "q";
    if (cursor) {
        auto raw = from_hex(*cursor);
        if (!raw || raw->size() != k_review_key_size - 1)
            return make_error(errc::invalid_parameter, "cursor is not valid");
        start += *raw;
        start += '\0';  // strictly after the cursor's key
    }
    std::string upper = "r";
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(ro, h[cf::asset_index]));
    review_page page;
    for (it->Seek(start); it->Valid(); it->Next()) {
        auto key = it->key().ToStringView();
        if (key.size() != k_review_key_size) continue;
        if (page.items.size() == limit) {
            auto last = page.items.back();
            auto k = review_key(last.submitted_at, last.asset_id, last.version).substr(1);
            page.next_cursor =
                to_hex(reinterpret_cast<const std::uint8_t*>(k.data()), k.size());
            break;
        }
        auto aid = ulid::from_raw(key.substr(9, 16));
        if (!aid) return aid.error();
        page.items.push_back(review_item{*aid, read_u32_be(key.substr(25, 4)),
                                         static_cast<unix_ms>(read_u64_be(key.substr(1, 8)))});
    }
    if (!it->status().ok()) return to_error(it->status(), "list reviews");
    return page;
}

}  // namespace kho::storage
