#pragma once
// Credentials: browser sessions, personal API tokens and the bootstrap admin
// token. A credential is a random 256-bit secret shown to its owner once;
// only its SHA-256 is stored (a random secret needs no slow hash: there is no
// dictionary to attack). Lookup is one point read per request, cached.
//
// Keys (docs/storage.md): `tokens`: sha256(secret) -> record;
// `token_index`: user id + 0x00 + credential id -> sha256(secret), so that a
// user's credentials can be listed and revoked.
//
// Thread safety: all member functions may be called concurrently.

#include "core/audit.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ulid.hpp"

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace kho::storage {

class database;
class audit_log;

enum class credential_kind { bootstrap, session, api_token };
std::string_view to_string(credential_kind k) noexcept;

struct credential {
    std::string id;  // public id (ULID text); "bootstrap" for the bootstrap token
    credential_kind kind = credential_kind::api_token;
    std::string user_id;
    std::string label;
    std::string client_address;  // where a session was opened
    unix_ms created_at = 0;
    unix_ms expires_at = 0;    // 0: never (API tokens without expiry, bootstrap)
    unix_ms last_used_at = 0;  // sessions: for the idle timeout
};

struct session_limits {
    unix_ms idle_ms = 2 * 3600 * 1000;        // Default: 2 h without a request ends a session
    unix_ms absolute_ms = 12 * 3600 * 1000;   // Default: 12 h after login at the latest
};

class token_store {
  public:
    token_store(database& db, audit_log& audit, kho::clock clk = {}, session_limits limits = {});

    // Looks a presented secret up and checks its expiry. errc::unauthorized
    // when unknown, expired or idle too long. Sessions note the time of use.
    result<credential> authenticate(std::string_view secret);

    // First start: makes sure a bootstrap admin token exists. With
    // `provided` (KHO_ADMIN_TOKEN or --admin-token-file) that token is
    // registered; without it a token is generated, but only when no bootstrap
    // token exists yet. Returns the generated token (to print once), or nothing.
    result<std::optional<std::string>> ensure_bootstrap(const std::optional<std::string>& provided);
    // Makes every bootstrap token the API token of `user_id` (the first admin).
    result<void> assign_bootstrap(const std::string& user_id);

    // A new session for a user who just proved their password. Audited as
    // "session.login".
    result<std::pair<std::string, credential>> create_session(const std::string& user_id,
                                                              const audit_context& who);
    // A personal API token. Audited as "token.created".
    result<std::pair<std::string, credential>> create_api_token(const std::string& user_id,
                                                                std::string label,
                                                                std::optional<unix_ms> expires_at,
                                                                const audit_context& who);

    // A user's credentials, newest first.
    result<std::vector<credential>> list(const std::string& user_id) const;
    // Revokes one of a user's credentials: errc::not_found when it is not
    // theirs. Audited as "session.logout" or "token.revoked".
    result<credential> revoke(const std::string& user_id, const std::string& credential_id,
                              const audit_context& who);
    // Revokes every session (and with `tokens_too`, every token) of a user;
    // one audit entry `action` when anything was revoked. Returns how many.
    result<std::size_t> revoke_all(const std::string& user_id, bool tokens_too,
                                   const audit_context& who, std::string_view action);

    // Deletes sessions and tokens that have ended (expired or idle too
    // long); they no longer authenticate anyway. Returns how many.
    std::size_t sweep_expired();

    // A new random secret: "kho_" + 43 base64url characters.
    static std::string generate();

  private:
    result<std::pair<std::string, credential>> issue(credential c, const audit_context& who,
                                                     std::string_view action);
    void forget_cached();

    database& db_;
    audit_log& audit_;
    kho::clock clock_;
    session_limits limits_;
    ulid_generator ids_;
    mutable std::mutex cache_mutex_;
    // Known credentials by hashed secret; every change clears it. Sessions'
    // last use is kept here and written back at most every idle/16.
    mutable std::unordered_map<std::string, credential> cache_;
};

}  // namespace kho::storage
