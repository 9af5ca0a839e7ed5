#pragma once
// API tokens. A token is shown to its owner once; only its SHA-256 is stored
// (tokens carry 256 random bits, so a plain hash is enough: no dictionary
// attack applies). Lookup is one point read per request.
//
// Thread safety: all member functions may be called concurrently.

#include "core/clock.hpp"
#include "core/error.hpp"

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace kho::storage {

class database;

struct principal {
    std::string id;    // who acts ("admin" for the bootstrap token)
    std::string role;  // "admin", ...
};

class token_store {
  public:
    explicit token_store(database& db, kho::clock clk = {}) : db_(db), clock_(std::move(clk)) {}

    // Looks a presented token up. errc::unauthorized when unknown.
    result<principal> authenticate(std::string_view token) const;

    // First start: makes sure an admin token exists. With `provided` (from
    // KHO_ADMIN_TOKEN or --admin-token-file) that token is registered; without
    // it a token is generated, but only when no bootstrap token exists yet.
    // Returns the generated token (to print once), or nothing.
    result<std::optional<std::string>> ensure_bootstrap(const std::optional<std::string>& provided);

    // A new random token: "kho_" + 43 base64url characters.
    static std::string generate();

  private:
    database& db_;
    kho::clock clock_;
    // Known tokens by their hash; every request authenticates, so this
    // saves a database read per request. Any change to tokens clears it.
    mutable std::mutex cache_mutex_;
    mutable std::unordered_map<std::string, principal> cache_;
};

}  // namespace kho::storage
