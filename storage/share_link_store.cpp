#include "storage/share_link_store.hpp"

#include "storage/audit_log.hpp"
#include "storage/key_codec.hpp"
#include "storage/rocks.hpp"

#include <nlohmann/json.hpp>
#include <rocksdb/iterator.h>

namespace kho::storage {
namespace {

using json = nlohmann::json;

// `share_links` keys: 'l' + link id (16 B) -> record; 't' + target name +
// 0x00 + link id (16 B) -> empty (links of a kit or asset).
std::string link_key(const ulid& id) {
    std::string k = "l";
    k.append(id.raw());
    return k;
}

std::string target_key(const share_link& l) {
    std::string k = "t" + l.target_name();
    k += '\0';
    k.append(l.id.raw());
    return k;
}

std::string encode(const share_link& l) {
    json j{{"id", l.id.to_string()},
           {"target", l.target == link_target::press_kit ? "press_kit" : "version"},
           {"kit", l.kit},
           {"asset", l.asset},
           {"version", l.version},
           {"file", l.file},
           {"expires_at", l.expires_at},
           {"max_downloads", l.max_downloads},
           {"downloads", l.downloads},
           {"password_hash", l.password_hash},
           {"note", l.note},
           {"key_id", l.key_id},
           {"created_by", l.created_by},
           {"created_at", l.created_at},
           {"revoked_by", l.revoked_by}};
    if (l.revoked_at) j["revoked_at"] = *l.revoked_at;
    return j.dump();
}

result<share_link> decode(std::string_view bytes) {
    auto j = json::parse(bytes, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return make_error(errc::internal, "corrupt share link record");
    try {
        share_link l;
        auto id = ulid::parse(j.at("id").get<std::string>());
        if (!id) return make_error(errc::internal, "corrupt share link record");
        l.id = *id;
        l.target = j.at("target") == "press_kit" ? link_target::press_kit : link_target::version;
        l.kit = j.at("kit").get<std::string>();
        l.asset = j.at("asset").get<std::string>();
        l.version = j.at("version").get<std::uint32_t>();
        l.file = j.at("file").get<std::string>();
        l.expires_at = j.at("expires_at").get<unix_ms>();
        l.max_downloads = j.at("max_downloads").get<std::uint64_t>();
        l.downloads = j.at("downloads").get<std::uint64_t>();
        l.password_hash = j.at("password_hash").get<std::string>();
        l.note = j.at("note").get<std::string>();
        l.key_id = j.at("key_id").get<std::string>();
        l.created_by = j.at("created_by").get<std::string>();
        l.created_at = j.at("created_at").get<unix_ms>();
        l.revoked_by = j.at("revoked_by").get<std::string>();
        if (j.contains("revoked_at")) l.revoked_at = j.at("revoked_at").get<unix_ms>();
        return l;
    } catch (const json::exception&) {
        return make_error(errc::internal, "corrupt share link record");
    }
}

audit_entry entry_for(const audit_context& who, std::string action, const share_link& l) {
    audit_entry e;
    e.actor = who.actor;
    e.client_address = who.client_address;
    e.action = std::move(action);
    e.target = "share_link:" + l.id.to_string();
    e.detail = {{"target", l.target_name()},
                {"expires_at", format_rfc3339(l.expires_at)},
                {"max_downloads", l.max_downloads},
                {"password", !l.password_hash.empty()}};
    return e;
}

}  // namespace

std::string share_link::target_name() const {
    if (target == link_target::press_kit) return "kit:" + kit;
    return "asset:" + asset + "/v" + std::to_string(version) + "/" + file;
}

share_link_store::share_link_store(database& db, audit_log& audit, kho::clock clk)
    : db_(db), audit_(audit), clock_(std::move(clk)) {}

result<void> share_link_store::put(const share_link& l, audit_entry* e) {
    auto& h = db_.handles();
    rocksdb::WriteBatch batch;
    batch.Put(h[cf::share_links], link_key(l.id), encode(l));
    batch.Put(h[cf::share_links], target_key(l), "");
    if (e) audit_.append(batch, *e);
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "store share link");
    return {};
}

result<share_link> share_link_store::create(share_link link, const audit_context& who) {
    link.created_by = who.actor;
    link.created_at = clock_.now();
    auto e = entry_for(who, "share_link.created", link);
    std::lock_guard guard(mutex_);
    if (auto ok = put(link, &e); !ok) return ok.error();
    return link;
}

result<share_link> share_link_store::get(const ulid& id) const {
    auto& h = db_.handles();
    std::string v;
    auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::share_links], link_key(id), &v);
    if (s.IsNotFound()) return make_error(errc::not_found, "no share link with id " + id.to_string());
    if (!s.ok()) return to_error(s, "read share link");
    return decode(v);
}

result<std::vector<share_link>> share_link_store::list(const std::string& target_prefix,
                                                       std::size_t limit) const {
    auto& h = db_.handles();
    const std::string prefix = target_prefix.empty() ? "l" : "t" + target_prefix;
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(rocksdb::ReadOptions(), h[cf::share_links]));
    std::vector<share_link> out;
    if (target_prefix.empty()) {
        seek_newest_first(*it, "l", std::nullopt);
        for (; it->Valid() && it->key().starts_with("l") && out.size() < limit; it->Prev()) {
            auto l = decode(it->value().ToStringView());
            if (!l) return l.error();
            out.push_back(std::move(*l));
        }
    } else {
        // A target has few links: read them all, keep the newest.
        for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
            auto k = it->key().ToStringView();
            auto id = ulid::from_raw(k.substr(k.size() - 16));
            if (!id) continue;
            if (auto l = get(*id)) out.push_back(std::move(*l));
        }
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id > b.id; });
        if (out.size() > limit) out.resize(limit);
    }
    if (!it->status().ok()) return to_error(it->status(), "list share links");
    return out;
}

result<share_link> share_link_store::revoke(const ulid& id, const audit_context& who) {
    std::lock_guard guard(mutex_);
    auto l = get(id);
    if (!l) return l.error();
    if (l->revoked_at) return make_error(errc::conflict, "the link is already revoked");
    l->revoked_at = clock_.now();
    l->revoked_by = who.actor;
    auto e = entry_for(who, "share_link.revoked", *l);
    if (auto ok = put(*l, &e); !ok) return ok.error();
    return l;
}

result<share_link> share_link_store::claim_download(const ulid& id) {
    std::lock_guard guard(mutex_);
    auto l = get(id);
    if (!l) return l.error();
    if (l->max_downloads && l->downloads >= l->max_downloads)
        return make_error(errc::gone, "the link's " + std::to_string(l->max_downloads) +
                                          " downloads have been used");
    l->downloads += 1;
    if (auto ok = put(*l, nullptr); !ok) return ok.error();
    return l;
}

}  // namespace kho::storage
