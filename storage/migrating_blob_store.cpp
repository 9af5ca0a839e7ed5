#include "storage/migrating_blob_store.hpp"

#include <sys/stat.h>

namespace kho::storage {

migrating_blob_store::migrating_blob_store(std::unique_ptr<s3_blob_store> s3,
                                           std::unique_ptr<local_blob_store> local)
    : s3_(std::move(s3)), local_(std::move(local)) {}

migrating_blob_store::~migrating_blob_store() {
    stopping_ = true;
    if (worker_.joinable()) worker_.join();
}

result<blob_writer> migrating_blob_store::begin_write(std::uint64_t max_size) {
    return s3_->begin_write(max_size);
}

result<void> migrating_blob_store::stage(blob_writer& writer, const blob_info& info) {
    return s3_->stage(writer, info);
}

result<bool> migrating_blob_store::place(blob_writer& writer, const blob_info& info) {
    return s3_->place(writer, info);
}

// The bucket's copy is the one read first: good bytes there repair the blob
// whichever copy was damaged (the migration drops the local one later).
result<void> migrating_blob_store::replace(blob_writer& writer, const blob_info& info) {
    return s3_->replace(writer, info);
}

result<blob_file> migrating_blob_store::open_read(const std::string& hex) const {
    auto f = s3_->open_read(hex);
    if (f || f.error().code != errc::not_found) return f;
    auto l = local_->open_read(hex);
    if (l) return l;
    return f;
}

void migrating_blob_store::forget(const std::string& hex) const {
    s3_->forget(hex);
    local_->forget(hex);
}

bool migrating_blob_store::exists(const std::string& hex) const {
    return local_->exists(hex) || s3_->exists(hex);
}

result<void> migrating_blob_store::remove(const std::string& hex) {
    if (auto r = s3_->remove(hex); !r) return r;
    return local_->remove(hex);
}

void migrating_blob_store::for_each(const std::function<void(const blob_info&)>& fn) const {
    s3_->for_each(fn);
    // Local blobs not yet moved (a blob in both places is reported once).
    local_->for_each([&](const blob_info& b) {
        if (!s3_->exists(b.sha256)) fn(b);
    });
}

std::size_t migrating_blob_store::clean_tmp() {
    return s3_->clean_tmp();
}

std::optional<std::filesystem::path> migrating_blob_store::local_path(const std::string& hex) const {
    if (local_->exists(hex)) return local_->local_path(hex);
    return std::nullopt;
}

result<std::string> migrating_blob_store::presign_get(const std::string& hex,
                                                      const presign_options& options) const {
    // Not moved yet: only kho can serve it.
    if (local_->exists(hex))
        return make_error(errc::unprocessable, "the blob is still on local disk");
    return s3_->presign_get(hex, options);
}

migration_status migrating_blob_store::status() const {
    std::lock_guard lock(mutex_);
    return status_;
}

result<void> migrating_blob_store::start_migration(kho::clock clk) {
    std::lock_guard lock(mutex_);
    if (status_.state == "running") return make_error(errc::conflict, "a migration is running");
    if (worker_.joinable()) worker_.join();
    status_ = migration_status{};
    status_.state = "running";
    status_.started_at = clk.now();
    worker_ = std::thread([this, clk] { migrate(clk); });
    return ok();
}

migration_status migrating_blob_store::migrate(kho::clock clk) {
    {
        std::lock_guard lock(mutex_);
        status_.state = "running";
        if (status_.started_at == 0) status_.started_at = clk.now();
    }
    std::vector<blob_info> all;
    local_->for_each([&](const blob_info& b) { all.push_back(b); });
    {
        std::lock_guard lock(mutex_);
        status_.total = all.size();
    }
    for (const auto& b : all) {
        if (stopping_) break;
        auto path = local_->path_of(b.sha256);
        auto sent = s3_->put_file(path, b);
        std::lock_guard lock(mutex_);
        if (!sent) {
            struct stat st {};
            if (::stat(path.c_str(), &st) != 0) continue;  // removed meanwhile (gc)
            ++status_.failed;
            if (status_.errors.size() < 100)
                status_.errors.push_back(b.sha256 + ": " + sent.error().detail);
            continue;
        }
        if (*sent) {
            ++status_.moved;
            status_.bytes += b.size;
        } else {
            ++status_.already;
        }
        (void)local_->remove(b.sha256);
    }
    std::lock_guard lock(mutex_);
    status_.state = stopping_ ? "idle" : (status_.failed > 0 ? "failed" : "done");
    status_.finished_at = clk.now();
    return status_;
}

}  // namespace kho::storage
