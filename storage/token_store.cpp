#include "storage/token_store.hpp"

#include "core/sha256.hpp"
#include "storage/audit_log.hpp"
#include "storage/rocks.hpp"

#include <nlohmann/json.hpp>
#include <openssl/rand.h>
#include <rocksdb/iterator.h>

#include <algorithm>
#include <charconv>

namespace kho::storage {
namespace {

constexpr std::string_view k_bootstrap_key = "bootstrap.admin_token";

std::string token_key(std::string_view secret) {
    sha256 h;
    h.update(secret.data(), secret.size());
    auto d = h.finish();
    return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

// A session's last use lives beside its record, so that noting a use never
// rewrites the record (a revocation in between would bring it back).
std::string last_used_key(std::string_view record_key) {
    std::string k(record_key);
    k += 'l';
    return k;
}

unix_ms parse_ms(std::string_view s) {
    unix_ms v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

std::string index_key(std::string_view user_id, std::string_view credential_id) {
    std::string k(user_id);
    k += '\0';
    k.append(credential_id);
    return k;
}

std::string encode(const credential& c) {
    nlohmann::json j{{"principal", c.user_id},
                     {"kind", std::string(to_string(c.kind))},
                     {"id", c.id},
                     {"label", c.label},
                     {"client_address", c.client_address},
                     {"created_at", c.created_at},
                     {"expires_at", c.expires_at},
                     {"last_used_at", c.last_used_at}};
    return j.dump();
}

result<credential> decode(std::string_view bytes) {
    auto j = nlohmann::json::parse(bytes, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("principal"))
        return make_error(errc::internal, "corrupt token record");
    credential c;
    try {
        c.user_id = j.at("principal").get<std::string>();
        auto kind = j.value("kind", "bootstrap");
        c.kind = kind == "session"     ? credential_kind::session
                 : kind == "api_token" ? credential_kind::api_token
                                       : credential_kind::bootstrap;
        c.id = j.value("id", "bootstrap");
        c.label = j.value("label", "");
        c.client_address = j.value("client_address", "");
        c.created_at = j.value("created_at", unix_ms{0});
        c.expires_at = j.value("expires_at", unix_ms{0});
        c.last_used_at = j.value("last_used_at", unix_ms{0});
    } catch (const nlohmann::json::exception&) {
        return make_error(errc::internal, "corrupt token record");
    }
    return c;
}

}  // namespace

std::string_view to_string(credential_kind k) noexcept {
    switch (k) {
        case credential_kind::bootstrap:
            return "bootstrap";
        case credential_kind::session:
            return "session";
        case credential_kind::api_token:
            return "api_token";
    }
    return "api_token";
}

token_store::token_store(database& db, audit_log& audit, kho::clock clk, session_limits limits)
    : db_(db), audit_(audit), clock_(std::move(clk)), limits_(limits) {}

std::string token_store::generate() {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char bytes[32];
    RAND_bytes(bytes, sizeof bytes);
    std::string out = "kho_";
    // base64url without padding: 32 bytes -> 43 characters.
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char b : bytes) {
        acc = (acc << 8) | b;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += alphabet[(acc >> bits) & 0x3f];
        }
    }
    if (bits > 0) out += alphabet[(acc << (6 - bits)) & 0x3f];
    return out;
}

void token_store::forget_cached() {
    std::lock_guard lock(cache_mutex_);
    cache_.clear();
}

result<credential> token_store::authenticate(std::string_view secret) {
    if (secret.empty() || secret.size() > 256)
        return make_error(errc::unauthorized, "the token is not valid");
    auto key = token_key(secret);
    auto now = clock_.now();
    std::optional<credential> found;
    {
        std::lock_guard lock(cache_mutex_);
        if (auto it = cache_.find(key); it != cache_.end()) found = it->second;
    }
    auto& h = db_.handles();
    if (!found) {
        std::string v;
        auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::tokens], key, &v);
        if (s.IsNotFound()) return make_error(errc::unauthorized, "the token is not valid");
        if (!s.ok()) return to_error(s, "read token");
        auto c = decode(v);
        if (!c) return c.error();
        std::string used;
        if (c->kind == credential_kind::session &&
            h.db->Get(rocksdb::ReadOptions(), h[cf::tokens], last_used_key(key), &used).ok())
            c->last_used_at = std::max(c->last_used_at, parse_ms(used));
        found = std::move(*c);
    }
    credential& c = *found;
    if (c.expires_at != 0 && now >= c.expires_at)
        return make_error(errc::unauthorized, "the session or token has expired");
    if (c.kind == credential_kind::session) {
        if (now - c.last_used_at >= limits_.idle_ms)
            return make_error(errc::unauthorized, "the session ended after a period of inactivity");
        // Note the use; write it back only now and then (it is a hint for
        // the idle timeout, not a record).
        bool persist = now - c.last_used_at >= std::max<unix_ms>(limits_.idle_ms / 16, 1000);
        c.last_used_at = now;
        if (persist)
            (void)h.db->Put(rocksdb::WriteOptions(), h[cf::tokens], last_used_key(key),
                            std::to_string(now));
    }
    std::lock_guard lock(cache_mutex_);
    if (cache_.size() >= 16384) cache_.clear();
    cache_.insert_or_assign(std::move(key), c);
    return c;
}

result<std::optional<std::string>> token_store::ensure_bootstrap(
    const std::optional<std::string>& provided) {
    auto& h = db_.handles();
    std::string existing;
    auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::meta], k_bootstrap_key, &existing);
    if (!s.ok() && !s.IsNotFound()) return to_error(s, "read bootstrap marker");
    bool have_bootstrap = s.ok();
    if (!provided && have_bootstrap) return std::optional<std::string>{};

    std::string secret = provided ? *provided : generate();
    if (provided) {
        if (secret.size() < 20 || secret.size() > 256)
            return make_error(errc::invalid_parameter,
                              "the admin token must be 20 to 256 characters long");
        for (char ch : secret)
            if (ch <= 0x20 || ch >= 0x7f)
                return make_error(errc::invalid_parameter,
                                  "the admin token must be printable ASCII without spaces");
    }
    // A token provided again at a later start keeps its record (and owner).
    std::string key = token_key(secret);
    std::string current;
    s = h.db->Get(rocksdb::ReadOptions(), h[cf::tokens], key, &current);
    if (s.ok()) return std::optional<std::string>{};
    // The first admin's id once it exists (see assign_bootstrap).
    std::string owner = have_bootstrap && existing != "1" ? existing : std::string("admin");
    credential c;
    c.id = "bootstrap";
    c.kind = credential_kind::bootstrap;
    c.user_id = owner;
    c.label = "bootstrap";
    c.created_at = clock_.now();
    rocksdb::WriteBatch batch;
    batch.Put(h[cf::tokens], key, encode(c));
    batch.Put(h[cf::token_index], index_key(owner, "bootstrap"), key);
    batch.Put(h[cf::meta], k_bootstrap_key, owner);
    s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "store bootstrap token");
    forget_cached();
    if (provided) return std::optional<std::string>{};
    return std::optional<std::string>{secret};
}

result<void> token_store::assign_bootstrap(const std::string& user_id) {
    auto& h = db_.handles();
    rocksdb::WriteBatch batch;
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(rocksdb::ReadOptions(), h[cf::tokens]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        auto c = decode(it->value().ToStringView());
        if (!c || c->kind != credential_kind::bootstrap || c->user_id == user_id) continue;
        batch.Delete(h[cf::token_index], index_key(c->user_id, c->id));
        c->user_id = user_id;
        batch.Put(h[cf::tokens], it->key(), encode(*c));
        batch.Put(h[cf::token_index], index_key(user_id, c->id), it->key());
    }
    if (!it->status().ok()) return to_error(it->status(), "scan tokens");
    batch.Put(h[cf::meta], k_bootstrap_key, user_id);
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "assign bootstrap token");
    forget_cached();
    return ok();
}

result<std::pair<std::string, credential>> token_store::issue(credential c,
                                                              const audit_context& who,
                                                              std::string_view action) {
    auto& h = db_.handles();
    auto now = clock_.now();
    c.id = ids_.next(std::chrono::system_clock::time_point(std::chrono::milliseconds(now)))
               .to_string();
    c.created_at = now;
    c.last_used_at = now;
    std::string secret = generate();
    std::string key = token_key(secret);
    rocksdb::WriteBatch batch;
    batch.Put(h[cf::tokens], key, encode(c));
    batch.Put(h[cf::token_index], index_key(c.user_id, c.id), key);
    audit_entry e;
    e.actor = who.actor;
    e.client_address = who.client_address;
    e.action = std::string(action);
    e.target = "user:" + c.user_id;
    e.detail = {{"credential", c.id}, {"kind", std::string(to_string(c.kind))}};
    if (!c.label.empty()) e.detail["label"] = c.label;
    audit_.append(batch, e);
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "store credential");
    return std::pair{std::move(secret), std::move(c)};
}

result<std::pair<std::string, credential>> token_store::create_session(const std::string& user_id,
                                                                       const audit_context& who) {
    credential c;
    c.kind = credential_kind::session;
    c.user_id = user_id;
    c.client_address = who.client_address;
    c.expires_at = clock_.now() + limits_.absolute_ms;
    return issue(std::move(c), who, "session.login");
}

result<std::pair<std::string, credential>> token_store::create_api_token(
    const std::string& user_id, std::string label, std::optional<unix_ms> expires_at,
    const audit_context& who) {
    credential c;
    c.kind = credential_kind::api_token;
    c.user_id = user_id;
    c.label = std::move(label);
    c.expires_at = expires_at.value_or(0);
    if (expires_at && *expires_at <= clock_.now())
        return make_error(errc::invalid_parameter, "expires_at is in the past");
    return issue(std::move(c), who, "token.created");
}

result<std::vector<credential>> token_store::list(const std::string& user_id) const {
    auto& h = db_.handles();
    std::string prefix = user_id + '\0';
    std::vector<credential> out;
    std::unique_ptr<rocksdb::Iterator> it(
        h.db->NewIterator(rocksdb::ReadOptions(), h[cf::token_index]));
    auto now = clock_.now();
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        std::string v;
        auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::tokens], it->value(), &v);
        if (s.IsNotFound()) continue;
        if (!s.ok()) return to_error(s, "read token");
        auto c = decode(v);
        if (!c) return c.error();
        std::string used;
        if (c->kind == credential_kind::session &&
            h.db->Get(rocksdb::ReadOptions(), h[cf::tokens], last_used_key(it->value().ToStringView()),
                      &used)
                .ok())
            c->last_used_at = std::max(c->last_used_at, parse_ms(used));
        if (c->expires_at != 0 && now >= c->expires_at) continue;
        if (c->kind == credential_kind::session && now - c->last_used_at >= limits_.idle_ms)
            continue;
        out.push_back(std::move(*c));
    }
    if (!it->status().ok()) return to_error(it->status(), "list tokens");
    std::reverse(out.begin(), out.end());
    return out;
}

result<credential> token_store::revoke(const std::string& user_id,
                                       const std::string& credential_id,
                                       const audit_context& who) {
    auto& h = db_.handles();
    std::string key;
    auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::token_index], index_key(user_id, credential_id),
                       &key);
    if (s.IsNotFound())
        return make_error(errc::not_found, "no session or token with id " + credential_id);
    if (!s.ok()) return to_error(s, "read token index");
    std::string v;
    s = h.db->Get(rocksdb::ReadOptions(), h[cf::tokens], key, &v);
    if (!s.ok() && !s.IsNotFound()) return to_error(s, "read token");
    credential c;
    if (s.ok()) {
        auto d = decode(v);
        if (!d) return d.error();
        c = std::move(*d);
    }
    c.id = credential_id;
    c.user_id = user_id;
    rocksdb::WriteBatch batch;
    batch.Delete(h[cf::tokens], key);
    batch.Delete(h[cf::tokens], last_used_key(key));
    batch.Delete(h[cf::token_index], index_key(user_id, credential_id));
    audit_entry e;
    e.actor = who.actor;
    e.client_address = who.client_address;
    e.action = c.kind == credential_kind::session ? "session.logout" : "token.revoked";
    e.target = "user:" + user_id;
    e.detail = {{"credential", credential_id}, {"kind", std::string(to_string(c.kind))}};
    audit_.append(batch, e);
    s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "revoke token");
    forget_cached();
    return c;
}

result<std::size_t> token_store::revoke_all(const std::string& user_id, bool tokens_too,
                                            const audit_context& who, std::string_view action) {
    auto& h = db_.handles();
    std::string prefix = user_id + '\0';
    rocksdb::WriteBatch batch;
    std::size_t n = 0;
    std::unique_ptr<rocksdb::Iterator> it(
        h.db->NewIterator(rocksdb::ReadOptions(), h[cf::token_index]));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        std::string v;
        auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::tokens], it->value(), &v);
        if (!s.ok() && !s.IsNotFound()) return to_error(s, "read token");
        if (s.ok()) {
            auto c = decode(v);
            if (c && c->kind != credential_kind::session && !tokens_too) continue;
        }
        batch.Delete(h[cf::tokens], it->value());
        batch.Delete(h[cf::tokens], last_used_key(it->value().ToStringView()));
        batch.Delete(h[cf::token_index], it->key());
        ++n;
    }
    if (!it->status().ok()) return to_error(it->status(), "list tokens");
    if (n == 0) return n;
    audit_entry e;
    e.actor = who.actor;
    e.client_address = who.client_address;
    e.action = std::string(action);
    e.target = "user:" + user_id;
    e.detail = {{"revoked", n}, {"tokens_too", tokens_too}};
    audit_.append(batch, e);
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "revoke tokens");
    forget_cached();
    return n;
}

std::size_t token_store::sweep_expired() {
    auto& h = db_.handles();
    auto now = clock_.now();
    rocksdb::WriteBatch batch;
    std::size_t n = 0;
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(rocksdb::ReadOptions(), h[cf::tokens]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        auto key = it->key().ToStringView();
        if (key.size() == 33 && key.back() == 'l') {
            // A last-use note whose session is gone.
            std::string v;
            if (h.db->Get(rocksdb::ReadOptions(), h[cf::tokens], key.substr(0, 32), &v).IsNotFound())
                batch.Delete(h[cf::tokens], it->key());
            continue;
        }
        auto c = decode(it->value().ToStringView());
        if (!c) continue;
        bool ended = c->expires_at != 0 && now >= c->expires_at;
        if (c->kind == credential_kind::session && !ended) {
            unix_ms last = c->last_used_at;
            std::string used;
            if (h.db->Get(rocksdb::ReadOptions(), h[cf::tokens], last_used_key(key), &used).ok())
                last = std::max(last, parse_ms(used));
            ended = now - last >= limits_.idle_ms;
        }
        if (!ended) continue;
        batch.Delete(h[cf::tokens], it->key());
        batch.Delete(h[cf::tokens], last_used_key(key));
        batch.Delete(h[cf::token_index], index_key(c->user_id, c->id));
        ++n;
    }
    if (batch.Count() > 0) (void)h.db->Write(sync_write(), &batch);
    forget_cached();
    return n;
}

}  // namespace kho::storage
