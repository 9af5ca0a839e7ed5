#include "storage/job_queue.hpp"

#include "storage/key_codec.hpp"
#include "storage/rocks.hpp"

#include <rocksdb/iterator.h>

#include <algorithm>

namespace kho::storage {
namespace {

std::string time_key(char tag, unix_ms t, const ulid& id) {
    std::string k(1, tag);
    append_u64_be(k, static_cast<std::uint64_t>(std::max<unix_ms>(t, 0)));
    k.append(id.raw());
    return k;
}

std::string asset_key(const ulid& asset, std::uint32_t version, const ulid& id) {
    std::string k = "a";
    k.append(asset.raw());
    append_u32_be(k, version);
    k.append(id.raw());
    return k;
}

std::string state_prefix(job_state s) {
    std::string k = "s";
    k.append(to_string(s));
    k += '\0';
    return k;
}

std::vector<std::string> index_keys(const job& j) {
    std::vector<std::string> keys{asset_key(j.asset_id, j.version, j.id),
                                  state_prefix(j.state) + std::string(j.id.raw())};
    if (j.state == job_state::pending) keys.push_back(time_key('p', j.not_before, j.id));
    if (j.state == job_state::running) keys.push_back(time_key('r', j.lease_until, j.id));
    return keys;
}

}  // namespace

job_queue::job_queue(database& db, kho::clock clk, job_queue_options options)
    : db_(db), clock_(std::move(clk)), options_(options) {}

void job_queue::set_listener(std::function<void()> fn) {
    std::lock_guard lock(mutex_);
    listener_ = std::move(fn);
}

void job_queue::notify() {
    std::function<void()> fn;
    {
        std::lock_guard lock(mutex_);
        fn = listener_;
    }
    if (fn) fn();
}

void job_queue::put(rocksdb::WriteBatch& batch, const job* before, const job& after) const {
    auto& h = db_.handles();
    if (before)
        for (const auto& k : index_keys(*before)) batch.Delete(h[cf::job_index], k);
    for (const auto& k : index_keys(after)) batch.Put(h[cf::job_index], k, "");
    batch.Put(h[cf::jobs], after.id.raw(), encode_record(after));
}

std::optional<job> job_queue::enqueue(rocksdb::WriteBatch& batch, const ulid& asset,
                                      const asset_version& v) {
    auto kind = media_job_kind(v.content_type);
    if (!kind) return std::nullopt;
    auto now = clock_.now();
    job j;
    j.id = ids_.next(std::chrono::system_clock::time_point(std::chrono::milliseconds(now)));
    j.asset_id = asset;
    j.version = v.number;
    j.kind = *kind;
    j.content_type = v.content_type;
    j.sha256 = v.sha256;
    j.max_attempts = options_.max_attempts;
    j.not_before = now;
    j.created_at = j.updated_at = now;
    put(batch, nullptr, j);
    return j;
}

result<job> job_queue::load(const ulid& id) const {
    auto& h = db_.handles();
    std::string v;
    auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::jobs], id.raw(), &v);
    if (s.IsNotFound()) return make_error(errc::not_found, "no job with id " + id.to_string());
    if (!s.ok()) return to_error(s, "read job");
    return decode_job_record(v);
}

result<job> job_queue::get(const ulid& id) const {
    return load(id);
}

result<std::optional<job>> job_queue::claim(const std::string& worker, unix_ms lease_ms) {
    std::lock_guard lock(mutex_);
    auto& h = db_.handles();
    auto now = clock_.now();
    std::string upper = "q";
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(ro, h[cf::job_index]));
    it->Seek("p");
    if (!it->Valid()) {
        if (!it->status().ok()) return to_error(it->status(), "scan jobs");
        return std::optional<job>{};
    }
    auto key = it->key().ToStringView();
    if (key.size() != 1 + 8 + 16) return make_error(errc::internal, "corrupt job index");
    if (static_cast<unix_ms>(read_u64_be(key.substr(1, 8))) > now) return std::optional<job>{};
    auto id = ulid::from_raw(key.substr(9));
    if (!id) return id.error();
    auto before = load(*id);
    if (!before) return before.error();
    job after = *before;
    after.state = job_state::running;
    after.attempts += 1;
    after.lease_until = now + lease_ms;
    after.worker = worker;
    after.updated_at = now;
    rocksdb::WriteBatch batch;
    put(batch, &*before, after);
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "claim job");
    return std::optional<job>{after};
}

result<job> job_queue::extend_lease(const job& claimed, unix_ms lease_ms) {
    std::lock_guard lock(mutex_);
    auto before = load(claimed.id);
    if (!before) return before.error();
    if (before->state != job_state::running || before->worker != claimed.worker ||
        before->attempts != claimed.attempts)
        return make_error(errc::conflict, "the job's lease was taken over or has ended");
    auto now = clock_.now();
    job after = *before;
    after.lease_until = now + lease_ms;
    after.updated_at = now;
    rocksdb::WriteBatch batch;
    put(batch, &*before, after);
    auto s = db_.handles().db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "extend job lease");
    return after;
}

result<void> job_queue::complete(rocksdb::WriteBatch& batch, const job& claimed) {
    std::lock_guard lock(mutex_);
    auto before = load(claimed.id);
    if (!before) return before.error();
    if (before->state != job_state::running || before->worker != claimed.worker ||
        before->attempts != claimed.attempts)
        return make_error(errc::conflict, "the job's lease was taken over");
    job after = *before;
    after.state = job_state::done;
    after.error.clear();
    after.lease_until = 0;
    after.updated_at = clock_.now();
    put(batch, &*before, after);
    return ok();
}

result<job> job_queue::fail(const job& claimed, std::string error, bool retryable) {
    std::lock_guard lock(mutex_);
    auto before = load(claimed.id);
    if (!before) return before.error();
    if (before->state != job_state::running || before->worker != claimed.worker ||
        before->attempts != claimed.attempts)
        return make_error(errc::conflict, "the job's lease was taken over");
    auto now = clock_.now();
    job after = *before;
    after.error = std::move(error);
    after.lease_until = 0;
    after.updated_at = now;
    if (retryable && after.attempts < after.max_attempts) {
        after.state = job_state::pending;
        unix_ms delay = options_.base_backoff_ms;
        for (int i = 1; i < after.attempts && delay < options_.max_backoff_ms; ++i) delay *= 2;
        after.not_before = now + std::min(delay, options_.max_backoff_ms);
    } else {
        after.state = job_state::failed;
    }
    rocksdb::WriteBatch batch;
    put(batch, &*before, after);
    auto s = db_.handles().db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "record job failure");
    return after;
}

std::size_t job_queue::reclaim_expired() {
    std::lock_guard lock(mutex_);
    auto& h = db_.handles();
    auto now = clock_.now();
    std::string upper = "s";
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(ro, h[cf::job_index]));
    rocksdb::WriteBatch batch;
    std::size_t n = 0;
    for (it->Seek("r"); it->Valid(); it->Next()) {
        auto key = it->key().ToStringView();
        if (key.size() != 1 + 8 + 16) continue;
        if (static_cast<unix_ms>(read_u64_be(key.substr(1, 8))) > now) break;
        auto id = ulid::from_raw(key.substr(9));
        if (!id) continue;
        auto before = load(*id);
        if (!before) continue;
        job after = *before;
        after.error = "the worker stopped answering (lease expired)";
        after.lease_until = 0;
        after.updated_at = now;
        after.state = after.attempts < after.max_attempts ? job_state::pending : job_state::failed;
        after.not_before = now;
        put(batch, &*before, after);
        ++n;
    }
    if (n > 0) (void)h.db->Write(sync_write(), &batch);
    return n;
}

std::size_t job_queue::requeue_running() {
    std::lock_guard lock(mutex_);
    auto& h = db_.handles();
    auto now = clock_.now();
    auto prefix = state_prefix(job_state::running);
    std::unique_ptr<rocksdb::Iterator> it(
        h.db->NewIterator(rocksdb::ReadOptions(), h[cf::job_index]));
    rocksdb::WriteBatch batch;
    std::size_t n = 0;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        auto id = ulid::from_raw(it->key().ToStringView().substr(prefix.size()));
        if (!id) continue;
        auto before = load(*id);
        if (!before) continue;
        if (std::string_view(before->worker).starts_with(k_remote_worker_prefix)) continue;
        job after = *before;
        // The run that was cut short does not count against the job.
        after.attempts = std::max(0, after.attempts - 1);
        after.state = job_state::pending;
        after.lease_until = 0;
        after.not_before = now;
        after.updated_at = now;
        put(batch, &*before, after);
        ++n;
    }
    if (n > 0) (void)h.db->Write(sync_write(), &batch);
    return n;
}

result<job> job_queue::retry(const ulid& id) {
    std::unique_lock lock(mutex_);
    auto before = load(id);
    if (!before) return before.error();
    if (before->state != job_state::failed)
        return make_error(errc::conflict, "only a failed job can be retried; this one is " +
                                              std::string(to_string(before->state)));
    auto now = clock_.now();
    job after = *before;
    after.state = job_state::pending;
    after.attempts = 0;
    after.not_before = now;
    after.updated_at = now;
    rocksdb::WriteBatch batch;
    put(batch, &*before, after);
    auto s = db_.handles().db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "retry job");
    lock.unlock();
    notify();
    return after;
}

result<job_page> job_queue::list(const job_filter& f, const std::optional<std::string>& cursor,
                                 std::size_t limit) const {
    auto& h = db_.handles();
    std::optional<ulid> after;
    if (cursor) {
        auto c = ulid::parse(*cursor);
        if (!c) return make_error(errc::invalid_parameter, "cursor is not valid");
        after = *c;
    }
    // Newest first over the state index, or over every job.
    std::string prefix = f.state ? state_prefix(*f.state) : std::string();
    rocksdb::ColumnFamilyHandle* family = f.state ? h[cf::job_index] : h[cf::jobs];
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(rocksdb::ReadOptions(), family));
    seek_newest_first(*it, prefix,
                      after ? std::optional<std::string_view>(after->raw()) : std::nullopt);
    job_page page;
    std::size_t budget = limit * 50 + 2000;
    std::optional<ulid> last_seen;
    for (; it->Valid(); it->Prev()) {
        auto key = it->key().ToStringView();
        if (!key.starts_with(prefix) || key.size() != prefix.size() + 16) break;
        if (page.items.size() == limit) {
            page.next_cursor = page.items.back().id.to_string();
            break;
        }
        if (budget-- == 0) {
            if (last_seen) page.next_cursor = last_seen->to_string();
            break;
        }
        auto id = ulid::from_raw(key.substr(prefix.size()));
        if (!id) continue;
        last_seen = *id;
        auto j = f.state ? load(*id) : decode_job_record(it->value().ToStringView());
        if (!j) continue;
        if (f.asset && j->asset_id != *f.asset) continue;
        page.items.push_back(std::move(*j));
    }
    if (!it->status().ok()) return to_error(it->status(), "list jobs");
    return page;
}

std::vector<job> job_queue::for_version(const ulid& asset, std::uint32_t version) const {
    auto& h = db_.handles();
    std::string prefix = "a";
    prefix.append(asset.raw());
    append_u32_be(prefix, version);
    std::vector<job> out;
    std::unique_ptr<rocksdb::Iterator> it(
        h.db->NewIterator(rocksdb::ReadOptions(), h[cf::job_index]));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        auto id = ulid::from_raw(it->key().ToStringView().substr(prefix.size()));
        if (!id) continue;
        if (auto j = load(*id)) out.push_back(std::move(*j));
    }
    return out;
}

void job_queue::remove_for_asset(rocksdb::WriteBatch& batch, const ulid& asset) const {
    auto& h = db_.handles();
    std::string prefix = "a";
    prefix.append(asset.raw());
    std::unique_ptr<rocksdb::Iterator> it(
        h.db->NewIterator(rocksdb::ReadOptions(), h[cf::job_index]));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        auto id = ulid::from_raw(it->key().ToStringView().substr(prefix.size() + 4));
        if (!id) continue;
        auto j = load(*id);
        if (!j) continue;
        for (const auto& k : index_keys(*j)) batch.Delete(h[cf::job_index], k);
        batch.Delete(h[cf::jobs], id->raw());
    }
}

}  // namespace kho::storage
