#pragma once
// What the catalog needs to know about one asset to search, filter, facet and
// decide visibility without reading its records again: the searchable terms
// of its metadata and the policy facts of its versions. Built from the asset
// and version records (storage keeps one per live asset in memory and the
// terms as postings in RocksDB).
//
// Terms are Vietnamese-folded words: "Áp phích Nghị quyết 71" -> "ap",
// "phich", "nghi", "quyet", "71". Each term carries the fields it occurs in,
// which weight its relevance.

#include "core/asset.hpp"
#include "core/policy.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kho {

// Where a term occurs (a bit set).
enum term_field : std::uint8_t {
    in_title = 1,
    in_tags = 2,
    in_campaign = 4,
    in_description = 8,
    in_kind = 16,  // the kind's names: "poster", "áp phích"
};

struct catalog_version {
    std::uint32_t number = 0;
    version_facts facts;
    unix_ms created_at = 0;
    unix_ms reviewed_at = 0;
};

struct catalog_doc {
    ulid id;
    asset_kind kind = asset_kind::other;
    std::string title;  // as written, for the accent-exact bonus
    std::string campaign;
    std::vector<std::string> tags;
    std::string folded_campaign;            // for filters: "Nghị quyết 71" == "nghi quyet 71"
    std::vector<std::string> folded_tags;   // same order as tags
    asset_facts facts;  // created_by, trashed, versions' facts (in `versions` order)
    std::vector<catalog_version> versions;
    unix_ms created_at = 0;
    unix_ms updated_at = 0;
    std::vector<std::pair<std::string, std::uint8_t>> terms;  // sorted by term, unique
};

catalog_doc make_catalog_doc(const asset& a, const std::vector<asset_version>& versions);

// The folded words of a text, in order of appearance (duplicates kept):
// fold_for_search (ICU: diacritics and đ removed, lower case) split at every
// character that is not [a-z0-9]. Words longer than 64 bytes are cut.
std::vector<std::string> search_words(std::string_view text);

// Relevance weight of a field set: title 8, tags 4, campaign 3, kind 2,
// description 1
// (the best field counts).
int field_weight(std::uint8_t fields) noexcept;

// A filter value compared the way search compares: folded words joined by
// one space ("  Nghị   Quyết-71 " -> "nghi quyet 71").
std::string folded_key(std::string_view text);

// When a version was offered: its approval for an approved (or archived
// after approval) version, else its upload.
unix_ms published_at(const catalog_version& v) noexcept;

}  // namespace kho
