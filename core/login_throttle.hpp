#pragma once
// Slows down password guessing. Failed sign-ins are counted per account (the
// folded user name the caller passes) and per client address, separately:
// the account count stops guessing one user's password from many addresses,
// the address count stops one address trying a few passwords against many
// accounts (password spraying).
//
// Each key has some free failures; after them, every further failure locks
// the key for base_delay * 2^(n - free - 1), at most max_delay, measured from
// that failure. A key that has not failed for forget_after is forgotten.
// Only failures lock: a locked account's owner is slowed down too, never
// locked out for good, and a success clears the account (not the address,
// or an attacker could reset it with an account of their own).
//
// Memory is bounded: each of the two tables holds at most max_keys keys;
// when one is full, forgotten keys go first, then the one that failed
// longest ago. Keys longer than 256 bytes are cut to 256 bytes.
//
// Thread safety: all member functions may be called concurrently.

#include "core/clock.hpp"
#include "core/error.hpp"

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kho {

class login_throttle {
  public:
    struct limits {
        // Default: 5. Failures per account before delays start.
        int free_failures_per_account = 5;
        // Default: 20. Failures per client address before delays start.
        int free_failures_per_address = 20;
        // Default: 1 s. The lock after the first failure beyond the free ones.
        unix_ms base_delay_ms = 1000;
        // Default: 15 min. The longest lock.
        unix_ms max_delay_ms = 15 * 60 * 1000;
        // Default: 1 h. A key with no failure for this long starts again from zero.
        unix_ms forget_after_ms = 60 * 60 * 1000;
        // Default: 100 000. Keys held per table (accounts, addresses).
        std::size_t max_keys = 100000;

        // errc::invalid_parameter for negative counts or delays, no keys, or
        // forget_after shorter than max_delay (a lock would be forgotten early).
        result<void> validate() const;
    };

    login_throttle(limits l, kho::clock clk);

    // Milliseconds until the account and the address may try again (the
    // longer of the two), or nullopt when both may try now.
    std::optional<unix_ms> retry_after(std::string_view account, std::string_view address) const;

    // Counts a failed sign-in against both keys.
    void failed(std::string_view account, std::string_view address);

    // Clears the account's failures; the address keeps its count.
    void succeeded(std::string_view account, std::string_view address);

    // Keys held (accounts plus addresses), for tests and metrics.
    std::size_t size() const;

  private:
    struct record {
        int failures = 0;
        unix_ms last_failure = 0;
        std::list<std::string>::iterator age;  // position in table::by_age
    };
    // Keys and the order in which they last failed (oldest first).
    struct table {
        std::unordered_map<std::string, record> records;
        std::list<std::string> by_age;
    };

    std::optional<unix_ms> remaining(const table& t, std::string_view key, int free_failures,
                                     unix_ms now) const;
    void count_failure(table& t, std::string_view key, unix_ms now);
    void forget_expired(table& t, unix_ms now);
    void erase(table& t, std::unordered_map<std::string, record>::iterator it);

    limits limits_;
    kho::clock clock_;
    mutable std::mutex mutex_;
    table accounts_;
    table addresses_;
};

}  // namespace kho
