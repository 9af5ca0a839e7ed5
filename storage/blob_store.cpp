#include "storage/blob_store.hpp"

#include "core/sha256.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <vector>

namespace kho::storage {
namespace fs = std::filesystem;

namespace {

error io_error(const std::string& what, int err) {
    if (err == ENOSPC || err == EDQUOT)
        return make_error(errc::insufficient_storage, "the disk is full");
    return make_error(errc::internal, what + ": " + std::strerror(err));
}

std::string random_suffix() {
    unsigned char bytes[12];
    RAND_bytes(bytes, sizeof bytes);
    return to_hex(bytes, sizeof bytes);
}

result<void> ensure_dir(const fs::path& dir) {
    if (::mkdir(dir.c_str(), 0750) == 0) {
        // A new directory entry must itself be durable ("data" lives in ".").
        // When that fails, remove it: the next attempt then creates it and
        // fsyncs again, rather than find it and trust an entry that may
        // not survive a power cut.
        auto parent = dir.parent_path();
        auto synced = fsync_dir(parent.empty() ? fs::path(".") : parent);
        if (!synced) ::rmdir(dir.c_str());
        return synced;
    }
    if (errno == EEXIST) return ok();
    return io_error("mkdir " + dir.string(), errno);
}

}  // namespace

result<void> fsync_dir(const fs::path& dir) {
    unique_fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return io_error("open dir " + dir.string(), errno);
    if (::fsync(fd.get()) != 0) return io_error("fsync dir " + dir.string(), errno);
    return ok();
}

blob_writer::blob_writer(unique_fd fd, fs::path tmp_path, std::uint64_t max_size)
    : fd_(std::move(fd)),
      tmp_path_(std::move(tmp_path)),
      hash_(std::make_unique<sha256>()),
      max_size_(max_size) {}

blob_writer blob_writer::adopt(fs::path path, std::uint64_t size, bool keep_unplaced) {
    blob_writer w(unique_fd(), std::move(path), size);
    w.size_ = size;
    w.finished_ = true;
    w.keep_unplaced_ = keep_unplaced;
    return w;
}

blob_writer::blob_writer(std::unique_ptr<blob_sink> sink, std::uint64_t max_size)
    : sink_(std::move(sink)), hash_(std::make_unique<sha256>()), max_size_(max_size) {}

blob_writer::blob_writer(blob_writer&& o) noexcept
    : fd_(std::move(o.fd_)),
      tmp_path_(std::move(o.tmp_path_)),
      sink_(std::move(o.sink_)),
      hash_(std::move(o.hash_)),
      size_(o.size_),
      max_size_(o.max_size_),
      released_(o.released_),
      finished_(o.finished_),
      keep_unplaced_(o.keep_unplaced_) {
    o.released_ = true;  // the moved-from writer owns nothing
}

blob_writer::~blob_writer() {
    fd_.reset();
    if (!released_ && !keep_unplaced_ && !tmp_path_.empty()) ::unlink(tmp_path_.c_str());
    // A sink not released discards what it stored in its destructor.
}

result<void> blob_writer::write(const char* data, size_t size) {
    if (finished_ || (!fd_ && !sink_)) return make_error(errc::internal, "write after finish");
    if (size > max_size_ - size_)
        return make_error(errc::payload_too_large,
                          "the upload is larger than " + std::to_string(max_size_) + " bytes");
    hash_->update(data, size);
    if (sink_) {
        if (auto r = sink_->write(data, size); !r) return r.error();
        size_ += size;
        return ok();
    }
    size_t done = 0;
    while (done < size) {
        ssize_t n = ::write(fd_.get(), data + done, size - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return io_error("write " + tmp_path_.string(), errno);
        }
        done += static_cast<size_t>(n);
    }
    size_ += size;
    return ok();
}

result<blob_info> blob_writer::finish() {
    if (finished_ || (!fd_ && !sink_)) return make_error(errc::internal, "finish called twice");
    finished_ = true;
    if (sink_) {
        if (auto r = sink_->finish(); !r) return r.error();
        return blob_info{hash_->finish_hex(), size_};
    }
    // fdatasync covers data and size; a failed fsync is never retried: the
    // page cache state is unknown afterwards, so the upload fails instead.
    if (::fdatasync(fd_.get()) != 0) return io_error("fsync " + tmp_path_.string(), errno);
    fd_.reset();
    return blob_info{hash_->finish_hex(), size_};
}

result<std::unique_ptr<local_blob_store>> local_blob_store::open(const fs::path& data_dir) {
    if (auto r = ensure_dir(data_dir); !r) return r.error();
    for (auto dir : {data_dir / "blobs", data_dir / "blobs" / "sha256", data_dir / "tmp"})
        if (auto r = ensure_dir(dir); !r) return r.error();
    return std::unique_ptr<local_blob_store>(
        new local_blob_store(data_dir / "blobs" / "sha256", data_dir / "tmp"));
}

std::optional<fs::path> local_blob_store::local_path(const std::string& hex) const {
    if (!is_sha256_hex(hex)) return std::nullopt;
    return path_of(hex);
}

fs::path local_blob_store::path_of(const std::string& hex) const {
    return blobs_dir_ / hex.substr(0, 2) / hex.substr(2, 2) / hex;
}

result<blob_writer> local_blob_store::begin_write(std::uint64_t max_size) {
    auto path = tmp_dir_ / ("upload-" + random_suffix() + ".part");
    unique_fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
    if (!fd) return io_error("create " + path.string(), errno);
    return blob_writer(std::move(fd), std::move(path), max_size);
}

result<bool> local_blob_store::place(blob_writer& writer, const blob_info& info) {
    if (!is_sha256_hex(info.sha256)) return make_error(errc::internal, "bad digest");
    auto target = path_of(info.sha256);
    struct stat st {};
    const bool existed = ::stat(target.c_str(), &st) == 0;
    if (existed && static_cast<std::uint64_t>(st.st_size) == info.size) {
        // Same bytes already stored: deduplicate. The writer's destructor
        // removes its temporary file.
        return false;
    }
    if (auto r = put(writer, info, !existed); !r) return r.error();
    return true;
}

result<void> local_blob_store::replace(blob_writer& writer, const blob_info& info) {
    if (!is_sha256_hex(info.sha256)) return make_error(errc::internal, "bad digest");
    if (auto r = put(writer, info, false); !r) return r;
    // Readers that open it from now on get the new file; a descriptor of
    // the damaged one must not be handed out again.
    std::lock_guard lock(open_files_mutex_);
    open_files_.erase(info.sha256);
    return ok();
}

result<void> local_blob_store::put(blob_writer& writer, const blob_info& info, bool fresh) {
    auto target = path_of(info.sha256);
    auto level1 = target.parent_path().parent_path();
    if (auto r = ensure_dir(level1); !r) return r.error();
    if (auto r = ensure_dir(target.parent_path()); !r) return r.error();
    ::chmod(writer.tmp_path().c_str(), 0440);  // blobs are immutable
    if (::rename(writer.tmp_path().c_str(), target.c_str()) != 0)
        return io_error("rename into " + target.string(), errno);
    writer.release();
    if (auto r = fsync_dir(target.parent_path()); !r) {
        // The upload fails; its file must not stay under the digest with a
        // directory entry that may not be durable. (A replaced blob keeps
        // its new, good bytes: its old entry was damaged anyway.)
        if (fresh) ::unlink(target.c_str());
        return r.error();
    }
    return ok();
}

result<blob_file> local_blob_store::open_read(const std::string& hex) const {
    if (!is_sha256_hex(hex)) return make_error(errc::not_found, "no such blob");
    {
        std::lock_guard lock(open_files_mutex_);
        if (auto it = open_files_.find(hex); it != open_files_.end()) return it->second;
    }
    auto path = path_of(hex);
    unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return make_error(errc::not_found, "blob " + hex + " is missing");
        return io_error("open " + path.string(), errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return io_error("stat " + path.string(), errno);
    blob_file file{std::make_shared<unique_fd>(std::move(fd)), nullptr,
                   static_cast<std::uint64_t>(st.st_size)};
    std::lock_guard lock(open_files_mutex_);
    if (open_files_.size() >= k_open_files) open_files_.clear();
    open_files_.emplace(hex, file);
    return file;
}

void local_blob_store::forget(const std::string& hex) const {
    std::lock_guard lock(open_files_mutex_);
    open_files_.erase(hex);
}

bool local_blob_store::exists(const std::string& hex) const {
    if (!is_sha256_hex(hex)) return false;
    return ::access(path_of(hex).c_str(), F_OK) == 0;
}

result<void> local_blob_store::remove(const std::string& hex) {
    if (!is_sha256_hex(hex)) return make_error(errc::internal, "bad digest");
    {
        std::lock_guard lock(open_files_mutex_);
        open_files_.erase(hex);
    }
    auto path = path_of(hex);
    if (::unlink(path.c_str()) != 0) {
        if (errno == ENOENT) return ok();  // already gone: nothing to make durable
        return io_error("unlink " + path.string(), errno);
    }
    return fsync_dir(path.parent_path());
}

void local_blob_store::for_each(const std::function<void(const blob_info&)>& fn) const {
    std::error_code ec;
    for (fs::recursive_directory_iterator it(blobs_dir_, ec), end; !ec && it != end;
         it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        auto name = it->path().filename().string();
        if (!is_sha256_hex(name)) continue;
        fn(blob_info{name, static_cast<std::uint64_t>(it->file_size(ec))});
    }
}

std::size_t local_blob_store::clean_tmp() {
    return clean_local_tmp(tmp_dir_);
}

std::size_t clean_local_tmp(const fs::path& tmp_dir_) {
    std::size_t removed = 0;
    std::error_code ec;
    // Direct-upload leftovers and the output folders of media jobs that
    // were cut short (the jobs run again); other subfolders of tmp/
    // (resumable uploads) outlive a restart on purpose.
    for (fs::directory_iterator it(tmp_dir_, ec), end; !ec && it != end; it.increment(ec)) {
        auto name = it->path().filename().string();
        if (it->is_regular_file(ec) && name.starts_with("upload-")) {
            if (fs::remove(it->path(), ec)) ++removed;
        } else if (it->is_directory(ec) && name.starts_with("job-")) {
            if (fs::remove_all(it->path(), ec) > 0) ++removed;
        }
    }
    return removed;
}

result<std::string> blob_store::presign_get(const std::string&, const presign_options&) const {
    return make_error(errc::unprocessable, "this blob store cannot sign download URLs");
}

namespace {

// pread over a shared descriptor: the local counterpart of a remote GET.
class file_stream final : public byte_stream {
  public:
    file_stream(std::shared_ptr<unique_fd> fd, std::uint64_t offset, std::uint64_t length)
        : fd_(std::move(fd)), offset_(offset), left_(length) {}
    result<std::size_t> read(char* buffer, std::size_t capacity) override {
        if (left_ == 0) return std::size_t{0};
        auto want = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, left_));
        for (;;) {
            ssize_t n = ::pread(fd_->get(), buffer, want, static_cast<off_t>(offset_));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return io_error("read a blob", errno);
            if (n == 0) return make_error(errc::internal, "the blob is shorter than recorded");
            offset_ += static_cast<std::uint64_t>(n);
            left_ -= static_cast<std::uint64_t>(n);
            return static_cast<std::size_t>(n);
        }
    }

  private:
    std::shared_ptr<unique_fd> fd_;
    std::uint64_t offset_, left_;
};

}  // namespace

result<std::unique_ptr<byte_stream>> open_stream(const blob_file& file, std::uint64_t offset,
                                                 std::uint64_t length) {
    if (offset > file.size || length > file.size - offset)
        return make_error(errc::internal, "a range outside the blob");
    if (file.remote) return file.remote->open_range(offset, length);
    if (!file.fd) return make_error(errc::internal, "an empty blob handle");
    return std::unique_ptr<byte_stream>(std::make_unique<file_stream>(file.fd, offset, length));
}

result<void> copy_to_file(const blob_file& file, const std::string& sha256_hex,
                          const fs::path& path) {
    auto in = open_stream(file, 0, file.size);
    if (!in) return in.error();
    unique_fd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
    if (!out) return io_error("create " + path.string(), errno);
    sha256 h;
    std::vector<char> buf(1 << 20);
    for (;;) {
        auto n = (*in)->read(buf.data(), buf.size());
        if (!n) return n.error();
        if (*n == 0) break;
        h.update(buf.data(), *n);
        for (std::size_t done = 0; done < *n;) {
            ssize_t w = ::write(out.get(), buf.data() + done, *n - done);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) return io_error("write " + path.string(), errno);
            done += static_cast<std::size_t>(w);
        }
    }
    if (h.finish_hex() != sha256_hex)
        return make_error(errc::internal, "blob " + sha256_hex + " does not match its digest");
    return ok();
}

}  // namespace kho::storage
