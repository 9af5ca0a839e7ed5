// kho backup (online, through the server) and kho restore (offline, local
// files only: it never opens a database a server is using).

#include "tools/api_target.hpp"
#include "tools/commands.hpp"
#include "tools/format.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace kho::cli {
namespace fs = std::filesystem;

namespace {

// RocksDB holds a POSIX lock on db/LOCK while a server uses the directory.
bool in_use(const fs::path& data_dir) {
    auto lock_file = data_dir / "db" / "LOCK";
    int fd = ::open(lock_file.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    bool locked = ::fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    ::close(fd);
    return locked;
}

void sync_path(const fs::path& p, bool directory) {
    int fd = ::open(p.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

}  // namespace

int run_backup(const global_options& g, const backup_options& o) {
    context ctx(g, true);
    auto dest = fs::absolute(o.destination).lexically_normal();
    nlohmann::json body{{"destination", dest.string()}};
    auto r =
        ctx.client().request("POST", api_target(ctx.server(), {"api", "v1", "admin", "backup"}),
                             ctx.auth({{"Content-Type", "application/json"}}), body.dump());
    if (r.status != 200) throw command_error("backup: " + describe_failure(r));
    auto j = parse_json_body(r, "the backup report");
    if (ctx.json()) {
        std::cout << dump_json(j) << '\n';
        return exit_ok;
    }
    std::cout << "backed up to " << terminal_safe(dest.string()) << ": " << j.value("blobs", 0)
              << " blobs, " << j.value("blobs_copied", 0) << " new ("
              << human_bytes(j.value("bytes_copied", std::uint64_t{0})) << " copied)\n";
    return exit_ok;
}

int run_restore(const global_options&, const restore_options& o) {
    fs::path src = o.source, dst = o.data_dir;
    std::error_code ec;
    if (!fs::is_regular_file(src / "manifest.json", ec) || !fs::is_directory(src / "db", ec) ||
        !fs::is_directory(src / "blobs", ec))
        throw usage_error(src.string() + " is not a kho backup (no manifest.json, db/ and blobs/)");
    if (in_use(dst))
        throw command_error(dst.string() + " is in use by a running kho-server; stop it first");
    if (fs::exists(dst, ec) && !fs::is_empty(dst, ec))
        throw command_error(dst.string() + " is not empty; restore into a new directory");

    std::size_t files = 0;
    std::uint64_t bytes = 0;
    for (const char* part : {"db", "blobs", "secrets"}) {
        if (!fs::is_directory(src / part, ec)) continue;  // backups from before share links
        for (auto it = fs::recursive_directory_iterator(src / part);
             it != fs::recursive_directory_iterator(); ++it) {
            auto rel = fs::relative(it->path(), src);
            if (it->is_directory()) {
                fs::create_directories(dst / rel);
                continue;
            }
            if (!it->is_regular_file() || it->path().extension() == ".partial") continue;
            fs::create_directories((dst / rel).parent_path());
            if (!fs::copy_file(it->path(), dst / rel, ec))
                throw command_error("copy " + it->path().string() + ": " + ec.message());
            sync_path(dst / rel, false);
            ++files;
            bytes += it->file_size();
        }
    }
    // The share link keys stay owner-only.
    if (fs::is_directory(dst / "secrets", ec)) {
        fs::permissions(dst / "secrets", fs::perms::owner_all, ec);
        for (const auto& e : fs::directory_iterator(dst / "secrets", ec))
            fs::permissions(e.path(), fs::perms::owner_read | fs::perms::owner_write, ec);
    }
    fs::create_directories(dst / "tmp");
    sync_path(dst, true);
    std::cout << "restored " << files << " files (" << human_bytes(bytes) << ") into "
              << terminal_safe(dst.string()) << "; start kho-server --data-dir "
              << terminal_safe(dst.string()) << '\n';
    return exit_ok;
}

}  // namespace kho::cli
