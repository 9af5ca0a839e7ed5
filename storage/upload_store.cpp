#include "storage/upload_store.hpp"

#include "core/sha256.hpp"
#include "storage/blob_store.hpp"
#include "storage/rocks.hpp"

#include <fcntl.h>
#include <rocksdb/iterator.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace kho::storage {
namespace {

using json = nlohmann::json;

std::string concat_name(upload_record::concat_kind k) {
    switch (k) {
        case upload_record::concat_kind::partial:
            return "partial";
        case upload_record::concat_kind::final:
            return "final";
        default:
            return "none";
    }
}

std::string to_hex_string(std::string_view bytes) {
    return to_hex(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

std::string from_hex_string(std::string_view hex) {
    std::string out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
        out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
    return out;
}

std::string encode(const upload_record& r) {
    json j{{"owner", r.owner},
           {"offset", r.offset},
           {"metadata", r.metadata},
           {"concat", concat_name(r.concat)},
           {"parts", r.parts},
           {"hash_state", to_hex_string(r.hash_state)},
           {"checkpoint", r.checkpoint},
           {"checkpoint_hash_state", to_hex_string(r.checkpoint_hash_state)},
           {"checkpoint_at", r.checkpoint_at},
           {"boot_id", r.boot_id},
           {"created_at", r.created_at},
           {"expires_at", r.expires_at}};
    if (r.length) j["length"] = *r.length;
    if (r.asset_id) j["asset_id"] = *r.asset_id;
    if (r.version) j["version"] = *r.version;
    return j.dump();
}

result<upload_record> decode(std::string_view key, std::string_view value) {
    try {
        auto j = json::parse(value);
        upload_record r;
        auto id = ulid::from_raw(key);
        if (!id) return id.error();
        r.id = *id;
        r.owner = j.at("owner").get<std::string>();
        r.offset = j.at("offset").get<std::uint64_t>();
        r.metadata = j.at("metadata").get<std::string>();
        auto c = j.at("concat").get<std::string>();
        r.concat = c == "partial" ? upload_record::concat_kind::partial
                   : c == "final" ? upload_record::concat_kind::final
                                  : upload_record::concat_kind::none;
        r.parts = j.at("parts").get<std::vector<std::string>>();
        r.hash_state = from_hex_string(j.at("hash_state").get<std::string>());
        r.checkpoint = j.value("checkpoint", std::uint64_t{0});
        r.checkpoint_hash_state = from_hex_string(j.value("checkpoint_hash_state", std::string()));
        r.checkpoint_at = j.value("checkpoint_at", unix_ms{0});
        r.boot_id = j.value("boot_id", std::string());
        r.created_at = j.at("created_at").get<unix_ms>();
        r.expires_at = j.at("expires_at").get<unix_ms>();
        if (j.contains("length")) r.length = j.at("length").get<std::uint64_t>();
        if (j.contains("asset_id")) r.asset_id = j.at("asset_id").get<std::string>();
        if (j.contains("version")) r.version = j.at("version").get<std::uint32_t>();
        return r;
    } catch (const json::exception& e) {
        return make_error(errc::internal, std::string("corrupt upload record: ") + e.what());
    }
}

// Changes at every boot of the machine; the page cache does not survive it.
const std::string& current_boot_id() {
    static const std::string id = [] {
        std::ifstream in("/proc/sys/kernel/random/boot_id");
        std::string v;
        std::getline(in, v);
        return v;
    }();
    return id;
}

}  // namespace

upload_store::upload_store(database& db, std::filesystem::path tmp_dir, kho::clock clk)
    : db_(db), dir_(std::move(tmp_dir) / "tus"), clock_(std::move(clk)) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
}

std::filesystem::path upload_store::file_of(const ulid& id) const {
    return dir_ / (id.to_string() + ".part");
}

result<upload_record> upload_store::create(upload_record r) {
    if (r.checkpoint_at == 0) r.checkpoint_at = r.created_at;
    auto path = file_of(r.id);
    unique_fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
    if (!fd) {
        if (errno == ENOSPC || errno == EDQUOT)
            return make_error(errc::insufficient_storage, "the disk is full");
        return make_error(errc::internal,
                          std::string("create upload file: ") + std::strerror(errno));
    }
    if (auto d = fsync_dir(dir_); !d) {
        ::unlink(path.c_str());
        return d.error();
    }
    if (auto s = save(r); !s) {
        ::unlink(path.c_str());
        return s.error();
    }
    return r;
}

result<upload_record> upload_store::get(const ulid& id) const {
    auto& h = db_.handles();
    std::string v;
    auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::uploads], id.raw(), &v);
    if (s.IsNotFound()) return make_error(errc::not_found, "no upload with id " + id.to_string());
    if (!s.ok()) return to_error(s, "read upload");
    auto r = decode(id.raw(), v);
    if (r && r->boot_id != current_boot_id() && r->offset != r->checkpoint) {
        // Written before a reboot: only the checkpoint is known to be on disk.
        r->offset = r->checkpoint;
        r->hash_state = r->checkpoint_hash_state;
    }
    return r;
}

result<void> upload_store::save(upload_record& r, bool checkpoint) {
    if (checkpoint) {
        r.checkpoint = r.offset;
        r.checkpoint_hash_state = r.hash_state;
        r.checkpoint_at = clock_.now();
    }
    r.boot_id = current_boot_id();
    auto& h = db_.handles();
    auto s = h.db->Put(sync_write(), h[cf::uploads], r.id.raw(), encode(r));
    if (!s.ok()) return to_error(s, "save upload");
    return ok();
}

void upload_store::stage_save(rocksdb::WriteBatch& batch, upload_record& r) const {
    r.boot_id = current_boot_id();
    auto& h = db_.handles();
    batch.Put(h[cf::uploads], r.id.raw(), encode(r));
}

result<void> upload_store::save_progress(upload_record& r) {
    r.boot_id = current_boot_id();
    auto& h = db_.handles();
    auto s = h.db->Put(rocksdb::WriteOptions(), h[cf::uploads], r.id.raw(), encode(r));
    if (!s.ok()) return to_error(s, "save upload progress");
    return ok();
}

bool upload_store::checkpoint_due(const upload_record& r) const {
    return r.offset - r.checkpoint >= k_checkpoint_bytes ||
           clock_.now() - r.checkpoint_at >= k_checkpoint_ms;
}

result<void> upload_store::save_progress(const upload_record& r) {
    auto& h = db_.handles();
    auto s = h.db->Put(rocksdb::WriteOptions(), h[cf::uploads], r.id.raw(), encode(r));
    if (!s.ok()) return to_error(s, "save upload progress");
    return ok();
}

result<void> upload_store::remove(const ulid& id) {
    auto& h = db_.handles();
    auto s = h.db->Delete(sync_write(), h[cf::uploads], id.raw());
    if (!s.ok()) return to_error(s, "remove upload");
    std::error_code ec;
    std::filesystem::remove(file_of(id), ec);
    return ok();
}

std::vector<upload_record> upload_store::all() const {
    auto& h = db_.handles();
    std::vector<upload_record> out;
    std::unique_ptr<rocksdb::Iterator> it(
        h.db->NewIterator(rocksdb::ReadOptions(), h[cf::uploads]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        auto r = decode(it->key().ToStringView(), it->value().ToStringView());
        if (r) out.push_back(std::move(*r));
    }
    return out;
}

std::size_t upload_store::sweep() {
    std::size_t removed = 0;
    auto now = clock_.now();
    std::set<std::string> live;
    for (const auto& r : all()) {
        if (r.expires_at <= now && claim(r.id)) {
            if (remove(r.id)) ++removed;
            release(r.id);
            continue;
        }
        live.insert(r.id.to_string() + ".part");
    }
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir_, ec), end; !ec && it != end;
         it.increment(ec)) {
        auto name = it->path().filename().string();
        if (live.count(name)) continue;
        auto id = ulid::parse(name.substr(0, name.find('.')));
        // A file whose record is being created right now is not an orphan.
        if (id && get(*id)) continue;
        if (std::filesystem::remove(it->path(), ec)) ++removed;
    }
    return removed;
}

bool upload_store::claim(const ulid& id, std::function<void()> interrupt) {
    std::lock_guard lock(busy_mutex_);
    return busy_.emplace(std::string(id.raw()), std::move(interrupt)).second;
}

void upload_store::interrupt(const ulid& id) {
    std::function<void()> fn;
    {
        std::lock_guard lock(busy_mutex_);
        if (auto it = busy_.find(std::string(id.raw())); it != busy_.end()) fn = it->second;
    }
    if (fn) fn();
}

void upload_store::release(const ulid& id) {
    std::lock_guard lock(busy_mutex_);
    busy_.erase(std::string(id.raw()));
}

void upload_store::note_terminated(const ulid& id, const std::string& owner) {
    const auto now = clock_.now();
    std::lock_guard lock(terminated_mutex_);
    if (terminated_.size() >= k_terminated_max) {
        std::erase_if(terminated_, [&](const auto& e) { return now - e.second.second > k_terminated_memory_ms; });
        if (terminated_.size() >= k_terminated_max) terminated_.clear();
    }
    terminated_[id.to_string()] = {owner, now};
}

bool upload_store::terminated_by(const ulid& id, const std::string& owner) const {
    std::lock_guard lock(terminated_mutex_);
    auto it = terminated_.find(id.to_string());
    return it != terminated_.end() && it->second.first == owner &&
           clock_.now() - it->second.second <= k_terminated_memory_ms;
}

}  // namespace kho::storage
