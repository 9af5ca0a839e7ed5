#include "storage/token_store.hpp"

#include "storage/rocks.hpp"
#include "core/sha256.hpp"

#include <openssl/rand.h>
#include <nlohmann/json.hpp>

namespace kho::storage {
namespace {

constexpr std::string_view k_bootstrap_key = "bootstrap.admin_token";

std::string token_key(std::string_view token) {
    sha256 h;
    h.update(token.data(), token.size());
    auto d = h.finish();
    return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

}  // namespace

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

result<principal> token_store::authenticate(std::string_view token) const {
    if (token.empty() || token.size() > 256)
        return make_error(errc::unauthorized, "the token is not valid");
    auto key = token_key(token);
    {
        std::lock_guard lock(cache_mutex_);
        if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    }
    auto& h = db_.handles();
    std::string v;
    auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::tokens], key, &v);
    if (s.IsNotFound()) return make_error(errc::unauthorized, "the token is not valid");
    if (!s.ok()) return to_error(s, "read token");
    auto j = nlohmann::json::parse(v, nullptr, false);
    if (j.is_discarded() || !j.contains("principal") || !j.contains("role"))
        return make_error(errc::internal, "corrupt token record");
    principal p{j["principal"].get<std::string>(), j["role"].get<std::string>()};
    std::lock_guard lock(cache_mutex_);
    if (cache_.size() >= 4096) cache_.clear();
    cache_.emplace(std::move(key), p);
    return p;
}

result<std::optional<std::string>> token_store::ensure_bootstrap(
    const std::optional<std::string>& provided) {
    auto& h = db_.handles();
    std::string existing;
    auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::meta], k_bootstrap_key, &existing);
    if (!s.ok() && !s.IsNotFound()) return to_error(s, "read bootstrap marker");
    bool have_bootstrap = s.ok();
    if (!provided && have_bootstrap) return std::optional<std::string>{};

    std::string token = provided ? *provided : generate();
    if (provided) {
        if (token.size() < 20 || token.size() > 256)
            return make_error(errc::invalid_parameter,
                              "the admin token must be 20 to 256 characters long");
        for (char c : token)
            if (c <= 0x20 || c >= 0x7f)
                return make_error(errc::invalid_parameter,
                                  "the admin token must be printable ASCII without spaces");
    }
    nlohmann::json record{{"principal", "admin"},
                          {"role", "admin"},
                          {"label", "bootstrap"},
                          {"created_at", clock_.now()}};
    rocksdb::WriteBatch batch;
    batch.Put(h[cf::tokens], token_key(token), record.dump());
    batch.Put(h[cf::meta], k_bootstrap_key, "1");
    s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "store bootstrap token");
    {
        std::lock_guard lock(cache_mutex_);
        cache_.clear();
    }
    if (provided) return std::optional<std::string>{};
    return std::optional<std::string>{token};
}

}  // namespace kho::storage
