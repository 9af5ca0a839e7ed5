#include "server/remote_worker.hpp"

#include "server/remote_job.hpp"
#include "tools/api_target.hpp"
#include "tools/http_client.hpp"

#include <signal.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace kho::server {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto k_idle_first = 1000ms;
constexpr auto k_idle_most = 5000ms;
constexpr auto k_error_most = 60'000ms;

// What the slots share: the stop level (0 run, 1 finish and exit, 2
// abandon), and a way to sleep that a signal cuts short.
struct worker_state {
    std::atomic<int> stop{0};
    std::atomic<bool> refused{false};  // the server refused the token
    std::mutex mutex;
    std::condition_variable cv;

    bool running() const { return stop.load() == 0 && !refused.load(); }
    void sleep(std::chrono::milliseconds d) {
        std::unique_lock lock(mutex);
        cv.wait_for(lock, d, [&] { return !running(); });
    }
    void wake() {
        { std::lock_guard lock(mutex); }
        cv.notify_all();
    }
};

std::string detail_of(const cli::http_response& r) {
    auto j = json::parse(r.body, nullptr, false);
    if (j.is_object() && j.contains("detail") && j["detail"].is_string())
        return j["detail"].get<std::string>() + " (HTTP " + std::to_string(r.status) + ")";
    return "HTTP " + std::to_string(r.status);
}

void slot(const remote_worker_options& o, const cli::server_address& server, worker_state& state) {
    cli::http_client client(server);
    const auto target = cli::api_target(server, {"api", "v1", "worker", "jobs", "claim"});
    const auto body = json{{"worker", o.name}, {"lease_seconds", o.lease.count()}}.dump();
    const cli::header_list headers{{"Authorization", "Bearer " + o.token},
                                   {"Content-Type", "application/json"}};
    std::chrono::milliseconds idle = k_idle_first;
    std::chrono::milliseconds backoff = k_idle_first;
    while (state.running()) {
        cli::http_response r;
        try {
            r = client.request("POST", target, headers, body);
        } catch (const cli::transport_error& e) {
            spdlog::warn("{}; trying again in {} s", e.what(), backoff.count() / 1000.0);
            state.sleep(backoff);
            backoff = std::min(backoff * 2, k_error_most);
            continue;
        }
        if (r.status == 401 || r.status == 403) {
            spdlog::error("the server refused this worker's token: {}", detail_of(r));
            state.refused = true;
            state.wake();
            return;
        }
        if (r.status == 204) {
            backoff = k_idle_first;
            if (o.once) return;
            state.sleep(idle);
            idle = std::min(idle * 3 / 2, k_idle_most);
            continue;
        }
        if (r.status != 200) {
            spdlog::warn("claiming a job failed: {}; trying again in {} s", detail_of(r),
                         backoff.count() / 1000.0);
            state.sleep(backoff);
            backoff = std::min(backoff * 2, k_error_most);
            continue;
        }
        idle = backoff = k_idle_first;
        auto claim = json::parse(r.body, nullptr, false);
        if (!claim.is_object()) {
            spdlog::error("the server answered a claim with something that is not a job");
            state.sleep(k_idle_most);
            continue;
        }
        (void)run_remote_job(client, o, claim, state.stop);
        if (o.once) return;
    }
}

// Leftovers of an earlier run that was killed: the job directories.
void remove_leftovers(const fs::path& dir) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().filename().string().starts_with("job-")) fs::remove_all(it->path(), ec);
}

}  // namespace

int run_remote_worker(const remote_worker_options& o) {
    spdlog::set_default_logger(spdlog::stderr_color_mt("kho-worker"));
    ::signal(SIGPIPE, SIG_IGN);  // a closed socket is an error, not a crash
    // Signals are taken by one thread with sigtimedwait; every other thread
    // (and, until it resets its mask, every child) has them blocked.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto server = cli::parse_server_url(o.server);  // checked by the option parser
    if (!o.own_work_dir) remove_leftovers(o.work_dir);
    spdlog::info("worker {} taking jobs from {} ({} at a time, work dir {})", o.name,
                 server.authority, o.concurrency, o.work_dir.string());

    worker_state state;
    std::atomic<bool> slots_done{false};
    std::thread signal_thread([&] {
        timespec tick{0, 250'000'000};
        while (!slots_done.load()) {
            int sig = ::sigtimedwait(&signals, nullptr, &tick);
            if (sig <= 0) continue;
            int level = state.stop.fetch_add(1) + 1;
            if (level == 1)
                spdlog::info("signal {}: finishing the running jobs; again to abandon them", sig);
            else
                spdlog::warn("signal {}: abandoning the running jobs", sig);
            state.wake();
        }
    });
    std::vector<std::thread> slots;
    for (unsigned i = 0; i < o.concurrency; ++i)
        slots.emplace_back([&] { slot(o, server, state); });
    for (auto& t : slots) t.join();
    slots_done = true;
    signal_thread.join();

    if (o.own_work_dir) {
        std::error_code ec;
        fs::remove_all(o.work_dir, ec);
    }
    spdlog::info("stopped");
    return state.refused.load() ? 1 : 0;
}

}  // namespace kho::server
