#include "storage/s3_blob_store.hpp"

#include "core/sha256.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <unordered_set>

namespace kho::storage {
namespace fs = std::filesystem;

namespace {

std::string random_name() {
    unsigned char bytes[16];
    RAND_bytes(bytes, sizeof bytes);
    return to_hex(bytes, sizeof bytes);
}

const std::string k_blob_prefix = "blobs/sha256/";
const std::string k_tmp_prefix = "tmp/";

// The bytes of one upload on their way into a multipart upload of a tmp/
// key. One part is sent on a background thread while the next one fills.
class s3_upload final : public blob_sink {
    static constexpr std::size_t k_small_reserve = 1u << 20;

  public:
    s3_upload(s3_client& c, std::uint64_t part_size)
        : client_(c), key_(k_tmp_prefix + random_name()), part_size_(part_size) {}

    ~s3_upload() override {
        if (inflight_.valid()) inflight_.wait();
        if (!upload_id_.empty() && !completed_) (void)client_.abort_multipart(key_, upload_id_);
        if (completed_ && !placed_) (void)client_.remove(key_);
    }

    result<void> write(const char* data, size_t size) override {
        // A body that outgrows a small PUT gets its part buffer once, at its
        // exact size: growing it by doubling would leave the smaller copies
        // behind in the allocator on every upload.
        if (buffer_.capacity() < part_size_ && buffer_.size() + size > k_small_reserve)
            buffer_.reserve(part_size_);
        while (size > 0) {
            auto take = static_cast<std::size_t>(
                std::min<std::uint64_t>(size, part_size_ - buffer_.size()));
            buffer_.append(data, take);
            data += take;
            size -= take;
            if (buffer_.size() == part_size_)
                if (auto r = send_part(); !r) return r.error();
        }
        return ok();
    }

    result<void> finish() override {
        if (upload_id_.empty()) return ok();  // small: place() sends it in one PUT
        if (!buffer_.empty())
            if (auto r = send_part(); !r) return r.error();
        if (auto r = collect(); !r) return r.error();
        if (auto r = client_.complete_multipart(key_, upload_id_, etags_); !r) return r.error();
        completed_ = true;
        return ok();
    }

    bool small() const noexcept { return upload_id_.empty(); }
    const std::string& buffer() const noexcept { return buffer_; }
    const std::string& key() const noexcept { return key_; }
    void placed() noexcept { placed_ = true; }

  private:
    // Waits for the part in flight and keeps its ETag.
    result<void> collect() {
        if (!inflight_.valid()) return ok();
        auto etag = inflight_.get();
        if (!etag) return etag.error();
        etags_.push_back(std::move(*etag));
        return ok();
    }

    result<void> send_part() {
        if (upload_id_.empty()) {
            auto id = client_.create_multipart(key_);
            if (!id) return id.error();
            upload_id_ = std::move(*id);
        }
        if (auto r = collect(); !r) return r.error();
        sending_.swap(buffer_);
        buffer_.clear();
        buffer_.reserve(part_size_);  // the first swap leaves an empty string here
        int number = static_cast<int>(etags_.size() + 1);
        inflight_ = std::async(std::launch::async, [this, number] {
            return client_.upload_part(key_, upload_id_, number, sending_);
        });
        return ok();
    }

    s3_client& client_;
    std::string key_;
    std::uint64_t part_size_;
    std::string upload_id_;
    std::string buffer_, sending_;
    std::vector<std::string> etags_;
    std::future<result<std::string>> inflight_;
    bool completed_ = false;
    bool placed_ = false;
};

class s3_object_blob final : public remote_blob {
  public:
    s3_object_blob(s3_client& c, std::string key) : client_(c), key_(std::move(key)) {}
    result<std::unique_ptr<byte_stream>> open_range(std::uint64_t offset,
                                                    std::uint64_t length) const override {
        return client_.get(key_, offset, length);
    }

  private:
    s3_client& client_;
    std::string key_;
};

// pread into the buffer, exactly n bytes.
result<void> read_exactly(int fd, std::uint64_t offset, char* buffer, std::size_t n) {
    std::size_t done = 0;
    while (done < n) {
        ssize_t got = ::pread(fd, buffer + done, n - done, static_cast<off_t>(offset + done));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return make_error(errc::internal, std::string("read: ") + std::strerror(errno));
        if (got == 0) return make_error(errc::internal, "the file is shorter than expected");
        done += static_cast<std::size_t>(got);
    }
    return ok();
}

}  // namespace

s3_blob_store::s3_blob_store(std::unique_ptr<s3_client> client, fs::path tmp)
    : client_(std::move(client)), tmp_dir_(std::move(tmp)) {}

s3_blob_store::~s3_blob_store() = default;

result<std::unique_ptr<s3_blob_store>> s3_blob_store::open(s3_config config,
                                                           const fs::path& data_dir) {
    if (auto v = validate(config); !v) return v.error();
    std::error_code ec;
    fs::create_directories(data_dir / "tmp", ec);
    if (ec) return make_error(errc::internal, "cannot create " + (data_dir / "tmp").string() + ": " + ec.message());
    auto client = std::make_unique<s3_client>(std::move(config));
    if (auto b = client->ensure_bucket(); !b) return b.error();
    return std::unique_ptr<s3_blob_store>(new s3_blob_store(std::move(client), data_dir / "tmp"));
}

std::string s3_blob_store::key_of(const std::string& hex) {
    return k_blob_prefix + hex.substr(0, 2) + "/" + hex.substr(2, 2) + "/" + hex;
}

result<blob_writer> s3_blob_store::begin_write(std::uint64_t max_size) {
    return blob_writer(std::make_unique<s3_upload>(*client_, client_->config().part_size), max_size);
}

result<std::optional<std::uint64_t>> s3_blob_store::size_of(const std::string& hex) const {
    {
        std::lock_guard lock(sizes_mutex_);
        if (auto it = sizes_.find(hex); it != sizes_.end()) return std::optional{it->second};
    }
    auto size = client_->head(key_of(hex));
    if (!size) return size.error();
    if (*size) {
        std::lock_guard lock(sizes_mutex_);
        if (sizes_.size() >= k_cached_sizes) sizes_.clear();
        sizes_[hex] = **size;
    }
    return *size;
}

void s3_blob_store::forget(const std::string& hex) const {
    std::lock_guard lock(sizes_mutex_);
    sizes_.erase(hex);
}

result<bool> s3_blob_store::put_file(const fs::path& path, const blob_info& info, bool overwrite) {
    if (!is_sha256_hex(info.sha256)) return make_error(errc::internal, "bad digest");
    forget(info.sha256);
    if (!overwrite) {
        auto have = size_of(info.sha256);
        if (!have) return have.error();
        if (*have && **have == info.size) return false;
    }
    unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return make_error(errc::internal, "open " + path.string() + ": " + std::strerror(errno));
    // The bytes sent are hashed as they are read: a file that changed since
    // it was hashed is never stored under the old digest.
    auto h = std::make_unique<sha256>();
    std::uint64_t hashed = 0;
    s3_client::reader read_at = [&](std::uint64_t offset, char* buffer, std::size_t n) -> result<void> {
        if (offset != hashed) {  // a retry starts over
            h = std::make_unique<sha256>();
            hashed = 0;
            if (offset != 0) {
                // Re-hash the prefix up to the retried part.
                std::vector<char> tmp(1 << 20);
                while (hashed < offset) {
                    auto k = static_cast<std::size_t>(std::min<std::uint64_t>(tmp.size(), offset - hashed));
                    if (auto r = read_exactly(fd.get(), hashed, tmp.data(), k); !r) return r.error();
                    h->update(tmp.data(), k);
                    hashed += k;
                }
            }
        }
        if (auto r = read_exactly(fd.get(), offset, buffer, n); !r) return r.error();
        h->update(buffer, n);
        hashed += n;
        return ok();
    };
    const std::string key = key_of(info.sha256);
    if (auto r = client_->put(key, info.size, read_at); !r) return r.error();
    if (hashed != info.size || h->finish_hex() != info.sha256) {
        (void)client_->remove(key);
        return make_error(errc::internal, path.string() + " does not match its digest; not stored");
    }
    std::lock_guard lock(sizes_mutex_);
    sizes_[info.sha256] = info.size;
    return true;
}

result<void> s3_blob_store::stage(blob_writer& writer, const blob_info& info) {
    if (writer.sink() || writer.tmp_path().empty()) return ok();
    auto put = put_file(writer.tmp_path(), info);
    if (!put) return put.error();
    return ok();
}

namespace {

// Puts a streamed upload's bytes under their final key.
result<void> store_upload(s3_client& client, s3_upload& upload, const std::string& key,
                          std::uint64_t size) {
    if (upload.small()) {
        const std::string& bytes = upload.buffer();
        s3_client::reader read_at = [&](std::uint64_t offset, char* buffer, std::size_t n) -> result<void> {
            std::memcpy(buffer, bytes.data() + offset, n);
            return ok();
        };
        if (auto r = client.put(key, bytes.size(), read_at); !r) return r.error();
    } else {
        if (auto r = client.copy(upload.key(), key, size); !r) return r.error();
        (void)client.remove(upload.key());  // a leftover is swept at the next start
        upload.placed();
    }
    return ok();
}

}  // namespace

result<bool> s3_blob_store::place(blob_writer& writer, const blob_info& info) {
    if (!is_sha256_hex(info.sha256)) return make_error(errc::internal, "bad digest");
    const std::string key = key_of(info.sha256);
    // Checked again under the caller's lock: gc may have removed the blob
    // since stage() sent it.
    forget(info.sha256);
    auto have = size_of(info.sha256);
    if (!have) return have.error();
    if (*have && **have == info.size) return false;

    auto* upload = dynamic_cast<s3_upload*>(writer.sink());
    if (!upload) {  // a local file
        return put_file(writer.tmp_path(), info);
    }
    if (auto r = store_upload(*client_, *upload, key, info.size); !r) return r.error();
    std::lock_guard lock(sizes_mutex_);
    sizes_[info.sha256] = info.size;
    return true;
}

result<void> s3_blob_store::replace(blob_writer& writer, const blob_info& info) {
    if (!is_sha256_hex(info.sha256)) return make_error(errc::internal, "bad digest");
    forget(info.sha256);
    auto* upload = dynamic_cast<s3_upload*>(writer.sink());
    if (!upload) {
        auto put = put_file(writer.tmp_path(), info, true);
        if (!put) return put.error();
        return ok();
    }
    if (auto r = store_upload(*client_, *upload, key_of(info.sha256), info.size); !r) return r;
    std::lock_guard lock(sizes_mutex_);
    sizes_[info.sha256] = info.size;
    return ok();
}

result<blob_file> s3_blob_store::open_read(const std::string& hex) const {
    if (!is_sha256_hex(hex)) return make_error(errc::not_found, "no such blob");
    auto size = size_of(hex);
    if (!size) return size.error();
    if (!*size) return make_error(errc::not_found, "blob " + hex + " is missing");
    blob_file f;
    f.remote = std::make_shared<s3_object_blob>(*client_, key_of(hex));
    f.size = **size;
    return f;
}

bool s3_blob_store::exists(const std::string& hex) const {
    if (!is_sha256_hex(hex)) return false;
    auto size = size_of(hex);
    return size && size->has_value();
}

result<void> s3_blob_store::remove(const std::string& hex) {
    if (!is_sha256_hex(hex)) return make_error(errc::internal, "bad digest");
    forget(hex);
    return client_->remove(key_of(hex));
}

void s3_blob_store::for_each(const std::function<void(const blob_info&)>& fn) const {
    (void)client_->list(k_blob_prefix, [&](const s3_object& o) {
        auto slash = o.key.rfind('/');
        auto name = o.key.substr(slash + 1);
        if (is_sha256_hex(name)) fn(blob_info{name, o.size});
    });
}

std::size_t s3_blob_store::clean_tmp() {
    std::size_t removed = clean_local_tmp(tmp_dir_);
    if (auto uploads = client_->list_multipart(k_tmp_prefix)) {
        for (const auto& u : *uploads)
            if (client_->abort_multipart(u.key, u.upload_id)) ++removed;
    }
    std::vector<std::string> keys;
    (void)client_->list(k_tmp_prefix, [&](const s3_object& o) { keys.push_back(o.key); });
    for (const auto& k : keys)
        if (client_->remove(k)) ++removed;
    return removed;
}

result<std::string> s3_blob_store::presign_get(const std::string& hex,
                                               const presign_options& o) const {
    if (!is_sha256_hex(hex)) return make_error(errc::not_found, "no such blob");
    std::vector<std::pair<std::string, std::string>> params;
    if (!o.content_disposition.empty())
        params.emplace_back("response-content-disposition", o.content_disposition);
    if (!o.content_type.empty()) params.emplace_back("response-content-type", o.content_type);
    params.emplace_back("response-cache-control", "private, no-cache");
    return client_->presign_get(key_of(hex), o.expires_in, params,
                                static_cast<std::int64_t>(std::time(nullptr)));
}

}  // namespace kho::storage
