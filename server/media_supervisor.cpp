#include "server/media_supervisor.hpp"

#include "core/sha256.hpp"
#include "storage/asset_store.hpp"
#include "storage/blob_store.hpp"
#include "storage/job_queue.hpp"
#include "storage/unique_fd.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

namespace kho::server {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

// SHA-256 and size of a worker's output, read in 1 MiB pieces, and the
// file flushed to stable storage: it becomes a blob by a rename, and the
// commit that references it must find its bytes on disk after a power cut
// (the worker process only wrote them into the page cache). A failed
// fdatasync fails the run (retried as a whole, never the fsync alone).
result<storage::blob_info> hash_and_sync(const fs::path& p) {
    storage::unique_fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return make_error(errc::internal, "cannot read " + p.string());
    sha256 h;
    std::vector<char> buf(1 << 20);
    std::uint64_t size = 0;
    for (;;) {
        ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error(errc::internal, "cannot read " + p.string());
        if (n == 0) break;
        h.update(buf.data(), static_cast<std::size_t>(n));
        size += static_cast<std::uint64_t>(n);
    }
    if (::fdatasync(fd.get()) != 0)
        return make_error(errno == ENOSPC || errno == EDQUOT ? errc::insufficient_storage
                                                             : errc::internal,
                          "fsync " + p.string() + ": " + std::strerror(errno));
    return storage::blob_info{h.finish_hex(), size};
}

std::string describe(int status, bool timed_out, std::chrono::seconds timeout) {
    return describe_exit(status, timed_out, timeout);
}

}  // namespace

media_supervisor::media_supervisor(storage::job_queue& jobs, storage::asset_store& assets,
                                   storage::blob_store& blobs, media_options options)
    : jobs_(jobs),
      assets_(assets),
      blobs_(blobs),
      options_(std::move(options)),
      worker_id_("local-" + std::to_string(::getpid())) {}

media_supervisor::~media_supervisor() {
    stop();
}

void media_supervisor::start() {
    auto requeued = jobs_.requeue_running();
    if (requeued > 0) spdlog::info("media: {} interrupted jobs are queued again", requeued);
    jobs_.set_listener([this] { wake(); });
    for (unsigned i = 0; i < std::max(1u, options_.concurrency); ++i)
        threads_.emplace_back([this] { slot(); });
}

void media_supervisor::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && threads_.empty()) return;
        stopping_ = true;
    }
    children_.kill_all();
    jobs_.set_listener({});
    cv_.notify_all();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

void media_supervisor::wake() {
    {
        std::lock_guard lock(mutex_);
        ++wakeups_;
    }
    cv_.notify_one();
}

void media_supervisor::slot() {
    auto last_reclaim = std::chrono::steady_clock::now();
    for (;;) {
        std::uint64_t seen;
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            seen = wakeups_;
        }
        if (std::chrono::steady_clock::now() - last_reclaim > std::chrono::seconds(30)) {
            jobs_.reclaim_expired();
            last_reclaim = std::chrono::steady_clock::now();
        }
        auto lease = std::chrono::duration_cast<std::chrono::milliseconds>(options_.timeout +
                                                                           std::chrono::minutes(2));
        auto claimed = jobs_.claim(worker_id_, lease.count());
        if (claimed && *claimed) {
            run(**claimed);
            continue;
        }
        if (!claimed) spdlog::error("media: cannot take a job: {}", claimed.error().detail);
        // Nothing runnable: sleep until woken, or a second (back-offs end).
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, std::chrono::seconds(1),
                     [&] { return stopping_ || wakeups_ != seen; });
    }
}

void media_supervisor::run(const job& j) {
    fs::path out = blobs_.tmp_dir() / ("job-" + j.id.to_string() + "-" + std::to_string(j.attempts));
    std::error_code ec;
    fs::remove_all(out, ec);
    fs::create_directories(out, ec);
    auto cleanup = [&] { fs::remove_all(out, ec); };
    // A remote store's original is fetched (and its digest checked) into
    // the job's folder first: decoders want a seekable file.
    fs::path input;
    if (auto local = blobs_.local_path(j.sha256)) {
        input = *local;
    } else {
        input = out / "input";
        auto file = blobs_.open_read(j.sha256);
        auto copied = file ? storage::copy_to_file(*file, j.sha256, input) : result<void>(file.error());
        if (!copied) {
            spdlog::warn("media: job {}: cannot fetch the original: {}", j.id.to_string(),
                         copied.error().detail);
            (void)jobs_.fail(j, copied.error().detail, copied.error().code != errc::not_found);
            cleanup();
            return;
        }
    }
    auto done = spawn({options_.worker.string(), "--kind", j.kind, "--input", input.string(),
                       "--type", j.content_type, "--out", out.string(), "--max-pixels",
                       std::to_string(options_.max_pixels), "--deadline",
                       std::to_string(options_.timeout.count())});
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {  // killed by stop(): runs again at the next start
            cleanup();
            return;
        }
    }
    auto answer = json::parse(done.out.substr(0, done.out.find('\n')), nullptr, false);
    bool clean_exit = !done.timed_out && WIFEXITED(done.status);
    if (!clean_exit || answer.is_discarded() || !answer.is_object() ||
        !answer.value("ok", false)) {
        std::string why = answer.is_object() && answer.contains("error")
                              ? answer["error"].get<std::string>()
                              : describe(done.status, done.timed_out, options_.timeout);
        bool retryable = !(clean_exit && WEXITSTATUS(done.status) == 2);
        spdlog::warn("media: job {} ({} of asset {} v{}) failed: {}", j.id.to_string(), j.kind,
                     j.asset_id.to_string(), j.version, why);
        (void)jobs_.fail(j, why, retryable);
        cleanup();
        return;
    }
    std::vector<storage::staged_rendition> staged;
    for (const auto& r : answer.value("renditions", json::array())) {
        auto name = r.value("name", "");
        auto file = r.value("file", "");
        // The worker names files inside its own directory only.
        if (name.empty() || file.empty() || file.find('/') != std::string::npos || file[0] == '.') {
            (void)jobs_.fail(j, "the worker named an invalid output", false);
            cleanup();
            return;
        }
        auto info = hash_and_sync(out / file);
        if (!info) {
            (void)jobs_.fail(j, info.error().detail, true);
            cleanup();
            return;
        }
        rendition rec;
        rec.name = name;
        rec.content_type = r.value("content_type", "application/octet-stream");
        rec.width = r.value("width", 0);
        rec.height = r.value("height", 0);
        rec.duration = r.value("duration", 0.0);
        rec.recipe = r.value("recipe", name);
        staged.push_back(storage::staged_rendition{
            std::move(rec), storage::blob_writer::adopt(out / file, info->size), *info});
    }
    auto committed = assets_.commit_renditions(j.asset_id, j.version, std::move(staged), j,
                                               answer.value("info", json::object()).dump());
    if (!committed && committed.error().code != errc::conflict) {
        if (committed.error().code == errc::not_found)
            (void)jobs_.fail(j, "the version was deleted", false);
        else
            (void)jobs_.fail(j, committed.error().detail, true);
    }
    cleanup();
}

media_supervisor::outcome media_supervisor::spawn(const std::vector<std::string>& args) {
    return run_sandboxed(
        args, sandbox_limits{options_.timeout, options_.max_memory, options_.max_output},
        children_);
}

}  // namespace kho::server
