#include "storage/unit_store.hpp"

#include "core/text.hpp"
#include "storage/audit_log.hpp"
#include "storage/rocks.hpp"

#include <rocksdb/iterator.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <unordered_map>

namespace kho::storage {
namespace {

using json = nlohmann::json;

// Codes given to get/update/remove are not validated: keep messages UTF-8.
std::string in_quotes(std::string_view code) {
    return "\"" + to_valid_utf8(code.substr(0, 100)) + "\"";
}

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (auto& ch : out)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    return out;
}

// "A -> B -> C -> A", shortened in the middle when long.
std::string describe_cycle(const std::vector<std::string_view>& cycle) {
    std::string out;
    constexpr std::size_t max_shown = 12;
    for (std::size_t i = 0; i < cycle.size(); ++i) {
        if (cycle.size() > max_shown && i == max_shown - 2) {
            out += "... -> ";
            i = cycle.size() - 1;
        }
        out += cycle[i];
        out += " -> ";
    }
    out += cycle.front();
    return out;
}

bool same_content(const unit& a, const unit& b) {
    return a.name == b.name && a.parent_code == b.parent_code && a.province == b.province &&
           a.level == b.level;
}

audit_entry make_entry(const audit_context& who, std::string action, std::string target,
                       json detail) {
    audit_entry e;
    e.actor = who.actor;
    e.client_address = who.client_address;
    e.action = std::move(action);
    e.target = std::move(target);
    e.detail = std::move(detail);
    return e;
}

json unit_detail(const unit& u) {
    return json{{"code", u.code},
                {"name", u.name},
                {"parent_code", u.parent_code},
                {"province", u.province},
                {"level", to_string(u.level)}};
}

}  // namespace

unit_store::unit_store(database& db, audit_log& audit, kho::clock clk)
    : db_(db), audit_(audit), clock_(std::move(clk)) {}

result<void> unit_store::load() {
    std::lock_guard write_guard(write_mutex_);
    std::vector<entry> loaded;
    {
        auto& h = db_.handles();
        std::unique_ptr<rocksdb::Iterator> it(
            h.db->NewIterator(rocksdb::ReadOptions(), h[cf::units]));
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
            auto u = decode_unit_record(std::string_view(it->value().data(), it->value().size()));
            if (!u) return u.error();
            loaded.push_back(make_index_entry(std::move(*u)));
        }
        if (!it->status().ok()) return to_error(it->status(), "read units");
    }
    std::unique_lock read_guard(read_mutex_);
    units_.clear();
    children_.clear();
    root_.clear();
    for (auto& e : loaded) put_locked(std::move(e));
    return ok();
}

unit_store::entry unit_store::make_index_entry(unit u) {
    auto folded_name = fold_for_search(u.name);
    auto folded_code = lower_ascii(u.code);
    return entry{std::move(u), std::move(folded_name), std::move(folded_code)};
}

void unit_store::put_locked(entry e) {
    const unit& u = e.u;
    if (auto it = units_.find(u.code); it != units_.end()) {
        const auto& old_parent = it->second.u.parent_code;
        if (auto c = children_.find(old_parent); c != children_.end()) {
            c->second.erase(u.code);
            if (c->second.empty()) children_.erase(c);
        }
        if (old_parent.empty() && root_ == u.code) root_.clear();
    }
    children_[u.parent_code].insert(u.code);
    if (u.parent_code.empty()) root_ = u.code;
    auto code = u.code;
    units_.insert_or_assign(std::move(code), std::move(e));
}

void unit_store::erase_locked(const std::string& code) {
    auto it = units_.find(code);
    if (it == units_.end()) return;
    if (auto c = children_.find(it->second.u.parent_code); c != children_.end()) {
        c->second.erase(code);
        if (c->second.empty()) children_.erase(c);
    }
    if (root_ == code) root_.clear();
    units_.erase(it);
}

std::optional<unit> unit_store::get(std::string_view code) const {
    std::shared_lock lock(read_mutex_);
    auto it = units_.find(code);
    if (it == units_.end()) return std::nullopt;
    return it->second.u;
}

std::vector<unit> unit_store::list(const unit_filter& f) const {
    std::string query = f.query ? fold_for_search(*f.query) : std::string();
    auto matches = [&](const entry& e) {
        if (f.province && e.u.province != *f.province) return false;
        if (f.level && e.u.level != *f.level) return false;
        if (!query.empty() && e.folded_name.find(query) == std::string::npos &&
            e.folded_code.find(query) == std::string::npos)
            return false;
        return true;
    };
    std::vector<unit> out;
    std::shared_lock lock(read_mutex_);
    if (f.parent) {
        auto c = children_.find(*f.parent);
        if (c == children_.end()) return out;
        for (const auto& code : c->second) {
            const auto& e = units_.find(code)->second;
            if (matches(e)) out.push_back(e.u);
        }
        return out;
    }
    for (const auto& [code, e] : units_)
        if (matches(e)) out.push_back(e.u);
    return out;
}

std::size_t unit_store::size() const {
    std::shared_lock lock(read_mutex_);
    return units_.size();
}

std::vector<std::string> unit_store::ancestors(std::string_view code) const {
    std::vector<std::string> out;
    std::shared_lock lock(read_mutex_);
    auto it = units_.find(code);
    // The bound only guards against a corrupt (cyclic) database.
    while (it != units_.end() && !it->second.u.parent_code.empty() && out.size() < units_.size()) {
        out.push_back(it->second.u.parent_code);
        it = units_.find(it->second.u.parent_code);
    }
    return out;
}

bool unit_store::is_within(std::string_view code, std::string_view ancestor_or_self) const {
    {
        std::shared_lock lock(read_mutex_);
        if (!units_.contains(code)) return false;
    }
    if (code == ancestor_or_self) return true;
    auto chain = ancestors(code);
    return std::find(chain.begin(), chain.end(), ancestor_or_self) != chain.end();
}

void unit_store::set_in_use_check(std::function<bool(std::string_view code)> fn) {
    std::lock_guard lock(write_mutex_);
    in_use_ = std::move(fn);
}

result<void> unit_store::check_parent(std::string_view code, std::string_view parent) const {
    if (parent.empty()) {
        if (!root_.empty() && root_ != code)
            return make_error(errc::unprocessable,
                              "parent_code is empty, but " + in_quotes(root_) +
                                  " is already the root; only one unit may have no parent");
        return ok();
    }
    if (!units_.contains(parent))
        return make_error(errc::unprocessable,
                          "parent_code " + in_quotes(parent) + " is not an existing unit");
    std::vector<std::string_view> chain{code};
    for (auto p = units_.find(parent); p != units_.end();) {
        chain.push_back(p->first);
        if (p->first == code) {
            chain.pop_back();
            return make_error(errc::unprocessable,
                              "parent_code " + in_quotes(parent) +
                                  " would make a cycle: " + describe_cycle(chain));
        }
        if (p->second.u.parent_code.empty() || chain.size() > units_.size()) break;
        p = units_.find(p->second.u.parent_code);
    }
    return ok();
}

result<void> unit_store::commit(rocksdb::WriteBatch& batch, audit_entry& e, std::string_view what) {
    audit_.append(batch, e);
    auto& h = db_.handles();
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, what);
    return ok();
}

result<unit> unit_store::create(unit u, const audit_context& who) {
    auto valid = validate(std::move(u));
    if (!valid) return valid.error();
    u = std::move(*valid);
    std::lock_guard write_guard(write_mutex_);
    if (units_.contains(u.code))
        return make_error(errc::conflict,
                          "a unit with code " + in_quotes(u.code) + " already exists");
    if (auto r = check_parent(u.code, u.parent_code); !r) return r.error();
    u.created_at = u.updated_at = clock_.now();

    auto& h = db_.handles();
    rocksdb::WriteBatch batch;
    batch.Put(h[cf::units], u.code, encode_record(u));
    auto e = make_entry(who, "unit.created", "unit:" + u.code, unit_detail(u));
    if (auto r = commit(batch, e, "store unit"); !r) return r.error();
    auto indexed = make_index_entry(u);
    std::unique_lock read_guard(read_mutex_);
    put_locked(std::move(indexed));
    return u;
}

result<unit> unit_store::update(std::string_view code, const unit_patch& p,
                                const audit_context& who) {
    std::lock_guard write_guard(write_mutex_);
    auto it = units_.find(code);
    if (it == units_.end())
        return make_error(errc::not_found, "there is no unit with code " + in_quotes(code));
    const unit& current = it->second.u;
    unit next = current;
    if (p.name) next.name = *p.name;
    if (p.parent_code) next.parent_code = *p.parent_code;
    if (p.province) next.province = *p.province;
    if (p.level) next.level = *p.level;
    auto valid = validate(std::move(next));
    if (!valid) return valid.error();
    next = std::move(*valid);

    json changes = json::object();
    auto note = [&](const char* field, std::string_view from, std::string_view to) {
        if (from != to) changes[field] = json{{"from", from}, {"to", to}};
    };
    note("name", current.name, next.name);
    note("parent_code", current.parent_code, next.parent_code);
    note("province", current.province, next.province);
    note("level", to_string(current.level), to_string(next.level));
    if (changes.empty()) return current;
    if (next.parent_code != current.parent_code)
        if (auto r = check_parent(next.code, next.parent_code); !r) return r.error();
    next.updated_at = clock_.now();

    auto& h = db_.handles();
    rocksdb::WriteBatch batch;
    batch.Put(h[cf::units], next.code, encode_record(next));
    auto e = make_entry(who, "unit.updated", "unit:" + next.code, std::move(changes));
    if (auto r = commit(batch, e, "store unit"); !r) return r.error();
    auto indexed = make_index_entry(next);
    std::unique_lock read_guard(read_mutex_);
    put_locked(std::move(indexed));
    return next;
}

result<void> unit_store::remove(std::string_view code, const audit_context& who) {
    std::lock_guard write_guard(write_mutex_);
    auto it = units_.find(code);
    if (it == units_.end())
        return make_error(errc::not_found, "there is no unit with code " + in_quotes(code));
    if (auto c = children_.find(code); c != children_.end() && !c->second.empty())
        return make_error(errc::conflict, "unit " + in_quotes(code) + " has " +
                                              std::to_string(c->second.size()) +
                                              " child units; move or delete them first");
    if (in_use_ && in_use_(code))
        return make_error(errc::conflict, "unit " + in_quotes(code) +
                                              " still has users; move them to another unit first");
    const unit gone = it->second.u;

    auto& h = db_.handles();
    rocksdb::WriteBatch batch;
    batch.Delete(h[cf::units], gone.code);
    auto e = make_entry(who, "unit.deleted", "unit:" + gone.code, unit_detail(gone));
    if (auto r = commit(batch, e, "delete unit"); !r) return r.error();
    std::unique_lock read_guard(read_mutex_);
    erase_locked(gone.code);
    return ok();
}

void unit_store::check_import_tree(const std::vector<unit_csv_row>& rows, bool parse_failed,
                                   std::vector<csv_row_error>& errors) const {
    // The tree after the import: file rows over stored units.
    std::unordered_map<std::string_view, const unit_csv_row*> in_file;
    for (const auto& row : rows) in_file.emplace(row.u.code, &row);
    auto parent_of = [&](std::string_view code) -> std::optional<std::string_view> {
        if (auto f = in_file.find(code); f != in_file.end()) return f->second->u.parent_code;
        if (auto s = units_.find(code); s != units_.end()) return s->second.u.parent_code;
        return std::nullopt;
    };

    // One root: the stored one if it stays a root, else the file's first.
    std::optional<std::string_view> root;
    std::size_t root_line = 0;
    if (!root_.empty() && parent_of(root_)->empty()) root = root_;
    for (const auto& row : rows) {
        const auto& u = row.u;
        if (u.parent_code.empty()) {
            if (!root) {
                root = u.code;
                root_line = row.line;
            } else if (*root != u.code) {
                errors.push_back(
                    {row.line, "parent_code is empty, but " + in_quotes(*root) +
                                   (root_line ? " on line " + std::to_string(root_line) : "") +
                                   " is already the root; only one unit may have no parent"});
            }
        } else if (!parent_of(u.parent_code)) {
            errors.push_back(
                {row.line, "parent_code " + in_quotes(u.parent_code) +
                               (parse_failed ? " is neither an existing unit nor a valid row of "
                                               "this file"
                                             : " is neither an existing unit nor a row of this "
                                               "file")});
        }
    }

    // Cycles: follow each row's parents until a root, an unknown parent, a
    // unit already known to be fine, or a unit on the current path (a cycle,
    // reported once, on the line of its first row in the file).
    std::unordered_map<std::string_view, int> state;  // 1: on the current path; 2: done
    for (const auto& row : rows) {
        std::vector<std::string_view> path;
        std::string_view cur = row.u.code;
        for (;;) {
            auto& s = state[cur];
            if (s == 2) break;
            if (s == 1) {
                auto start = std::find(path.begin(), path.end(), cur);
                std::vector<std::string_view> cycle(start, path.end());
                // Report on the cycle's earliest row in the file.
                const unit_csv_row* first = nullptr;
                for (auto c : cycle)
                    if (auto f = in_file.find(c); f != in_file.end())
                        if (!first || f->second->line < first->line) first = f->second;
                if (first) {
                    auto at = std::find(cycle.begin(), cycle.end(), first->u.code);
                    std::rotate(cycle.begin(), at, cycle.end());
                    errors.push_back({first->line, "parent_code " +
                                                       in_quotes(first->u.parent_code) +
                                                       " makes a cycle: " + describe_cycle(cycle)});
                }
                break;
            }
            s = 1;
            path.push_back(cur);
            auto parent = parent_of(cur);
            if (!parent || parent->empty() || !parent_of(*parent)) break;
            cur = *parent;
        }
        for (auto c : path) state[c] = 2;
    }
}

result<unit_import_report> unit_store::import_csv(std::string_view csv, const audit_context& who) {
    auto parsed = parse_units_csv(csv);
    unit_import_report report;
    report.errors = std::move(parsed.errors);
    bool parse_failed = !report.errors.empty();

    std::lock_guard write_guard(write_mutex_);
    check_import_tree(parsed.rows, parse_failed, report.errors);

    if (!report.errors.empty()) {
        std::stable_sort(report.errors.begin(), report.errors.end(),
                         [](const auto& a, const auto& b) { return a.line < b.line; });
        if (report.errors.size() > max_csv_errors + 1) report.errors.resize(max_csv_errors + 1);
        return report;
    }

    auto now = clock_.now();
    auto& h = db_.handles();
    rocksdb::WriteBatch batch;
    std::vector<entry> changed;
    for (const auto& row : parsed.rows) {
        unit u = row.u;
        if (auto s = units_.find(u.code); s != units_.end()) {
            if (same_content(s->second.u, u)) {
                ++report.unchanged;
                continue;
            }
            u.created_at = s->second.u.created_at;
            ++report.updated;
        } else {
            u.created_at = now;
            ++report.created;
        }
        u.updated_at = now;
        batch.Put(h[cf::units], u.code, encode_record(u));
        changed.push_back(make_index_entry(std::move(u)));
    }
    auto e = make_entry(who, "unit.imported", "units",
                        json{{"created", report.created},
                             {"updated", report.updated},
                             {"unchanged", report.unchanged}});
    if (auto r = commit(batch, e, "import units"); !r) return r.error();
    std::unique_lock read_guard(read_mutex_);
    for (auto& e : changed) put_locked(std::move(e));
    return report;
}

std::string unit_store::export_csv() const {
    return format_units_csv(list({}));
}

}  // namespace kho::storage
