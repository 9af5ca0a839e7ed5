#include "core/login_throttle.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using kho::login_throttle;
using kho::unix_ms;

namespace {

// 2025-11-26T05:02:12.000Z
constexpr unix_ms k_start = 1764133332000;
constexpr unix_ms k_second = 1000;
constexpr unix_ms k_minute = 60 * k_second;
constexpr unix_ms k_hour = 60 * k_minute;

// A throttle with the default limits (or `l`) and a clock the test moves by hand.
struct throttle_env {
    explicit throttle_env(login_throttle::limits l = {})
        : throttle(l, kho::clock([this] { return now; })) {}
    std::optional<unix_ms> wait(const std::string& account, const std::string& address = "a1") {
        return throttle.retry_after(account, address);
    }
    void fail(const std::string& account, const std::string& address = "a1", int times = 1) {
        for (int i = 0; i < times; ++i) throttle.failed(account, address);
    }

    unix_ms now = k_start;
    login_throttle throttle;
};

}  // namespace

TEST_CASE("the account's delays double after the free failures", "[throttle]") {
    throttle_env env;
    env.fail("nguyen.van.a", "a1", 5);
    CHECK_FALSE(env.wait("nguyen.van.a"));

    // The n-th failure locks for 1 s * 2^(n - 6), at most 15 minutes.
    const std::vector<unix_ms> delays = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900};
    for (std::size_t i = 0; i < delays.size(); ++i) {
        const unix_ms delay = delays[i] * k_second;
        INFO("failure " << i + 6 << ", delay " << delay);
        env.fail("nguyen.van.a", "a" + std::to_string(i));  // from a new address each time
        CHECK(env.wait("nguyen.van.a") == delay);
        env.now += 1;
        CHECK(env.wait("nguyen.van.a") == delay - 1);
        env.now += delay - 2;
        CHECK(env.wait("nguyen.van.a") == 1);
        CHECK(env.wait("nguyen.van.a", "another address") == 1);
        env.now += 1;
        CHECK_FALSE(env.wait("nguyen.van.a"));
    }
    // Other accounts are not affected.
    CHECK_FALSE(env.wait("tran.thi.b"));
}

TEST_CASE("the address limit stops password spraying", "[throttle]") {
    throttle_env env;
    for (int i = 0; i < 20; ++i) env.fail("user" + std::to_string(i), "198.51.100.7");
    CHECK_FALSE(env.wait("user999", "198.51.100.7"));
    CHECK_FALSE(env.wait("user0", "198.51.100.7"));

    env.fail("user20", "198.51.100.7");  // the 21st failure from this address
    CHECK(env.wait("user999", "198.51.100.7") == 1000);
    CHECK(env.wait("user0", "198.51.100.7") == 1000);
    CHECK_FALSE(env.wait("user999", "198.51.100.8"));  // the same account elsewhere
    CHECK_FALSE(env.wait("user20", "198.51.100.8"));
    env.now += 999;
    CHECK(env.wait("user999", "198.51.100.7") == 1);
    env.now += 1;
    CHECK_FALSE(env.wait("user999", "198.51.100.7"));
    env.fail("user21", "198.51.100.7");
    CHECK(env.wait("user999", "198.51.100.7") == 2000);

    SECTION("the longer of the two locks counts") {
        env.fail("victim", "203.0.113.1", 9);  // 9th failure: 8 s
        CHECK(env.wait("victim", "203.0.113.1") == 8000);
        CHECK(env.wait("victim", "198.51.100.7") == 8000);  // address: 2 s
        env.now += 7000;
        CHECK(env.wait("victim", "198.51.100.7") == 1000);
        CHECK(env.wait("someone", "198.51.100.7") == std::nullopt);
    }
}

TEST_CASE("a success clears the account, not the address", "[throttle]") {
    throttle_env env;
    env.fail("le.van.c", "a1", 6);
    REQUIRE(env.wait("le.van.c") == 1000);
    env.throttle.succeeded("le.van.c", "a1");
    CHECK_FALSE(env.wait("le.van.c"));
    env.fail("le.van.c", "a1", 5);  // free again
    CHECK_FALSE(env.wait("le.van.c", "a2"));
    env.fail("le.van.c", "a1");
    CHECK(env.wait("le.van.c", "a2") == 1000);

    SECTION("the address keeps its count") {
        env.throttle.succeeded("le.van.c", "a1");
        // a1 has 12 failures; 9 more make 21.
        env.fail("x", "a1", 9);
        CHECK(env.wait("y", "a1") == 1000);
        env.throttle.succeeded("y", "a1");
        env.throttle.succeeded("x", "a1");
        CHECK(env.wait("y", "a1") == 1000);
        CHECK_FALSE(env.wait("y", "a2"));
    }
    SECTION("success for another account changes nothing") {
        env.throttle.succeeded("other", "a1");
        CHECK(env.wait("le.van.c", "a2") == 1000);
    }
}

TEST_CASE("failures are forgotten after an hour without one", "[throttle]") {
    throttle_env env;
    env.fail("pham.d", "a1", 6);
    const unix_ms last = env.now;

    SECTION("one ms before, the count still stands") {
        env.now = last + k_hour - 1;
        CHECK_FALSE(env.wait("pham.d"));  // the 1 s lock is long over
        env.fail("pham.d");
        CHECK(env.wait("pham.d") == 2000);  // 7th failure
    }
    SECTION("at the hour, the count starts again") {
        env.now = last + k_hour;
        env.fail("pham.d", "a1", 5);
        CHECK_FALSE(env.wait("pham.d"));
        env.fail("pham.d");
        CHECK(env.wait("pham.d") == 1000);
    }
    SECTION("forgotten keys are dropped") {
        CHECK(env.throttle.size() == 2);
        for (int i = 0; i < 50; ++i) env.fail("u" + std::to_string(i), "b" + std::to_string(i));
        CHECK(env.throttle.size() == 102);
        env.now = last + k_hour;
        env.fail("new", "new address");
        CHECK(env.throttle.size() == 2);
    }
    SECTION("the longest lock ends before it is forgotten") {
        env.fail("pham.d", "a1", 20);
        CHECK(env.wait("pham.d") == 15 * k_minute);
        env.now += 15 * k_minute - 1;
        CHECK(env.wait("pham.d") == 1);
    }
}

TEST_CASE("the number of keys is bounded", "[throttle]") {
    login_throttle::limits l;
    l.max_keys = 100;
    throttle_env env(l);
    env.fail("target", "10.0.0.1", 21);
    REQUIRE(env.wait("target", "10.0.0.1").has_value());
    REQUIRE(env.wait("someone", "10.0.0.1").has_value());

    SECTION("a spray of addresses and accounts") {
        for (int i = 0; i < 10000; ++i) {
            env.now += 1;
            env.fail("user" + std::to_string(i), "2001:db8::" + std::to_string(i));
        }
        CHECK(env.throttle.size() == 200);
        // The keys that failed longest ago went first.
        CHECK_FALSE(env.wait("target", "10.0.0.1"));
        CHECK(env.wait("user9999", "2001:db8::9999") == std::nullopt);  // one failure: free
        env.fail("user9999", "x", 5);
        CHECK(env.wait("user9999", "y") == 1000);  // recent keys keep counting
    }
    SECTION("addresses do not push out accounts") {
        for (int i = 0; i < 500; ++i) {
            env.now += 1;
            env.fail("target", "2001:db8::" + std::to_string(i));
        }
        CHECK(env.throttle.size() == 101);
        CHECK(env.wait("target", "elsewhere").has_value());
        CHECK_FALSE(env.wait("someone", "10.0.0.1"));  // this address was pushed out
    }
}

TEST_CASE("very long keys are cut", "[throttle]") {
    throttle_env env;
    const std::string base(256, 'k');
    env.fail(base + "one", "a1", 3);
    env.fail(base + "two", "a2", 3);
    CHECK(env.wait(base, "a3") == 1000);
    CHECK(env.throttle.size() == 3);
}

TEST_CASE("throttle limits validate", "[throttle]") {
    CHECK(login_throttle::limits{}.validate().has_value());
    auto refused = [](auto change) {
        login_throttle::limits l;
        change(l);
        auto r = l.validate();
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == kho::errc::invalid_parameter);
    };
    refused([](auto& l) { l.free_failures_per_account = -1; });
    refused([](auto& l) { l.free_failures_per_address = -1; });
    refused([](auto& l) { l.base_delay_ms = -1; });
    refused([](auto& l) { l.max_delay_ms = l.base_delay_ms - 1; });
    refused([](auto& l) { l.forget_after_ms = l.max_delay_ms - 1; });
    refused([](auto& l) { l.max_keys = 0; });
}

TEST_CASE("the throttle takes concurrent callers", "[throttle]") {
    login_throttle::limits l;
    l.max_keys = 1000;
    login_throttle throttle(l, kho::clock());
    std::atomic<int> locked{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i) {
                auto account = "user" + std::to_string((i * 7 + t) % 1500);
                auto address = "192.0.2." + std::to_string(t);
                if (throttle.retry_after(account, address)) ++locked;
                throttle.failed(account, address);
                if (i % 10 == 0) throttle.succeeded(account, address);
            }
        });
    for (auto& th : threads) th.join();
    CHECK(throttle.size() <= 1004);
    CHECK(locked > 0);
    CHECK(throttle.retry_after("user1", "192.0.2.0").has_value());
}
