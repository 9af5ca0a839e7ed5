#include "storage/link_keys.hpp"

#include "core/sha256.hpp"
#include "storage/blob_store.hpp"
#include "storage/unique_fd.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

namespace kho::storage {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_file_name = "link-keys.json";
constexpr std::string_view k_format = "kho-link-keys-1";
constexpr std::size_t k_secret_size = 32;
constexpr std::size_t k_max_key_id = 32;
constexpr off_t k_max_file_size = 1 << 20;

error io_error(const std::string& what, int err) {
    return make_error(errc::internal, what + ": " + std::strerror(err));
}

error corrupt(const fs::path& file, const std::string& why) {
    return make_error(errc::internal, "The link key file " + file.string() + " is corrupt (" + why +
                                          "); restore it from a backup.");
}

std::string mode_text(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

result<std::string> random_bytes(std::size_t n) {
    std::string out(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
        return make_error(errc::internal, "the random number generator failed");
    return out;
}

std::string hex(std::string_view bytes) {
    return to_hex(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

std::optional<std::string> from_hex(std::string_view text) {
    auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    if (text.size() % 2 != 0) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        int hi = digit(text[i]);
        int lo = digit(text[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
    }
    return out;
}

bool valid_key_id(std::string_view id) {
    if (id.empty() || id.size() > k_max_key_id) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '-' || c == '_';
    });
}

result<link_key> new_key(const std::vector<link_key>& existing, std::int64_t created_at) {
    link_key key;
    key.created_at = created_at;
    do {
        auto id = random_bytes(4);
        if (!id) return id.error();
        key.id = hex(*id);
    } while (std::any_of(existing.begin(), existing.end(),
                         [&](const link_key& k) { return k.id == key.id; }));
    auto secret = random_bytes(k_secret_size);
    if (!secret) return secret.error();
    key.secret = std::move(*secret);
    return key;
}

// An exclusive flock on the directory, held while the file is created or
// rotated, so that two kho processes do not interleave their rewrites.
result<unique_fd> lock_dir(const fs::path& dir) {
    unique_fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return io_error("cannot open the link key directory " + dir.string(), errno);
    while (::flock(fd.get(), LOCK_EX) != 0) {
        if (errno != EINTR) return io_error("cannot lock " + dir.string(), errno);
    }
    return fd;
}

// Creates `dir` with mode 0700 when missing; refuses one that group or
// others may write to (they could replace the key file).
result<void> prepare_dir(const fs::path& dir) {
    std::error_code ec;
    if (dir.has_parent_path()) {
        fs::create_directories(dir.parent_path(), ec);
        if (ec) return io_error("cannot create " + dir.parent_path().string(), ec.value());
    }
    if (::mkdir(dir.c_str(), 0700) == 0) {
        if (::chmod(dir.c_str(), 0700) != 0) return io_error("chmod " + dir.string(), errno);
        if (dir.has_parent_path())
            if (auto r = fsync_dir(dir.parent_path()); !r) return r.error();
    } else if (errno != EEXIST) {
        return io_error("cannot create the link key directory " + dir.string(), errno);
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return io_error("stat " + dir.string(), errno);
    if (!S_ISDIR(st.st_mode))
        return make_error(errc::internal,
                          "The link key path " + dir.string() + " exists but is not a directory.");
    if ((st.st_mode & 022) != 0)
        return make_error(errc::internal, "The link key directory " + dir.string() +
                                              " is writable by group or others (mode " +
                                              mode_text(st.st_mode) + "); run chmod go-w on it.");
    return ok();
}

result<std::vector<link_key>> parse(const fs::path& file, const std::string& text) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception&) {
        return corrupt(file, "not valid JSON");
    }
    if (!doc.is_object()) return corrupt(file, "not a JSON object");
    auto format = doc.find("format");
    if (format == doc.end() || !format->is_string() || format->get<std::string>() != k_format)
        return corrupt(file, "\"format\" is not \"" + std::string(k_format) + "\"");
    auto list = doc.find("keys");
    if (list == doc.end() || !list->is_array()) return corrupt(file, "no \"keys\" array");
    if (list->empty()) return corrupt(file, "it has no keys");

    std::vector<link_key> keys;
    for (const auto& item : *list) {
        const std::string where = "key " + std::to_string(keys.size() + 1);
        if (!item.is_object()) return corrupt(file, where + " is not an object");
        auto id = item.find("id");
        auto secret = item.find("secret");
        auto created = item.find("created_at");
        if (id == item.end() || !id->is_string() || !valid_key_id(id->get<std::string>()))
            return corrupt(file, where + " has no valid \"id\"");
        if (secret == item.end() || !secret->is_string())
            return corrupt(file, where + " has no \"secret\"");
        auto raw = from_hex(secret->get<std::string>());
        if (!raw || raw->size() < k_secret_size)
            return corrupt(file, where + " has a \"secret\" that is not 32 or more bytes in hex");
        if (created == item.end() || !created->is_number_integer())
            return corrupt(file, where + " has no integer \"created_at\"");
        link_key key{id->get<std::string>(), std::move(*raw), created->get<std::int64_t>()};
        for (const auto& k : keys)
            if (k.id == key.id) return corrupt(file, "key id " + key.id + " appears twice");
        keys.push_back(std::move(key));
    }
    return keys;
}

// Reads the file; nothing when it does not exist.
result<std::optional<std::vector<link_key>>> read_keys(const fs::path& file) {
    unique_fd fd(::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return std::optional<std::vector<link_key>>();
        if (errno == ELOOP)
            return make_error(errc::internal, "The link key file " + file.string() +
                                                  " is a symbolic link; kho refuses to use it.");
        return io_error("cannot read the link key file " + file.string(), errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return io_error("stat " + file.string(), errno);
    if (!S_ISREG(st.st_mode))
        return make_error(errc::internal,
                          "The link key file " + file.string() + " is not a regular file.");
    if ((st.st_mode & 077) != 0)
        return make_error(errc::internal, "The link key file " + file.string() +
                                              " is accessible to group or others (mode " +
                                              mode_text(st.st_mode) +
                                              "); it holds secrets: run chmod 600 on it.");
    if (st.st_size > k_max_file_size) return corrupt(file, "larger than 1 MiB");

    std::string text;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return io_error("cannot read the link key file " + file.string(), errno);
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > static_cast<std::size_t>(k_max_file_size))
            return corrupt(file, "larger than 1 MiB");
    }
    auto keys = parse(file, text);
    if (!keys) return keys.error();
    return std::optional<std::vector<link_key>>(std::move(*keys));
}

// Replaces the file atomically: a temporary file with mode 0600 (owned like
// the file it replaces, so that a rotation run as root keeps the server's
// access), fsync, rename, fsync of the directory.
result<void> write_keys(const fs::path& dir, const fs::path& file,
                        const std::vector<link_key>& keys) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& k : keys)
        list.push_back({{"id", k.id}, {"secret", hex(k.secret)}, {"created_at", k.created_at}});
    const std::string text =
        nlohmann::json{{"format", k_format}, {"keys", std::move(list)}}.dump(2) + "\n";

    auto suffix = random_bytes(6);
    if (!suffix) return suffix.error();
    const fs::path tmp = dir / (std::string(k_file_name) + ".tmp-" + hex(*suffix));
    unique_fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return io_error("cannot create " + tmp.string(), errno);
    auto fail = [&](const std::string& what, int err) {
        ::unlink(tmp.c_str());
        return io_error(what, err);
    };
    if (::fchmod(fd.get(), 0600) != 0) return fail("chmod " + tmp.string(), errno);
    struct stat old {};
    if (::stat(file.c_str(), &old) == 0 && (old.st_uid != ::geteuid() || old.st_gid != ::getegid()))
        if (::fchown(fd.get(), old.st_uid, old.st_gid) != 0)
            return fail("chown " + tmp.string(), errno);

    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail("write " + tmp.string(), errno);
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) return fail("fsync " + tmp.string(), errno);
    fd.reset();
    if (::rename(tmp.c_str(), file.c_str()) != 0) return fail("rename " + file.string(), errno);
    return fsync_dir(dir);
}

}  // namespace

link_keys::link_keys(fs::path dir, kho::clock clk, std::vector<link_key> keys)
    : dir_(std::move(dir)),
      file_(dir_ / k_file_name),
      clock_(std::move(clk)),
      mutex_(std::make_unique<std::mutex>()),
      keys_(std::move(keys)) {}

link_keys::link_keys(link_keys&&) noexcept = default;
link_keys& link_keys::operator=(link_keys&&) noexcept = default;
link_keys::~link_keys() = default;

result<link_keys> link_keys::open(const fs::path& dir, kho::clock clk) {
    if (auto r = prepare_dir(dir); !r) return r.error();
    const fs::path file = dir / k_file_name;

    auto existing = read_keys(file);
    if (!existing) return existing.error();
    if (*existing) return link_keys(dir, std::move(clk), std::move(**existing));

    // First start: create the file under the lock, unless another process
    // did so in the meantime.
    auto lock = lock_dir(dir);
    if (!lock) return lock.error();
    existing = read_keys(file);
    if (!existing) return existing.error();
    if (*existing) return link_keys(dir, std::move(clk), std::move(**existing));

    auto first = new_key({}, clk.now() / 1000);
    if (!first) return first.error();
    std::vector<link_key> keys{std::move(*first)};
    if (auto w = write_keys(dir, file, keys); !w) return w.error();
    return link_keys(dir, std::move(clk), std::move(keys));
}

std::vector<link_key> link_keys::keys() const {
    std::lock_guard lock(*mutex_);
    return keys_;
}

link_key link_keys::current() const {
    std::lock_guard lock(*mutex_);
    return keys_.front();
}

result<std::string> link_keys::rotate(std::chrono::seconds keep) {
    std::lock_guard guard(*mutex_);
    auto lock = lock_dir(dir_);
    if (!lock) return lock.error();

    // Start from the file, which another process may have rotated.
    auto on_disk = read_keys(file_);
    if (!on_disk) return on_disk.error();
    std::vector<link_key> old = *on_disk ? std::move(**on_disk) : keys_;

    // created_at never goes backwards, so the newest key is also the latest.
    const std::int64_t now = std::max<std::int64_t>(clock_.now() / 1000, old.front().created_at);
    auto fresh = new_key(old, now);
    if (!fresh) return fresh.error();

    // A key stopped signing when its successor was created; the previous
    // current key stopped just now and is always kept. Once one key is
    // dropped, every older one is too.
    std::vector<link_key> next{*fresh};
    for (std::size_t i = 0; i < old.size(); ++i) {
        const std::int64_t retired_at = i == 0 ? now : old[i - 1].created_at;
        if (i > 0 && now - retired_at >= keep.count()) break;
        next.push_back(old[i]);
    }
    if (auto w = write_keys(dir_, file_, next); !w) return w.error();
    keys_ = std::move(next);
    return keys_.front().id;
}

}  // namespace kho::storage
