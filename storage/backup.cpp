#include "storage/backup.hpp"

#include "core/sha256.hpp"
#include "storage/asset_store.hpp"
#include "storage/blob_store.hpp"
#include "storage/rocks.hpp"

#include <fcntl.h>
#include <rocksdb/utilities/checkpoint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>

namespace kho::storage {
namespace fs = std::filesystem;

namespace {

std::mutex g_backup_mutex;

error io_error(const std::string& what, int err) {
    if (err == ENOSPC) return make_error(errc::insufficient_storage, "the backup disk is full");
    return make_error(errc::internal, what + ": " + std::strerror(err));
}

// Copies one file durably: to a temporary name, fsync, rename.
result<void> copy_durably(const fs::path& from, const fs::path& to) {
    unique_fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) return io_error("open " + from.string(), errno);
    auto tmp = to;
    tmp += ".partial";
    unique_fd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0440));
    if (!out) return io_error("create " + tmp.string(), errno);
    for (;;) {
        ssize_t n = ::copy_file_range(in.get(), nullptr, out.get(), nullptr, 16u << 20, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return io_error("copy " + from.string(), errno);
        if (n == 0) break;
    }
    if (::fsync(out.get()) != 0) return io_error("fsync " + tmp.string(), errno);
    if (::rename(tmp.c_str(), to.c_str()) != 0) return io_error("rename " + to.string(), errno);
    return ok();
}

// A remote store's blob, streamed down and checked against its digest.
result<void> fetch_durably(const blob_store& blobs, const blob_info& b, const fs::path& to) {
    auto tmp = to;
    tmp += ".partial";
    auto file = blobs.open_read(b.sha256);
    if (!file) return file.error();
    if (auto c = copy_to_file(*file, b.sha256, tmp); !c) return c.error();
    unique_fd fd(::open(tmp.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd || ::fsync(fd.get()) != 0) return io_error("fsync " + tmp.string(), errno);
    if (::rename(tmp.c_str(), to.c_str()) != 0) return io_error("rename " + to.string(), errno);
    return ok();
}

}  // namespace

result<backup_report> backup_to(database& db, asset_store& assets, blob_store& blobs,
                                const fs::path& destination, const kho::clock& clk,
                                const fs::path& secrets) {
    if (!destination.is_absolute())
        return make_error(errc::invalid_parameter,
                          "the backup destination must be an absolute path");
    std::unique_lock running(g_backup_mutex, std::try_to_lock);
    if (!running) return make_error(errc::conflict, "a backup is already running");
    std::error_code ec;
    fs::create_directories(destination / "blobs" / "sha256", ec);
    if (ec)
        return make_error(errc::invalid_parameter,
                          "cannot create " + destination.string() + ": " + ec.message());

    backup_report report;
    report.destination = destination;
    report.created_at = clk.now();
    asset_store::removal_pause pause(assets);  // before the checkpoint

    // 1. Metadata: a consistent checkpoint, swapped in for the previous one.
    auto fresh = destination / ("db.new-" + std::to_string(report.created_at));
    rocksdb::Checkpoint* raw = nullptr;
    auto s = rocksdb::Checkpoint::Create(db.handles().db.get(), &raw);
    if (!s.ok()) return to_error(s, "checkpoint");
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    s = checkpoint->CreateCheckpoint(fresh.string());
    if (!s.ok()) return to_error(s, "checkpoint into " + fresh.string());

    // 2. Blobs: every file not already there (same name = same bytes).
    std::vector<blob_info> all;
    blobs.for_each([&](const blob_info& b) { all.push_back(b); });
    for (const auto& b : all) {
        ++report.blobs_total;
        auto target = destination / "blobs" / "sha256" / b.sha256.substr(0, 2) /
                      b.sha256.substr(2, 2) / b.sha256;
        if (fs::exists(target, ec) && fs::file_size(target, ec) == b.size) continue;
        fs::create_directories(target.parent_path(), ec);
        auto local = blobs.local_path(b.sha256);
        auto c = local ? copy_durably(*local, target) : fetch_durably(blobs, b, target);
        if (!c) return c.error();
        ++report.blobs_copied;
        report.bytes_copied += b.size;
    }

    // Secrets (share link keys): owner-only, like the originals.
    if (!secrets.empty() && fs::is_directory(secrets, ec)) {
        auto to = destination / "secrets";
        fs::create_directories(to, ec);
        fs::permissions(to, fs::perms::owner_all, ec);
        for (const auto& e : fs::directory_iterator(secrets, ec)) {
            if (!e.is_regular_file()) continue;
            auto target = to / e.path().filename();
            fs::remove(target, ec);
            if (auto c = copy_durably(e.path(), target); !c) return c.error();
            fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write, ec);
        }
    }

    // 3. Swap the new checkpoint in only once its blobs are all there.
    auto current = destination / "db";
    auto old = destination / "db.old";
    fs::remove_all(old, ec);
    if (fs::exists(current, ec)) fs::rename(current, old, ec);
    fs::rename(fresh, current, ec);
    if (ec)
        return make_error(errc::internal, "cannot move the checkpoint into place: " + ec.message());
    fs::remove_all(old, ec);

    nlohmann::json manifest{{"format", "kho-backup-1"},
                            {"schema_version", database::schema_version},
                            {"created_at", format_rfc3339(report.created_at)},
                            {"blobs", report.blobs_total}};
    auto tmp = destination / "manifest.json.partial";
    {
        std::ofstream out(tmp);
        out << manifest.dump(2) << '\n';
        if (!out) return make_error(errc::insufficient_storage, "cannot write the manifest");
    }
    fs::rename(tmp, destination / "manifest.json", ec);
    if (auto d = fsync_dir(destination); !d) return d.error();
    return report;
}

}  // namespace kho::storage
