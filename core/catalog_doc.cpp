#include "core/catalog_doc.hpp"

#include "core/text.hpp"

#include <algorithm>
#include <map>

namespace kho {

std::vector<std::string> search_words(std::string_view text) {
    constexpr std::size_t k_max_word = 64;
    std::vector<std::string> words;
    std::string word;
    auto flush = [&] {
        if (!word.empty()) words.push_back(std::move(word));
        word.clear();
    };
    for (char c : fold_for_search(text)) {
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (word.size() < k_max_word) word += c;
        } else {
            flush();
        }
    }
    flush();
    return words;
}

int field_weight(std::uint8_t fields) noexcept {
    if (fields & in_title) return 8;
    if (fields & in_tags) return 4;
    if (fields & in_campaign) return 3;
    if (fields & in_kind) return 2;
    if (fields & in_description) return 1;
    return 0;
}

std::string folded_key(std::string_view text) {
    std::string key;
    for (const auto& w : search_words(text)) {
        if (!key.empty()) key += ' ';
        key += w;
    }
    return key;
}

unix_ms published_at(const catalog_version& v) noexcept {
    return v.reviewed_at && (v.facts.state == version_state::approved ||
                             v.facts.state == version_state::archived)
               ? v.reviewed_at
               : v.created_at;
}

namespace {

// What people call each kind, in English and Vietnamese.
std::string_view kind_names(asset_kind k) noexcept {
    switch (k) {
        case asset_kind::poster: return "poster áp phích";
        case asset_kind::infographic: return "infographic đồ họa thông tin";
        case asset_kind::video: return "video";
        case asset_kind::podcast: return "podcast";
        case asset_kind::document: return "document tài liệu";
        case asset_kind::other: return "other";
    }
    return "";
}

}  // namespace

catalog_doc make_catalog_doc(const asset& a, const std::vector<asset_version>& versions) {
    catalog_doc d;
    d.id = a.id;
    d.kind = a.meta.kind;
    d.title = a.meta.title;
    d.campaign = a.meta.campaign;
    d.tags = a.meta.tags;
    d.folded_campaign = folded_key(a.meta.campaign);
    for (const auto& t : a.meta.tags) d.folded_tags.push_back(folded_key(t));
    d.created_at = a.created_at;
    d.updated_at = a.updated_at;
    d.facts.created_by = a.created_by;
    d.facts.trashed = a.deleted_at.has_value();
    for (const auto& v : versions) {
        version_facts f{v.state, v.uploaded_by, v.audience, v.window};
        d.facts.versions.push_back(f);
        d.versions.push_back(catalog_version{v.number, std::move(f), v.created_at, v.reviewed_at});
    }
    std::map<std::string, std::uint8_t> terms;
    auto add = [&](std::string_view text, term_field field) {
        for (auto& w : search_words(text)) terms[std::move(w)] |= field;
    };
    add(a.meta.title, in_title);
    for (const auto& t : a.meta.tags) add(t, in_tags);
    add(a.meta.campaign, in_campaign);
    add(a.meta.description, in_description);
    add(kind_names(a.meta.kind), in_kind);
    d.terms.assign(terms.begin(), terms.end());
    return d;
}

}  // namespace kho
