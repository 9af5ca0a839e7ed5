#pragma once
// The asset service: creates assets and versions from staged blobs, edits
// metadata, lists, trashes, restores and purges. Every change is one
// synchronous RocksDB WriteBatch (records, indexes, blob reference counts and
// statistics together), committed only after the blob it refers to is durable.
//
// Thread safety: all member functions may be called concurrently. Changes to
// one asset are serialized by a striped lock on its id; placing or removing a
// blob is serialized by a striped lock on its digest, so a purge cannot delete
// a blob that a concurrent upload is about to reference.

#include "core/asset.hpp"
#include "core/audit.hpp"
#include "core/job.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ulid.hpp"
#include "storage/blob_store.hpp"
#include "storage/damage_registry.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace rocksdb {
class WriteBatch;
}

namespace kho::storage {

class database;
class audit_log;
class catalog_index;
class job_queue;

struct asset_filter {
    std::optional<asset_kind> kind;
    std::optional<std::string> tag;
    std::optional<std::string> campaign;
    std::optional<std::string> sha256;  // assets with a version of exactly these bytes
    bool trashed = false;               // false: live assets only; true: the trash only
};

struct asset_page {
    std::vector<asset> items;
    std::optional<std::string> next_cursor;
};

// One workflow step on a version (core/workflow.hpp). The caller has asked
// the policy whether the actor may take it.
struct transition_request {
    workflow_action action = workflow_action::submit;
    std::string comment;                     // required to reject
    std::optional<kho::audience> audience;   // required to approve
    validity_window window;                  // approve: when it is offered
};

// One version waiting for review.
struct review_item {
    ulid asset_id;
    std::uint32_t version = 0;
    unix_ms submitted_at = 0;
};

struct review_page {
    std::vector<review_item> items;  // oldest submission first
    std::optional<std::string> next_cursor;
};

// A rendition made by a job, staged in the blob store's tmp/ and ready to
// be placed.
struct staged_rendition {
    rendition record;  // name, content_type, size, sha256, dimensions, recipe
    blob_writer writer;
    blob_info blob;
};

struct store_stats {
    std::int64_t blob_count = 0;
    std::int64_t blob_bytes = 0;
};

// Reference counts checked against the records that hold references (one
// per version, one per rendition), read from one snapshot of the database.
struct reference_audit {
    struct mismatch {
        std::string sha256;
        std::int64_t recorded = 0;  // blob_refs
        std::int64_t actual = 0;    // versions + renditions using it
    };
    std::vector<mismatch> mismatches;
    std::size_t referenced_blobs = 0;        // distinct digests in use
    std::uint64_t referenced_bytes = 0;      // their sizes
    std::int64_t recorded_blob_count = 0;    // stats.blob_count (the kho_blobs metric)
    std::int64_t recorded_blob_bytes = 0;    // stats.blob_bytes
    bool consistent() const {
        return mismatches.empty() &&
               recorded_blob_count == static_cast<std::int64_t>(referenced_blobs) &&
               recorded_blob_bytes == static_cast<std::int64_t>(referenced_bytes);
    }
};

// Adds records of another store to the WriteBatch of a new asset or
// version, so that they commit together (a resumable upload's record
// notes the asset it became: after a crash, either both are there or
// neither).
using commit_hook =
    std::function<void(rocksdb::WriteBatch&, const asset&, const asset_version&)>;

class asset_store {
  public:
    // Every change below is audited: its entry is committed in the same
    // WriteBatch, with `who` as actor and client address.
    asset_store(database& db, blob_store& blobs, audit_log& audit, kho::clock clk = {});

    // Stores the writer's blob (deduplicated) and commits a new asset with
    // version 1 (a draft). `meta` must already be validated.
    result<std::pair<asset, asset_version>> create(asset_metadata meta, blob_writer writer,
                                                   const blob_info& blob,
                                                   const std::string& content_type,
                                                   const std::string& file_name,
                                                   const audit_context& who,
                                                   const commit_hook& also = {});

    // Adds version N+1 (a draft) to a live asset.
    result<asset_version> add_version(const ulid& id, blob_writer writer, const blob_info& blob,
                                      const std::string& content_type, const std::string& file_name,
                                      const audit_context& who, const commit_hook& also = {});

    // Takes one workflow step on version `n`. errc::conflict (naming the
    // allowed steps) when the step does not exist from the version's state
    // or the asset is in the trash; errc::unprocessable when a rejection has
    // no comment or an approval no audience. Approving a version archives the
    // version that was approved before it (it is superseded), in the same
    // commit.
    result<asset_version> transition(const ulid& id, std::uint32_t n, const transition_request& t,
                                     const audit_context& who);

    // Enqueues a media job with every new version whose type has
    // renditions, in the version's own WriteBatch.
    void set_job_queue(job_queue* jobs) noexcept { jobs_ = jobs; }

    // Keeps the catalog's search index in every change's WriteBatch (and its
    // in-memory documents current after the commit).
    void set_catalog(catalog_index* catalog) noexcept { catalog_ = catalog; }

    // Stores a job's renditions (deduplicated blobs, one reference each)
    // and marks the job done, in one commit. A rendition of the same name
    // made before is replaced (its blob reference dropped). errc::not_found
    // when the version is gone (purged meanwhile); errc::conflict when the
    // job's lease was taken over. The staged files are consumed either way.
    // `media_info` (JSON: dimensions, duration, codecs...) is stored on the
    // version.
    result<std::vector<rendition>> commit_renditions(const ulid& id, std::uint32_t n,
                                                     std::vector<staged_rendition> staged,
                                                     const job& claimed,
                                                     const std::string& media_info = "{}");
    result<std::vector<rendition>> list_renditions(const ulid& id, std::uint32_t n) const;
    result<rendition> get_rendition(const ulid& id, std::uint32_t n, std::string_view name) const;

    // Versions in review, oldest submission first.
    result<review_page> review_queue(const std::optional<std::string>& cursor,
                                     std::size_t limit) const;

    result<asset> get(const ulid& id) const;
    result<asset_version> get_version(const ulid& id, std::uint32_t number) const;
    result<std::vector<asset_version>> list_versions(const ulid& id) const;

    // Newest first. `cursor` is the id of the last item of the previous page.
    result<asset_page> list(const asset_filter& filter, const std::optional<std::string>& cursor,
                            std::size_t limit) const;

    // Applies the patch when `expected_revision` is current, else
    // errc::precondition_failed.
    result<asset> update(const ulid& id, std::uint64_t expected_revision,
                         const asset_metadata_patch& patch, const audit_context& who = {});

    // Moves to the trash / back. errc::conflict when already there / not there.
    result<asset> trash(const ulid& id, std::optional<std::uint64_t> expected_revision,
                        const audit_context& who = {});
    result<asset> restore(const ulid& id, const audit_context& who = {});
    // Deletes a trashed asset for good and removes blobs nothing else references.
    result<void> purge(const ulid& id, const audit_context& who = {});

    store_stats stats() const;

    // Every version of every asset (trashed ones included), in key order.
    void for_each_version(const std::function<void(const ulid&, const asset_version&)>& fn) const;
    // Every rendition of every version, in key order.
    void for_each_rendition(
        const std::function<void(const ulid&, std::uint32_t, const rendition&)>& fn) const;
    // Compares every reference count (and the blob statistics) with the
    // records; safe while the server works (one snapshot).
    reference_audit audit_references() const;

    // Blobs known to be damaged; an upload of the same bytes replaces the
    // damaged file instead of deduplicating against it.
    damage_registry& damage() noexcept { return damage_; }
    const damage_registry& damage() const noexcept { return damage_; }
    // Removes the blob when nothing references it, under the lock uploads
    // take to reference it. Returns whether it was unreferenced.
    bool remove_if_unreferenced(const std::string& sha256_hex, bool dry_run);

    // While one of these lives, no blob file is removed (a backup copies the
    // blobs its database checkpoint references). Create it before taking the
    // checkpoint.
    class removal_pause {
      public:
        explicit removal_pause(asset_store& s) : s_(s) { s_.backups_running_.fetch_add(1); }
        ~removal_pause() { s_.backups_running_.fetch_sub(1); }
        removal_pause(const removal_pause&) = delete;
        removal_pause& operator=(const removal_pause&) = delete;

      private:
        asset_store& s_;
    };
    // Digest -> reference count, for recovery and verification.
    std::int64_t ref_count(const std::string& sha256_hex) const;

  private:
    std::mutex& asset_lock(const ulid& id) const;
    std::mutex& blob_lock(const std::string& sha256_hex) const;
    result<bool> place_blob(blob_writer& writer, const blob_info& blob);
    // Adds one reference to `blob` (and the statistics of a first one) to a
    // batch. Caller holds the blob's lock.
    void add_reference(rocksdb::WriteBatch& batch, const blob_info& blob) const;
    // Commits a changed asset record and its audit entry (caller holds the
    // asset's lock).
    result<asset> put_record(asset a, std::string_view what, audit_entry entry);
    audit_entry entry_for(const audit_context& who, std::string action, std::string target) const;

    // The catalog index's part of a change: hold the guard from staging to
    // publishing. `changed` overrides the stored versions of the same number
    // (and adds new ones).
    struct catalog_change;
    catalog_change stage_catalog(rocksdb::WriteBatch& batch, const asset& a,
                                 const std::vector<asset_version>& changed) const;

    // Decoded records of recently read assets and versions: a download reads
    // both, and decoding JSON was the largest cost of a small download.
    // (list_versions() caches an asset's whole list: every change of an
    // asset calls invalidate(), which drops it.)
    // Every change erases the asset's entries after its commit and bumps
    // `generation_`, and a reader only fills the cache when no change
    // happened since it started reading, so a stale record is never cached.
    std::uint64_t cache_generation() const;
    void cache_asset(std::uint64_t generation, const asset& a) const;
    void cache_version(std::uint64_t generation, const ulid& id, const asset_version& v) const;
    void cache_versions(std::uint64_t generation, const ulid& id,
                        const std::vector<asset_version>& versions) const;
    void invalidate(const ulid& id, std::uint32_t version_count = 0);

    database& db_;
    std::atomic<int> backups_running_{0};
    blob_store& blobs_;
    audit_log& audit_;
    job_queue* jobs_ = nullptr;
    catalog_index* catalog_ = nullptr;
    kho::clock clock_;
    damage_registry damage_;
    ulid_generator ids_;
    mutable std::array<std::mutex, 64> asset_locks_;
    mutable std::array<std::mutex, 64> blob_locks_;

    static constexpr std::size_t k_cache_entries = 8192;
    mutable std::mutex cache_mutex_;
    mutable std::uint64_t generation_ = 0;
    mutable std::unordered_map<std::string, asset> asset_cache_;            // raw id
    mutable std::unordered_map<std::string, asset_version> version_cache_;  // version key
    // An asset's versions in order (a download of the latest reads them all).
    mutable std::unordered_map<std::string, std::vector<asset_version>> versions_cache_;  // raw id
};

}  // namespace kho::storage
