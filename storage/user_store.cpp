#include "storage/user_store.hpp"

#include "core/text.hpp"
#include "storage/audit_log.hpp"
#include "storage/rocks.hpp"

#include <rocksdb/iterator.h>

namespace kho::storage {
namespace {

std::string id_key(std::string_view id) {
    return "i" + std::string(id);
}
std::string name_key(std::string_view name) {
    return "n" + std::string(name);
}
std::string unit_key(std::string_view unit, std::string_view id) {
    std::string k = "u" + std::string(unit);
    k += '\0';
    k.append(id);
    return k;
}

audit_entry entry(const audit_context& who, std::string action, const user& target) {
    audit_entry e;
    e.actor = who.actor;
    e.client_address = who.client_address;
    e.action = std::move(action);
    e.target = "user:" + target.id;
    e.detail = {{"username", target.username}};
    return e;
}

}  // namespace

user_store::user_store(database& db, audit_log& audit, kho::clock clk)
    : db_(db), audit_(audit), clock_(std::move(clk)) {}

result<user> user_store::get(const std::string& id) const {
    {
        std::lock_guard lock(cache_mutex_);
        if (auto it = cache_.find(id); it != cache_.end()) return it->second;
    }
    auto& h = db_.handles();
    std::string v;
    auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::users], id_key(id), &v);
    if (s.IsNotFound()) return make_error(errc::not_found, "no user with id " + id);
    if (!s.ok()) return to_error(s, "read user");
    auto u = decode_user_record(v);
    if (!u) return u.error();
    std::lock_guard lock(cache_mutex_);
    if (cache_.size() >= 65536) cache_.clear();
    cache_.insert_or_assign(id, *u);
    return u;
}

result<user> user_store::find_by_username(std::string_view username) const {
    auto& h = db_.handles();
    std::string id;
    auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::users], name_key(username), &id);
    if (s.IsNotFound()) return make_error(errc::not_found, "no user named " + std::string(username));
    if (!s.ok()) return to_error(s, "read user name");
    return get(id);
}

result<user> user_store::commit(user u, const std::optional<user>& before,
                                std::vector<audit_entry> entries) {
    auto& h = db_.handles();
    rocksdb::WriteBatch batch;
    batch.Put(h[cf::users], id_key(u.id), encode_record(u));
    if (!before) batch.Put(h[cf::users], name_key(u.username), u.id);
    if (before && before->unit_code != u.unit_code && !before->unit_code.empty())
        batch.Delete(h[cf::users], unit_key(before->unit_code, u.id));
    if (!u.unit_code.empty()) batch.Put(h[cf::users], unit_key(u.unit_code, u.id), "");
    for (auto& e : entries) audit_.append(batch, e);
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "store user");
    std::lock_guard lock(cache_mutex_);
    cache_.erase(u.id);
    return u;
}

result<user> user_store::create(user u, const audit_context& who) {
    std::lock_guard guard(write_mutex_);
    auto& h = db_.handles();
    std::string existing;
    auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::users], name_key(u.username), &existing);
    if (s.ok()) return make_error(errc::conflict, "the user name " + u.username + " is taken");
    if (!s.IsNotFound()) return to_error(s, "read user name");
    auto now = clock_.now();
    u.id = ids_.next(std::chrono::system_clock::time_point(std::chrono::milliseconds(now)))
               .to_string();
    u.created_at = u.updated_at = u.password_changed_at = now;
    auto e = entry(who, "user.created", u);
    e.detail["role"] = std::string(to_string(u.role));
    e.detail["unit"] = u.unit_code;
    return commit(std::move(u), std::nullopt, {std::move(e)});
}

result<user> user_store::update(const std::string& id, const user_patch& p,
                                const audit_context& who) {
    std::lock_guard guard(write_mutex_);
    auto before = get(id);
    if (!before) return before.error();
    user u = *before;
    std::vector<audit_entry> entries;
    if (p.display_name && *p.display_name != u.display_name) {
        auto e = entry(who, "user.renamed", u);
        e.detail["from"] = u.display_name;
        e.detail["to"] = *p.display_name;
        u.display_name = *p.display_name;
        entries.push_back(std::move(e));
    }
    if (p.role && *p.role != u.role) {
        auto e = entry(who, "user.role_changed", u);
        e.detail["from"] = std::string(to_string(u.role));
        e.detail["to"] = std::string(to_string(*p.role));
        u.role = *p.role;
        entries.push_back(std::move(e));
    }
    if (p.unit_code && *p.unit_code != u.unit_code) {
        auto e = entry(who, "user.unit_changed", u);
        e.detail["from"] = u.unit_code;
        e.detail["to"] = *p.unit_code;
        u.unit_code = *p.unit_code;
        entries.push_back(std::move(e));
    }
    if (p.disabled && *p.disabled != u.disabled) {
        u.disabled = *p.disabled;
        entries.push_back(entry(who, u.disabled ? "user.disabled" : "user.enabled", u));
    }
    if (entries.empty()) return u;
    u.updated_at = clock_.now();
    return commit(std::move(u), *before, std::move(entries));
}

result<user> user_store::set_password(const std::string& id, std::string hash, bool must_change,
                                      const audit_context& who, std::string_view action) {
    std::lock_guard guard(write_mutex_);
    auto before = get(id);
    if (!before) return before.error();
    user u = *before;
    u.password_hash = std::move(hash);
    u.must_change_password = must_change;
    u.updated_at = u.password_changed_at = clock_.now();
    return commit(std::move(u), *before, {entry(who, std::string(action), *before)});
}

result<void> user_store::upgrade_hash(const std::string& id, std::string hash) {
    std::lock_guard guard(write_mutex_);
    auto before = get(id);
    if (!before) return before.error();
    user u = *before;
    u.password_hash = std::move(hash);
    auto r = commit(std::move(u), *before, {});
    if (!r) return r.error();
    return ok();
}

result<user_page> user_store::list(const user_filter& f, const std::optional<std::string>& cursor,
                                   std::size_t limit) const {
    auto& h = db_.handles();
    std::string upper = "o";
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(ro, h[cf::users]));
    std::string start = cursor ? name_key(*cursor) + std::string(1, '\0') : std::string("n");
    std::optional<std::string> folded;
    if (f.query) folded = fold_for_search(*f.query);
    user_page page;
    // A sparse filter must not turn one request into a full scan.
    std::size_t budget = limit * 50 + 2000;
    std::string last_seen;
    for (it->Seek(start); it->Valid(); it->Next()) {
        auto name = std::string(it->key().ToStringView().substr(1));
        if (page.items.size() == limit) {
            page.next_cursor = page.items.back().username;
            break;
        }
        if (budget-- == 0) {
            page.next_cursor = last_seen;
            break;
        }
        last_seen = name;
        auto u = get(it->value().ToString());
        if (!u) continue;
        if (f.role && u->role != *f.role) continue;
        if (f.unit && u->unit_code != *f.unit) continue;
        if (folded && fold_for_search(u->username).find(*folded) == std::string::npos &&
            fold_for_search(u->display_name).find(*folded) == std::string::npos)
            continue;
        page.items.push_back(std::move(*u));
    }
    if (!it->status().ok()) return to_error(it->status(), "list users");
    return page;
}

std::size_t user_store::count() const {
    auto& h = db_.handles();
    std::string upper = "j";
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(ro, h[cf::users]));
    std::size_t n = 0;
    for (it->Seek("i"); it->Valid(); it->Next()) ++n;
    return n;
}

bool user_store::unit_in_use(std::string_view unit_code) const {
    auto& h = db_.handles();
    std::string prefix = "u" + std::string(unit_code);
    prefix += '\0';
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(rocksdb::ReadOptions(), h[cf::users]));
    it->Seek(prefix);
    return it->Valid() && it->key().starts_with(prefix);
}

}  // namespace kho::storage
