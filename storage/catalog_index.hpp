#pragma once
// The catalog's search index. Durable part: postings in the `catalog`
// column family, one key per (folded word, asset), written by asset_store in
// the same WriteBatch as the records they describe, so a search never finds
// an asset by words it no longer has, and never finds a purged one. Memory
// part: one catalog_doc per asset (metadata for filters and facets, policy
// facts of every version), rebuilt from the records at start and replaced
// after every commit, so visibility is always decided on the current state.
//
// A query's words are matched exactly, the last one also as a prefix
// (search as you type). Results: relevance (field weights, exact over
// prefix) then recency, with facet counts over all matches.
//
// Queries are answered from memory: each document has a number, and each
// word a list of (number, fields) sorted by number, kept in step with the
// postings in RocksDB (which are what survives a restart and what
// `rebuild` rewrites). The rarest word is read first; the others are
// intersected with the matches so far.
//
// Thread safety: search() runs concurrently with everything. Writers
// (asset_store) hold write_guard() from stage() to publish(); rebuild()
// takes it exclusively.

#include "core/catalog_doc.hpp"
#include "core/error.hpp"
#include "core/unit.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace rocksdb {
class WriteBatch;
}

namespace kho::storage {

class database;

struct catalog_query {
    std::string text;  // as typed; empty: everything, newest first
    std::optional<asset_kind> kind;
    std::optional<std::string> campaign;  // compared folded
    std::optional<std::string> tag;       // compared folded
    std::optional<education_level> level;
    std::optional<unix_ms> from;   // offered at or after
    std::optional<unix_ms> until;  // offered before
    std::optional<std::string> created_by;  // only this user's assets
};

struct catalog_hit {
    std::shared_ptr<const catalog_doc> doc;
    std::uint32_t version = 0;  // the version the caller is shown
    int score = 0;
    unix_ms published = 0;
};

struct facet_count {
    std::string value;
    std::size_t count = 0;
};

struct catalog_result {
    std::vector<catalog_hit> items;
    std::optional<std::string> next_cursor;
    std::size_t total = 0;  // matches over all pages
    // Counts over the matches, each ignoring its own filter (so that a
    // chosen kind still shows how many of the other kinds there are).
    std::vector<facet_count> kinds, campaigns, tags;
};

// The version of a doc that the caller is shown, or nothing to hide it.
using version_chooser = std::function<const catalog_version*(const catalog_doc&)>;

class catalog_index {
  public:
    explicit catalog_index(database& db);

    // Loads every asset into memory; writes the postings first when the
    // database has none yet (created before the index existed, or a
    // rebuild was cut short). Call once before serving.
    result<std::size_t> open();

    // Replaces every posting with ones made from the records. Returns the
    // number of assets indexed. Writers wait meanwhile.
    result<std::size_t> rebuild();

    std::shared_lock<std::shared_mutex> write_guard() const {
        return std::shared_lock<std::shared_mutex>(rebuild_mutex_);
    }

    // Adds to `batch` the posting changes from the indexed state of a.id to
    // this one, and returns the doc to publish() after the commit.
    std::shared_ptr<const catalog_doc> stage(rocksdb::WriteBatch& batch, const asset& a,
                                             const std::vector<asset_version>& versions) const;
    // Adds the removal of every posting of `id` to `batch` (a purge).
    void stage_remove(rocksdb::WriteBatch& batch, const ulid& id) const;
    void publish(std::shared_ptr<const catalog_doc> doc);
    void unpublish(const ulid& id);

    // errc::invalid_parameter for a malformed cursor.
    result<catalog_result> search(const catalog_query& q, const version_chooser& choose,
                                  const std::optional<std::string>& cursor,
                                  std::size_t limit) const;

    std::shared_ptr<const catalog_doc> get(const ulid& id) const;
    std::size_t size() const;

  private:
    struct posting {
        std::uint32_t doc = 0;  // document number
        std::uint8_t fields = 0;
    };
    using posting_list = std::vector<posting>;  // sorted by doc

    result<std::size_t> load_docs();
    result<void> write_all_postings();
    // Caller holds docs_mutex_ exclusively.
    void add_postings(std::uint32_t n, const catalog_doc& d);
    void remove_postings(std::uint32_t n, const catalog_doc& d);
    void set_facets(std::uint32_t n, const catalog_doc& d);

    // Campaigns and tags as small numbers (by folded spelling; the first
    // spelling seen is the one shown), so facets count into arrays.
    static constexpr std::uint32_t k_none = 0xffffffffu;
    struct interned {
        std::unordered_map<std::string, std::uint32_t> ids;
        std::vector<std::string> shown;
        std::uint32_t id_of(const std::string& key, const std::string& spelling);
        std::uint32_t find(const std::string& key) const;
    };
    struct doc_facets {
        std::uint32_t campaign = k_none;
        std::vector<std::uint32_t> tags;  // distinct
    };

    database& db_;
    mutable std::shared_mutex rebuild_mutex_;
    mutable std::shared_mutex docs_mutex_;
    std::unordered_map<std::string, std::uint32_t> number_of_;    // raw id -> document number
    std::vector<std::shared_ptr<const catalog_doc>> docs_;        // by number; null once removed
    std::map<std::string, posting_list, std::less<>> postings_;  // folded word -> documents
    std::vector<doc_facets> facets_;                              // by number
    interned campaigns_, tags_;
    std::size_t live_ = 0;
};

}  // namespace kho::storage
