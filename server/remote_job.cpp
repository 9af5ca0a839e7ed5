#include "server/remote_job.hpp"

#include "core/sha256.hpp"
#include "server/remote_worker_options.hpp"
#include "server/sandboxed_run.hpp"
#include "tools/api_target.hpp"

#include <sys/wait.h>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

namespace kho::server {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

constexpr int k_transfer_attempts = 4;

// The problem+json detail of an error answer, or its status.
std::string detail_of(const cli::http_response& r) {
    auto j = json::parse(r.body, nullptr, false);
    if (j.is_object() && j.contains("detail") && j["detail"].is_string())
        return j["detail"].get<std::string>() + " (HTTP " + std::to_string(r.status) + ")";
    return "HTTP " + std::to_string(r.status);
}

// The server says this lease is over: someone else may hold the job now.
bool lease_gone(int status) {
    return status == 409 || status == 404 || status == 401 || status == 403;
}

void pause(int attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500) * (1 << attempt));
}

class remote_job {
  public:
    remote_job(cli::http_client& client, const remote_worker_options& o, const json& claim,
               const std::atomic<int>& stop)
        : client_(client), o_(o), stop_(stop) {
        id_ = claim.at("id").get<std::string>();
        lease_ = claim.at("lease").get<std::string>();
        kind_ = claim.at("kind").get<std::string>();
        type_ = claim.at("content_type").get<std::string>();
        sha256_ = claim.at("sha256").get<std::string>();
        size_ = claim.at("size").get<std::uint64_t>();
        attempt_ = claim.at("attempt").get<int>();
        lease_period_ = std::chrono::seconds(claim.at("lease_seconds").get<std::int64_t>());
        const auto& l = claim.at("limits");
        max_pixels_ = l.at("max_pixels").get<std::uint64_t>();
        limits_.timeout = std::chrono::seconds(l.at("timeout_seconds").get<std::int64_t>());
        limits_.max_memory = l.at("max_memory").get<std::uint64_t>();
        limits_.max_output = l.at("max_output").get<std::uint64_t>();
        dir_ = o_.work_dir / ("job-" + id_ + "-" + std::to_string(attempt_));
    }

    ~remote_job() {
        {
            std::lock_guard lock(mutex_);
            finished_ = true;
        }
        cv_.notify_all();
        if (watcher_.joinable()) watcher_.join();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    remote_job_outcome run() {
        spdlog::info("job {}: {} {} (attempt {}), {} bytes", id_, kind_, type_, attempt_, size_);
        std::error_code ec;
        fs::remove_all(dir_, ec);
        fs::create_directories(dir_ / "out", ec);
        if (ec) return fail("cannot create the job's directory: " + ec.message(), true);
        watcher_ = std::thread([this] { watch(); });

        if (auto got = fetch_input(); got) return *got;
        if (auto over = interrupted()) return *over;
        auto done = run_sandboxed(
            {o_.self.string(), "--kind", kind_, "--input", (dir_ / "input").string(), "--type",
             type_, "--out", (dir_ / "out").string(), "--max-pixels", std::to_string(max_pixels_),
             "--deadline", std::to_string(limits_.timeout.count())},
            limits_, children_);
        if (auto over = interrupted()) return *over;
        auto answer = json::parse(done.out.substr(0, done.out.find('\n')), nullptr, false);
        bool clean_exit = !done.timed_out && WIFEXITED(done.status);
        if (!clean_exit || !answer.is_object() || !answer.value("ok", false)) {
            std::string why =
                answer.is_object() && answer.contains("error") && answer["error"].is_string()
                    ? answer["error"].get<std::string>()
                    : describe_exit(done.status, done.timed_out, limits_.timeout);
            // Exit status 2: the decoder refused the file; running it again changes nothing.
            return fail(why, !(clean_exit && WEXITSTATUS(done.status) == 2));
        }
        json listed = json::array();
        for (const auto& r : answer.value("renditions", json::array())) {
            auto name = r.is_object() ? r.value("name", "") : "";
            auto file = r.is_object() ? r.value("file", "") : "";
            // The child names files inside its own directory only.
            if (name.empty() || file.empty() || file.find('/') != std::string::npos ||
                file[0] == '.')
                return fail("the worker named an invalid output", false);
            if (auto sent = send_output(name, dir_ / "out" / file); sent) return *sent;
            json entry{{"name", name},
                       {"content_type", r.value("content_type", "application/octet-stream")},
                       {"width", r.value("width", 0)},
                       {"height", r.value("height", 0)}};
            if (r.contains("duration")) entry["duration"] = r["duration"];
            if (r.contains("recipe")) entry["recipe"] = r["recipe"];
            listed.push_back(std::move(entry));
            if (auto over = interrupted()) return *over;
        }
        json info = answer.value("info", json::object());
        return complete(json{{"info", info.is_object() ? info : json::object()},
                             {"renditions", std::move(listed)}});
    }

  private:
    cli::header_list headers(cli::header_list extra = {}) const {
        extra.emplace_back("Authorization", "Bearer " + o_.token);
        extra.emplace_back("Kho-Lease", lease_);
        return extra;
    }

    // /api/v1/worker/jobs/<id>/<what>[/<name>], percent-encoded by Boost.URL.
    std::string target(std::string_view what, std::string_view name = {}) const {
        if (name.empty())
            return cli::api_target(client_.server(), {"api", "v1", "worker", "jobs", id_, what});
        return cli::api_target(client_.server(), {"api", "v1", "worker", "jobs", id_, what, name});
    }

    // Renews the lease until the job is over; kills the child when the
    // lease is lost or the worker is told to abandon its jobs.
    void watch() {
        cli::http_client beat(client_.server(), cli::client_timeouts{std::chrono::seconds(10),
                                                                     std::chrono::seconds(20),
                                                                     std::chrono::seconds(20)});
        const auto every = std::max<steady::duration>(lease_period_ / 3, std::chrono::seconds(1));
        auto last_ok = steady::now();
        auto next = last_ok + every;
        const std::string body = json{{"lease_seconds", lease_period_.count()}}.dump();
        std::unique_lock lock(mutex_);
        while (!finished_) {
            cv_.wait_for(lock, std::chrono::milliseconds(250));
            if (finished_) break;
            if (stop_.load() >= 2 && !abandon_) {
                abandon_ = true;
                children_.kill_all();
            }
            if (steady::now() < next) continue;
            lock.unlock();
            int status = 0;
            try {
                status = beat.request("POST", target("heartbeat"),
                                      headers({{"Content-Type", "application/json"}}), body)
                             .status;
            } catch (const cli::transport_error& e) {
                spdlog::warn("job {}: heartbeat failed: {}", id_, e.what());
            }
            lock.lock();
            auto now = steady::now();
            if (status == 200) last_ok = now;
            if (lease_gone(status) || now - last_ok >= lease_period_) {
                spdlog::warn(
                    "job {}: the lease is lost ({}); abandoning the job", id_,
                    status ? "HTTP " + std::to_string(status) : "no heartbeat got through");
                lost_ = true;
                children_.kill_all();
                return;
            }
            next = now + (status == 200 ? every : std::chrono::seconds(2));
        }
    }

    // Set when the job must stop here: its lease is lost, or the worker is
    // abandoning its jobs (then the job is reported so that it runs again).
    std::optional<remote_job_outcome> interrupted() {
        bool lost, abandon;
        {
            std::lock_guard lock(mutex_);
            lost = lost_;
            abandon = abandon_ || stop_.load() >= 2;
        }
        if (lost) return remote_job_outcome::abandoned;
        if (abandon) {
            (void)fail("the worker was stopped before the job was done", true);
            return remote_job_outcome::abandoned;
        }
        return std::nullopt;
    }

    // Streams the original into the job's directory, resuming with Range
    // after a broken transfer, and checks its digest. Nothing when it is there.
    std::optional<remote_job_outcome> fetch_input() {
        const auto path = dir_ / "input";
        std::ofstream out;
        std::optional<sha256> hash;
        std::uint64_t have = 0;
        auto restart = [&] {
            out.close();
            out.open(path, std::ios::binary | std::ios::trunc);
            hash.emplace();
            have = 0;
        };
        restart();
        auto sink = [&](std::string_view data) {
            out.write(data.data(), static_cast<std::streamsize>(data.size()));
            if (!out) throw std::runtime_error("cannot write " + path.string());
            hash->update(data);
            have += data.size();
        };
        for (int attempt = 0;; ++attempt) {
            auto h = headers();
            if (have > 0) {
                h.emplace_back("Range", "bytes=" + std::to_string(have) + "-");
                h.emplace_back("If-Range", "\"" + sha256_ + "\"");
            }
            try {
                auto r = client_.download(target("input"), h,
                                          [&](const cli::http_response& head) -> cli::body_sink {
                                              if (head.status == 200) {
                                                  if (have > 0) restart();
                                                  return sink;
                                              }
                                              if (head.status == 206 && have > 0) return sink;
                                              return {};
                                          });
                if (lease_gone(r.status)) {
                    spdlog::warn("job {}: the lease is gone: {}", id_, detail_of(r));
                    return remote_job_outcome::abandoned;
                }
                if (r.status != 200 && r.status != 206)
                    return fail("cannot download the original: " + detail_of(r), true);
                break;
            } catch (const cli::transport_error& e) {
                if (attempt + 1 >= k_transfer_attempts) {
                    spdlog::warn("job {}: cannot download the original: {}", id_, e.what());
                    return remote_job_outcome::abandoned;
                }
                pause(attempt);
            } catch (const std::exception& e) {
                return fail(std::string("cannot store the original: ") + e.what(), true);
            }
            if (auto over = interrupted()) return *over;
        }
        out.close();
        if (!out || have != size_ || hash->finish_hex() != sha256_)
            return fail("the original arrived damaged (size or SHA-256 differ)", true);
        return std::nullopt;
    }

    // Uploads one output. Nothing when it was stored.
    std::optional<remote_job_outcome> send_output(const std::string& name, const fs::path& file) {
        std::error_code ec;
        auto size = fs::file_size(file, ec);
        if (ec) return fail("the worker's output " + name + " is missing", true);
        for (int attempt = 0;; ++attempt) {
            std::ifstream in(file, std::ios::binary);
            if (!in) return fail("cannot read the output " + name, true);
            auto read = [&](char* buf, std::size_t cap) -> std::size_t {
                in.read(buf, static_cast<std::streamsize>(cap));
                return static_cast<std::size_t>(in.gcount());
            };
            try {
                auto r = client_.upload("PUT", target("renditions", name),
                                        headers({{"Content-Type", "application/octet-stream"}}),
                                        size, read);
                if (r.status == 201) return std::nullopt;
                if (lease_gone(r.status)) {
                    spdlog::warn("job {}: the lease is gone: {}", id_, detail_of(r));
                    return remote_job_outcome::abandoned;
                }
                return fail("the server refused the output " + name + ": " + detail_of(r),
                            r.status >= 500);
            } catch (const cli::transport_error& e) {
                if (attempt + 1 >= k_transfer_attempts) {
                    spdlog::warn("job {}: cannot upload {}: {}", id_, name, e.what());
                    return remote_job_outcome::abandoned;
                }
                pause(attempt);
            }
            if (auto over = interrupted()) return *over;
        }
    }

    // Completing is idempotent on the server: a lost answer is asked again.
    remote_job_outcome complete(const json& body) {
        for (int attempt = 0;; ++attempt) {
            try {
                auto r = client_.request("POST", target("complete"),
                                         headers({{"Content-Type", "application/json"}}),
                                         body.dump(-1, ' ', false, json::error_handler_t::replace));
                if (r.status == 200) {
                    spdlog::info("job {}: done, {} renditions", id_, body["renditions"].size());
                    return remote_job_outcome::done;
                }
                if (r.status == 409 && attempt > 0 &&
                    r.body.find("under way") != std::string::npos) {
                    pause(attempt);
                    continue;
                }
                spdlog::warn("job {}: completion refused: {}", id_, detail_of(r));
                if (r.status == 422 || r.status == 400) return fail(detail_of(r), true);
                return remote_job_outcome::abandoned;
            } catch (const cli::transport_error& e) {
                if (attempt + 1 >= k_transfer_attempts) {
                    spdlog::warn("job {}: cannot complete: {}", id_, e.what());
                    return remote_job_outcome::abandoned;
                }
                pause(attempt);
            }
        }
    }

    remote_job_outcome fail(const std::string& why, bool retryable) {
        spdlog::warn("job {}: failed{}: {}", id_, retryable ? "" : " for good", why);
        try {
            auto r = client_.request("POST", target("fail"),
                                     headers({{"Content-Type", "application/json"}}),
                                     json{{"error", why}, {"retryable", retryable}}.dump(
                                         -1, ' ', false, json::error_handler_t::replace));
            if (r.status != 200)
                spdlog::warn("job {}: the failure was not recorded: {}", id_, detail_of(r));
        } catch (const cli::transport_error& e) {
            spdlog::warn("job {}: the failure was not recorded: {}", id_, e.what());
        }
        return remote_job_outcome::failed;
    }

    cli::http_client& client_;
    const remote_worker_options& o_;
    const std::atomic<int>& stop_;
    std::string id_, lease_, kind_, type_, sha256_;
    std::uint64_t size_ = 0;
    int attempt_ = 0;
    std::chrono::seconds lease_period_{120};
    std::uint64_t max_pixels_ = 0;
    sandbox_limits limits_;
    fs::path dir_;

    child_registry children_;
    std::thread watcher_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool finished_ = false;
    bool lost_ = false;
    bool abandon_ = false;
};

}  // namespace

remote_job_outcome run_remote_job(cli::http_client& client, const remote_worker_options& options,
                                  const json& claim, const std::atomic<int>& stop) {
    std::optional<remote_job> job;
    try {
        job.emplace(client, options, claim, stop);
    } catch (const json::exception& e) {
        spdlog::error("the server's job is malformed: {}", e.what());
        return remote_job_outcome::abandoned;
    }
    return job->run();
}

}  // namespace kho::server
