#include "storage/database.hpp"

#include "storage/info_log.hpp"
#include "storage/key_codec.hpp"
#include "storage/rocks.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <rocksdb/cache.h>
#include <rocksdb/iterator.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>

namespace kho::storage {
namespace {

// Adds signed 64-bit counters: reference counts, statistics and usage
// counters are updated inside WriteBatches without a read-modify-write. A
// value is one or more int64 little-endian; they add element-wise (a
// shorter operand counts as zeros), so a single counter is the one-element
// case.
class counter_add_operator final : public rocksdb::AssociativeMergeOperator {
  public:
    bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value,
               std::string* new_value, rocksdb::Logger*) const override {
        auto base = existing ? decode_counters(existing->ToStringView()) : std::vector<std::int64_t>{};
        auto add = decode_counters(value.ToStringView());
        if (base.size() < add.size()) base.resize(add.size(), 0);
        for (std::size_t i = 0; i < add.size(); ++i) base[i] += add[i];
        *new_value = encode_counters(base);
        return true;
    }
    const char* Name() const override { return "kho.counter_add"; }
};

constexpr const char* k_cf_names[] = {"default", "assets",      "versions",    "asset_index",
                                      "blob_refs", "tokens",     "uploads",     "users",
                                      "units",   "audit",       "audit_index", "comments",
                                      "token_index", "jobs",     "job_index",   "renditions",
                                      "catalog", "press_kits",  "share_links", "usage",
                                      "usage_counters"};
static_assert(std::size(k_cf_names) == static_cast<size_t>(cf::count_));

constexpr const char* k_schema_key = "schema_version";

}  // namespace

database::impl::~impl() {
    resumer.reset();
    if (db) {
        rocksdb::FlushOptions fo;
        fo.wait = true;
        db->Flush(fo, cfs);
        for (auto* h : cfs) db->DestroyColumnFamilyHandle(h);
        db->Close();
    }
}

rocksdb::WriteOptions sync_write() {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return wo;
}

void seek_newest_first(rocksdb::Iterator& it, std::string_view prefix,
                       std::optional<std::string_view> after) {
    if (after) {
        std::string start(prefix);
        start.append(*after);
        it.SeekForPrev(start);
        if (it.Valid() && it.key().ToStringView() == start) it.Prev();
    } else if (prefix.empty()) {
        it.SeekToLast();
    } else {
        auto upper = prefix_successor(prefix);
        it.SeekForPrev(upper);
        if (it.Valid() && it.key().ToStringView() == upper) it.Prev();
    }
}

error to_error(const rocksdb::Status& s, std::string_view what) {
    if (s.IsNotFound()) return make_error(errc::not_found, std::string(what) + " not found");
    // A full disk stops RocksDB's writes until space returns; write_resumer
    // resumes them once there is room again.
    if (s.IsNoSpace()) return make_error(errc::insufficient_storage, "the disk is full");
    // Any other I/O error on its log stops writes for good (RocksDB cannot
    // know what reached the disk): reads go on, and a restart replays the
    // log, which holds every acknowledged change.
    if (s.severity() >= rocksdb::Status::Severity::kFatalError)
        return make_error(errc::unavailable,
                          "the database stopped accepting changes after a disk error (" +
                              s.ToString() + "); restart kho-server");
    if (s.IsBusy() || s.IsTryAgain())
        return make_error(errc::unavailable, std::string(what) + ": " + s.ToString());
    return make_error(errc::internal, std::string(what) + ": " + s.ToString());
}

namespace {

// Whether another process holds RocksDB's lock (a POSIX record lock on
// LOCK) on this directory.
bool lock_held_elsewhere(const std::filesystem::path& dir) {
    int fd = ::open((dir / "LOCK").c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    struct flock probe {};
    probe.l_type = F_WRLCK;
    probe.l_whence = SEEK_SET;
    bool held = ::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
    ::close(fd);
    return held;
}

}  // namespace

database::database(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
database::~database() = default;

result<std::unique_ptr<database>> database::open(const std::filesystem::path& dir,
                                                 const database_options& options) {
    rocksdb::DBOptions db_opts;
    db_opts.create_if_missing = true;
    db_opts.create_missing_column_families = true;
    db_opts.max_background_jobs = options.background_threads;
    db_opts.keep_log_file_num = 5;
    db_opts.db_write_buffer_size = options.memtable_bytes;
    // RocksDB keeps every table file open by default (-1): descriptors would
    // grow with the database. 512 tables stay open; others reopen on use.
    db_opts.max_open_files = 512;
    // Rotating the log renames and prunes files: never under a database
    // another process has open (RocksDB's lock would refuse us only later).
    if (lock_held_elsewhere(dir))
        return make_error(errc::unavailable,
                          "the data directory is in use by another kho process (" +
                              (dir / "LOCK").string() + " is locked)");
    db_opts.info_log = open_info_log(dir, 4);
    auto resumer = std::make_unique<write_resumer>(dir);
    db_opts.listeners.push_back(resumer->listener());

    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));

    rocksdb::ColumnFamilyOptions cf_opts;
    cf_opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf_opts.merge_operator = std::make_shared<counter_add_operator>();

    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const char* name : k_cf_names) descriptors.emplace_back(name, cf_opts);

    auto handles = std::make_unique<impl>();
    rocksdb::DB* raw = nullptr;
    auto s = rocksdb::DB::Open(db_opts, dir.string(), descriptors, &handles->cfs, &raw);
    if (!s.ok()) {
        if (s.IsIOError() && s.ToString().find("lock") != std::string::npos)
            return make_error(
                errc::unavailable,
                "the data directory is in use by another kho process: " + s.ToString());
        return to_error(s, "open database " + dir.string());
    }
    handles->db.reset(raw);
    resumer->start(raw);
    handles->resumer = std::move(resumer);

    // Schema version: written once, checked at every open.
    std::string stored;
    s = raw->Get(rocksdb::ReadOptions(), (*handles)[cf::meta], k_schema_key, &stored);
    if (s.IsNotFound()) {
        s = raw->Put(sync_write(), (*handles)[cf::meta], k_schema_key,
                     std::to_string(schema_version));
        if (!s.ok()) return to_error(s, "write schema version");
    } else if (!s.ok()) {
        return to_error(s, "read schema version");
    } else if (stored != std::to_string(schema_version)) {
        return make_error(errc::unavailable, "the database has schema version " + stored +
                                                 "; this kho understands version " +
                                                 std::to_string(schema_version));
    }
    return std::unique_ptr<database>(new database(std::move(handles)));
}

}  // namespace kho::storage
