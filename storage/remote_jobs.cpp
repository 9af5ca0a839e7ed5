#include "storage/remote_jobs.hpp"

#include "core/sha256.hpp"
#include "storage/asset_store.hpp"
#include "storage/job_queue.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <set>

namespace kho::storage {
namespace {

constexpr std::string_view k_prefix = job_queue::k_remote_worker_prefix;

std::string new_lease_token() {
    std::uint8_t bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) return {};
    return to_hex(bytes, sizeof bytes);
}

std::string account_prefix(std::string_view account) {
    std::string p(k_prefix);
    p.append(account);
    p += '/';
    return p;
}

bool planned(const job& j, std::string_view name) {
    const auto& names = planned_renditions(j.kind);
    return std::find(names.begin(), names.end(), name) != names.end();
}

error lease_gone(const job& j) {
    if (j.state == job_state::done) return make_error(errc::conflict, "the job is already done");
    return make_error(errc::conflict,
                      "this lease of the job has ended (it expired, failed or was taken over); "
                      "abandon the job");
}

}  // namespace

remote_jobs::remote_jobs(job_queue& jobs, asset_store& assets, remote_jobs_options options)
    : jobs_(jobs), assets_(assets), options_(options) {}

result<void> remote_jobs::check_worker_name(std::string_view name) {
    bool ok = !name.empty() && name.size() <= 64;
    for (char c : name)
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-');
    if (!ok)
        return make_error(errc::invalid_parameter,
                          "worker must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'");
    return kho::ok();
}

std::string_view remote_jobs::lease_of(const job& j) {
    std::string_view w = j.worker;
    if (!w.starts_with(k_prefix)) return {};
    auto hash = w.rfind('#');
    if (hash == std::string_view::npos) return {};
    return w.substr(hash + 1);
}

bool remote_jobs::holds(const job& j, const lease_holder& who) {
    return j.state == job_state::running && !who.lease.empty() &&
           std::string_view(j.worker).starts_with(account_prefix(who.account)) &&
           lease_of(j) == who.lease;
}

unix_ms remote_jobs::clamp_lease(unix_ms lease_ms) const {
    return std::clamp(lease_ms, options_.min_lease_ms, options_.max_lease_ms);
}

result<std::optional<job>> remote_jobs::claim(std::string_view account, std::string_view name,
                                              unix_ms lease_ms) {
    if (auto checked = check_worker_name(name); !checked) return checked.error();
    // Without local workers nobody else takes back the jobs of workers that
    // vanished: the claims do, before they look for work.
    auto now = jobs_.clock().now();
    auto last = last_reclaim_.load();
    if (now - last >= options_.reclaim_every_ms &&
        last_reclaim_.compare_exchange_strong(last, now)) {
        jobs_.reclaim_expired();
        sweep();
    }
    auto token = new_lease_token();
    if (token.empty()) return make_error(errc::internal, "no random bytes for a lease");
    auto worker = account_prefix(account);
    worker.append(name);
    worker += '#';
    worker += token;
    return jobs_.claim(worker, clamp_lease(lease_ms));
}

result<job> remote_jobs::held(const ulid& id, const lease_holder& who) {
    auto j = jobs_.get(id);
    if (!j) return j.error();
    if (holds(*j, who)) return *j;
    drop_unless(id.to_string(), j->state == job_state::running ? lease_of(*j) : std::string_view{});
    return lease_gone(*j);
}

result<job> remote_jobs::heartbeat(const ulid& id, const lease_holder& who, unix_ms lease_ms) {
    auto j = held(id, who);
    if (!j) return j.error();
    auto extended = jobs_.extend_lease(*j, clamp_lease(lease_ms));
    if (!extended && extended.error().code == errc::conflict) drop(id.to_string(), who.lease);
    return extended;
}

result<void> remote_jobs::stage(const ulid& id, const lease_holder& who, const std::string& name,
                                blob_writer writer, const blob_info& blob) {
    auto j = held(id, who);
    if (!j) return j.error();
    if (!planned(*j, name))
        return make_error(errc::invalid_parameter,
                          "a " + j->kind + " job makes no rendition named \"" + name + "\"");
    std::lock_guard lock(mutex_);
    auto key = id.to_string();
    auto it = outputs_.find(key);
    if (it != outputs_.end() && it->second.completing)
        return make_error(errc::conflict, "the job is being completed");
    if (it != outputs_.end() && it->second.lease != who.lease) {
        outputs_.erase(it);
        it = outputs_.end();
    }
    if (it == outputs_.end()) {
        it = outputs_.try_emplace(key).first;
        it->second.lease = who.lease;
    }
    it->second.files.erase(name);
    it->second.files.emplace(name, staged_output{std::move(writer), blob});
    return ok();
}

result<std::vector<rendition>> remote_jobs::complete(const ulid& id, const lease_holder& who,
                                                     const std::vector<output_record>& outputs,
                                                     const std::string& media_info) {
    auto j = jobs_.get(id);
    if (!j) return j.error();
    // The same lease completing again: its first answer was lost.
    if (j->state == job_state::done && !who.lease.empty() && lease_of(*j) == who.lease &&
        std::string_view(j->worker).starts_with(account_prefix(who.account)))
        return assets_.list_renditions(j->asset_id, j->version);
    if (!holds(*j, who)) {
        drop_unless(id.to_string(),
                    j->state == job_state::running ? lease_of(*j) : std::string_view{});
        return lease_gone(*j);
    }

    const auto key = id.to_string();
    std::vector<staged_rendition> staged;
    {
        std::lock_guard lock(mutex_);
        auto it = outputs_.find(key);
        const bool have = it != outputs_.end() && it->second.lease == who.lease;
        if (have && it->second.completing)
            return make_error(errc::conflict, "a completion of this job is already under way");
        std::set<std::string> named;
        for (const auto& o : outputs) {
            if (!named.insert(o.name).second)
                return make_error(errc::unprocessable, "rendition " + o.name + " is listed twice");
            if (!have || !it->second.files.count(o.name))
                return make_error(errc::unprocessable,
                                  "rendition " + o.name + " was not uploaded for this lease");
        }
        if (have && it->second.files.size() != named.size())
            for (const auto& [name, file] : it->second.files)
                if (!named.count(name))
                    return make_error(errc::unprocessable,
                                      "rendition " + name + " was uploaded but is not listed");
        if (have) {
            it->second.completing = true;
            for (const auto& o : outputs) {
                auto node = it->second.files.extract(o.name);
                rendition r;
                r.name = o.name;
                r.content_type = o.content_type;
                r.width = o.width;
                r.height = o.height;
                r.duration = o.duration;
                r.recipe = o.recipe.empty() ? o.name : o.recipe;
                staged.push_back(staged_rendition{std::move(r), std::move(node.mapped().writer),
                                                  node.mapped().blob});
            }
        }
    }
    // The staged files are consumed by the commit whatever its outcome.
    auto committed =
        assets_.commit_renditions(j->asset_id, j->version, std::move(staged), *j, media_info);
    {
        std::lock_guard lock(mutex_);
        if (auto it = outputs_.find(key); it != outputs_.end() && it->second.lease == who.lease)
            outputs_.erase(it);
    }
    if (committed) {
        // In name order, as a repeated completion lists them.
        std::sort(committed->begin(), committed->end(),
                  [](const rendition& x, const rendition& y) { return x.name < y.name; });
        return committed;
    }
    // As the local workers do: a purged version fails the job for good, a
    // storage failure lets it run again.
    if (committed.error().code == errc::not_found)
        (void)jobs_.fail(*j, "the version was deleted", false);
    else if (committed.error().code != errc::conflict)
        (void)jobs_.fail(*j, committed.error().detail, true);
    return committed.error();
}

result<job> remote_jobs::fail(const ulid& id, const lease_holder& who, std::string error,
                              bool retryable) {
    auto j = held(id, who);
    if (!j) return j.error();
    auto failed = jobs_.fail(*j, std::move(error), retryable);
    drop(id.to_string(), who.lease);
    return failed;
}

std::size_t remote_jobs::staged_outputs() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& [id, e] : outputs_) n += e.files.size();
    return n;
}

void remote_jobs::drop(const std::string& id, std::string_view lease) {
    std::lock_guard lock(mutex_);
    auto it = outputs_.find(id);
    if (it == outputs_.end() || it->second.completing || it->second.lease != lease) return;
    outputs_.erase(it);  // the writers remove their temporary files
}

void remote_jobs::drop_unless(const std::string& id, std::string_view holder) {
    std::lock_guard lock(mutex_);
    auto it = outputs_.find(id);
    if (it == outputs_.end() || it->second.completing) return;
    if (!holder.empty() && it->second.lease == holder) return;
    outputs_.erase(it);
}

void remote_jobs::sweep() {
    std::lock_guard lock(mutex_);
    for (auto it = outputs_.begin(); it != outputs_.end();) {
        auto id = ulid::parse(it->first);
        auto j = id ? jobs_.get(*id) : result<job>(make_error(errc::not_found, ""));
        bool live = j && j->state == job_state::running && lease_of(*j) == it->second.lease;
        if (live || it->second.completing)
            ++it;
        else
            it = outputs_.erase(it);
    }
}

}  // namespace kho::storage
