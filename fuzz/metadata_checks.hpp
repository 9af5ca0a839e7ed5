#pragma once
// The promise of kho::validate (core/asset.hpp) on asset metadata that it
// accepted, shared by the targets that reach it from tus headers and from
// JSON bodies.

#include "core/asset.hpp"
#include "fuzz/fuzz_support.hpp"

#include <set>

namespace kho::fuzz {

inline void check_validated_metadata(const asset_metadata& m) {
    const metadata_limits limits;
    KHO_FUZZ_CHECK(!m.title.empty() && m.title.size() <= limits.max_title_bytes);
    KHO_FUZZ_CHECK(m.description.size() <= limits.max_description_bytes);
    KHO_FUZZ_CHECK(m.campaign.size() <= limits.max_campaign_bytes);
    KHO_FUZZ_CHECK(m.tags.size() <= limits.max_tags);
    for (const auto* s : {&m.title, &m.campaign, &m.language})
        KHO_FUZZ_CHECK(is_valid_utf8(*s) && !has_ascii_control(*s));
    KHO_FUZZ_CHECK(is_valid_utf8(m.description));
    KHO_FUZZ_CHECK(!m.language.empty());
    std::set<std::string> tags;
    for (const auto& t : m.tags) {
        KHO_FUZZ_CHECK(!t.empty() && t.size() <= limits.max_tag_bytes);
        KHO_FUZZ_CHECK(is_valid_utf8(t) && !has_ascii_control(t));
        KHO_FUZZ_CHECK(tags.insert(t).second);
    }
    // Cleaning is idempotent: what validate returned, it accepts unchanged.
    auto again = validate(m);
    KHO_FUZZ_CHECK(again && again->title == m.title && again->tags == m.tags &&
                   again->description == m.description && again->kind == m.kind &&
                   again->campaign == m.campaign && again->language == m.language);
}

}  // namespace kho::fuzz
