#include "core/login_throttle.hpp"

#include <algorithm>

namespace kho {
namespace {

constexpr std::size_t k_max_key_bytes = 256;

std::string_view cut(std::string_view key) {
    return key.substr(0, k_max_key_bytes);
}

// base * 2^(n - free - 1) capped at max; 0 while n <= free.
unix_ms lock_for(int failures, int free_failures, unix_ms base, unix_ms max) {
    if (failures <= free_failures || base <= 0) return 0;
    unix_ms delay = std::min(base, max);
    for (int i = free_failures + 1; i < failures && delay < max; ++i)
        delay = std::min(delay * 2, max);  // no overflow: delay < max before doubling
    return delay;
}

}  // namespace

result<void> login_throttle::limits::validate() const {
    if (free_failures_per_account < 0 || free_failures_per_address < 0)
        return make_error(errc::invalid_parameter, "free failures must not be negative");
    if (base_delay_ms < 0 || max_delay_ms < base_delay_ms)
        return make_error(errc::invalid_parameter,
                          "the base delay must be between 0 and the maximum delay");
    if (forget_after_ms < max_delay_ms)
        return make_error(errc::invalid_parameter,
                          "failures must be remembered at least as long as the maximum delay");
    if (max_keys == 0) return make_error(errc::invalid_parameter, "max_keys must be at least 1");
    return ok();
}

login_throttle::login_throttle(limits l, kho::clock clk) : limits_(l), clock_(std::move(clk)) {}

std::optional<unix_ms> login_throttle::remaining(const table& t, std::string_view key,
                                                 int free_failures, unix_ms now) const {
    auto it = t.records.find(std::string(cut(key)));
    if (it == t.records.end()) return std::nullopt;
    const record& r = it->second;
    if (now - r.last_failure >= limits_.forget_after_ms) return std::nullopt;
    auto delay = lock_for(r.failures, free_failures, limits_.base_delay_ms, limits_.max_delay_ms);
    auto left = r.last_failure + delay - now;
    if (left <= 0) return std::nullopt;
    return std::min(left, delay);  // the clock stepped back: never more than the lock
}

std::optional<unix_ms> login_throttle::retry_after(std::string_view account,
                                                   std::string_view address) const {
    auto now = clock_.now();
    std::lock_guard lock(mutex_);
    auto a = remaining(accounts_, account, limits_.free_failures_per_account, now);
    auto b = remaining(addresses_, address, limits_.free_failures_per_address, now);
    if (a && b) return std::max(*a, *b);
    return a ? a : b;
}

void login_throttle::erase(table& t, std::unordered_map<std::string, record>::iterator it) {
    t.by_age.erase(it->second.age);
    t.records.erase(it);
}

void login_throttle::forget_expired(table& t, unix_ms now) {
    while (!t.by_age.empty()) {
        auto it = t.records.find(t.by_age.front());
        if (now - it->second.last_failure < limits_.forget_after_ms) return;
        erase(t, it);
    }
}

void login_throttle::count_failure(table& t, std::string_view key, unix_ms now) {
    forget_expired(t, now);
    std::string k(cut(key));
    auto it = t.records.find(k);
    if (it == t.records.end()) {
        // Full of keys that still count: the key that failed longest ago goes.
        while (!t.by_age.empty() && t.records.size() >= std::max<std::size_t>(limits_.max_keys, 1))
            erase(t, t.records.find(t.by_age.front()));
        auto age = t.by_age.insert(t.by_age.end(), k);
        it = t.records.emplace(std::move(k), record{0, now, age}).first;
    } else {
        t.by_age.splice(t.by_age.end(), t.by_age, it->second.age);
    }
    record& r = it->second;
    if (now - r.last_failure >= limits_.forget_after_ms)
        r.failures = 0;  // forgotten, not yet dropped
    // Any count this high locks for max_delay already; stop before overflow.
    if (r.failures < 1000000) ++r.failures;
    r.last_failure = now;
}

void login_throttle::failed(std::string_view account, std::string_view address) {
    auto now = clock_.now();
    std::lock_guard lock(mutex_);
    count_failure(accounts_, account, now);
    count_failure(addresses_, address, now);
}

std::size_t login_throttle::size() const {
    std::lock_guard lock(mutex_);
    return accounts_.records.size() + addresses_.records.size();
}

void login_throttle::succeeded(std::string_view account, std::string_view /*address*/) {
    std::lock_guard lock(mutex_);
    auto it = accounts_.records.find(std::string(cut(account)));
    if (it != accounts_.records.end()) erase(accounts_, it);
}

}  // namespace kho
