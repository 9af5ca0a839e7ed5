#include "storage/catalog_index.hpp"

#include "storage/key_codec.hpp"
#include "storage/rocks.hpp"

#include <rocksdb/iterator.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <mutex>
#include <unordered_set>

namespace kho::storage {
namespace {

// `catalog` keys: 'w' + folded word + 0x00 + asset id (16 B) -> field bits
// (1 byte). The meta key below marks a complete set of postings.
constexpr std::string_view k_format_key = "catalog.format";
constexpr std::string_view k_format = "1";
constexpr std::size_t k_rebuild_batch = 2000;  // assets per WriteBatch while rebuilding

std::string posting_key(std::string_view word, const ulid& id) {
    std::string k = "w";
    k.append(word);
    k += '\0';
    k.append(id.raw());
    return k;
}

void put_postings(rocksdb::WriteBatch& batch, rocksdb::ColumnFamilyHandle* cf,
                  const catalog_doc& d) {
    for (const auto& [word, fields] : d.terms)
        batch.Put(cf, posting_key(word, d.id), std::string(1, static_cast<char>(fields)));
}

// Relevance of one matched word: exact matches count fully, prefix matches
// 60 %.
int word_score(std::uint8_t fields, bool exact) {
    return field_weight(fields) * (exact ? 10 : 6);
}

struct cursor_pos {
    int score = 0;
    unix_ms published = 0;
    std::string id;  // 26-character text
};

// "<score>.<published ms>.<id>"
std::string encode_cursor(const catalog_hit& h) {
    return std::to_string(h.score) + "." + std::to_string(h.published) + "." +
           h.doc->id.to_string();
}

result<cursor_pos> decode_cursor(std::string_view s) {
    auto bad = make_error(errc::invalid_parameter, "cursor is not one this server gave out");
    auto dot1 = s.find('.');
    if (dot1 == std::string_view::npos) return bad;
    auto dot2 = s.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos) return bad;
    cursor_pos c;
    auto a = s.substr(0, dot1), b = s.substr(dot1 + 1, dot2 - dot1 - 1);
    if (std::from_chars(a.data(), a.data() + a.size(), c.score).ptr != a.data() + a.size() ||
        std::from_chars(b.data(), b.data() + b.size(), c.published).ptr != b.data() + b.size())
        return bad;
    c.id = std::string(s.substr(dot2 + 1));
    if (!ulid::parse(c.id)) return bad;
    return c;
}

// Result order: score, then recency, then id (newest first), all descending.
bool before(const catalog_hit& x, const catalog_hit& y) {
    if (x.score != y.score) return x.score > y.score;
    if (x.published != y.published) return x.published > y.published;
    return x.doc->id.raw() > y.doc->id.raw();
}

bool after_cursor(const catalog_hit& h, const cursor_pos& c, const std::string& cursor_raw_id) {
    if (h.score != c.score) return h.score < c.score;
    if (h.published != c.published) return h.published < c.published;
    return h.doc->id.raw() < cursor_raw_id;
}

bool level_matches(const audience& a, education_level level) {
    return a.levels.empty() || std::find(a.levels.begin(), a.levels.end(), level) != a.levels.end();
}

struct facet_counter {
    std::map<std::string, std::pair<std::string, std::size_t>> by_key;  // folded -> shown, count
    void add(const std::string& key, const std::string& shown) {
        auto& e = by_key[key];
        if (e.second++ == 0) e.first = shown;
    }
    std::vector<facet_count> top(std::size_t n) const {
        std::vector<facet_count> out;
        for (const auto& [k, e] : by_key) out.push_back({e.first, e.second});
        std::stable_sort(out.begin(), out.end(),
                         [](const auto& a, const auto& b) { return a.count > b.count; });
        if (out.size() > n) out.resize(n);
        return out;
    }
};

}  // namespace

catalog_index::catalog_index(database& db) : db_(db) {}

result<std::size_t> catalog_index::load_docs() {
    auto& h = db_.handles();
    std::unordered_map<std::string, std::shared_ptr<const catalog_doc>> docs;
    std::unique_ptr<rocksdb::Iterator> assets(h.db->NewIterator(rocksdb::ReadOptions(), h[cf::assets]));
    std::unique_ptr<rocksdb::Iterator> versions(
        h.db->NewIterator(rocksdb::ReadOptions(), h[cf::versions]));
    versions->SeekToFirst();
    for (assets->SeekToFirst(); assets->Valid(); assets->Next()) {
        auto a = decode_asset_record(assets->value().ToStringView());
        if (!a) return a.error();
        std::vector<asset_version> vs;
        const auto id = assets->key().ToStringView();
        // Both families are in asset id order: walk them side by side.
        while (versions->Valid() && versions->key().ToStringView().substr(0, 16) < id)
            versions->Next();
        for (; versions->Valid() && versions->key().ToStringView().substr(0, 16) == id;
             versions->Next()) {
            auto v = decode_version_record(versions->value().ToStringView());
            if (!v) return v.error();
            vs.push_back(std::move(*v));
        }
        docs.emplace(std::string(id), std::make_shared<const catalog_doc>(make_catalog_doc(*a, vs)));
    }
    if (!assets->status().ok()) return to_error(assets->status(), "read assets");
    if (!versions->status().ok()) return to_error(versions->status(), "read versions");
    std::unique_lock lock(docs_mutex_);
    docs_ = std::move(docs);
    return docs_.size();
}

result<void> catalog_index::write_all_postings() {
    auto& h = db_.handles();
    auto* cfh = h[cf::catalog];
    // Mark the postings incomplete first: a crash in the middle makes the
    // next start rebuild them.
    auto s = h.db->Delete(sync_write(), h[cf::meta], k_format_key);
    if (!s.ok()) return to_error(s, "reset the catalog index");
    {
        rocksdb::WriteBatch clear;
        clear.DeleteRange(cfh, "", std::string(1, '\xff'));
        s = h.db->Write(sync_write(), &clear);
        if (!s.ok()) return to_error(s, "clear the catalog index");
    }
    std::vector<std::shared_ptr<const catalog_doc>> docs;
    {
        std::shared_lock lock(docs_mutex_);
        for (const auto& [id, d] : docs_) docs.push_back(d);
    }
    rocksdb::WriteBatch batch;
    std::size_t in_batch = 0;
    for (const auto& d : docs) {
        put_postings(batch, cfh, *d);
        if (++in_batch == k_rebuild_batch) {
            s = h.db->Write(rocksdb::WriteOptions(), &batch);
            if (!s.ok()) return to_error(s, "write the catalog index");
            batch.Clear();
            in_batch = 0;
        }
    }
    batch.Put(h[cf::meta], k_format_key, k_format);
    s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "write the catalog index");
    return {};
}

result<std::size_t> catalog_index::open() {
    std::unique_lock writers(rebuild_mutex_);
    auto n = load_docs();
    if (!n) return n;
    auto& h = db_.handles();
    std::string format;
    auto s = h.db->Get(rocksdb::ReadOptions(), h[cf::meta], k_format_key, &format);
    if (s.ok() && format == k_format) return n;
    if (!s.ok() && !s.IsNotFound()) return to_error(s, "read the catalog index format");
    if (auto w = write_all_postings(); !w) return w.error();
    return n;
}

result<std::size_t> catalog_index::rebuild() {
    std::unique_lock writers(rebuild_mutex_);
    auto n = load_docs();
    if (!n) return n;
    if (auto w = write_all_postings(); !w) return w.error();
    return n;
}

std::shared_ptr<const catalog_doc> catalog_index::stage(
    rocksdb::WriteBatch& batch, const asset& a, const std::vector<asset_version>& versions) const {
    auto& h = db_.handles();
    auto doc = std::make_shared<const catalog_doc>(make_catalog_doc(a, versions));
    auto old = get(a.id);
    // Terms are sorted: one merge walk finds the removed and changed ones.
    static const std::vector<std::pair<std::string, std::uint8_t>> none;
    const auto& before = old ? old->terms : none;
    auto i = before.begin();
    auto j = doc->terms.begin();
    while (i != before.end() || j != doc->terms.end()) {
        if (j == doc->terms.end() || (i != before.end() && i->first < j->first)) {
            batch.Delete(h[cf::catalog], posting_key(i->first, a.id));
            ++i;
        } else if (i == before.end() || j->first < i->first) {
            batch.Put(h[cf::catalog], posting_key(j->first, a.id),
                      std::string(1, static_cast<char>(j->second)));
            ++j;
        } else {
            if (i->second != j->second)
                batch.Put(h[cf::catalog], posting_key(j->first, a.id),
                          std::string(1, static_cast<char>(j->second)));
            ++i;
            ++j;
        }
    }
    return doc;
}

void catalog_index::stage_remove(rocksdb::WriteBatch& batch, const ulid& id) const {
    auto& h = db_.handles();
    if (auto old = get(id))
        for (const auto& [word, fields] : old->terms) batch.Delete(h[cf::catalog], posting_key(word, id));
}

void catalog_index::publish(std::shared_ptr<const catalog_doc> doc) {
    std::unique_lock lock(docs_mutex_);
    docs_[std::string(doc->id.raw())] = std::move(doc);
}

void catalog_index::unpublish(const ulid& id) {
    std::unique_lock lock(docs_mutex_);
    docs_.erase(std::string(id.raw()));
}

std::shared_ptr<const catalog_doc> catalog_index::get(const ulid& id) const {
    std::shared_lock lock(docs_mutex_);
    auto it = docs_.find(std::string(id.raw()));
    return it == docs_.end() ? nullptr : it->second;
}

std::size_t catalog_index::size() const {
    std::shared_lock lock(docs_mutex_);
    return docs_.size();
}

result<catalog_result> catalog_index::search(const catalog_query& q, const version_chooser& choose,
                                             const std::optional<std::string>& cursor,
                                             std::size_t limit) const {
    std::optional<cursor_pos> after;
    std::string after_raw;
    if (cursor) {
        auto c = decode_cursor(*cursor);
        if (!c) return c.error();
        after_raw = std::string(ulid::parse(c->id)->raw());
        after = std::move(*c);
    }

    // 1. Candidates and their scores from the postings: every word must
    // match (the last one as a prefix too).
    const auto words = search_words(q.text);
    std::unordered_map<std::string, int> scores;  // raw id -> score
    bool all = words.empty();
    if (!all) {
        auto& h = db_.handles();
        for (std::size_t w = 0; w < words.size(); ++w) {
            const bool prefix = w + 1 == words.size();
            std::string start = "w" + words[w];
            if (!prefix) start += '\0';
            std::string upper = prefix_successor(start);
            rocksdb::Slice upper_slice(upper);
            rocksdb::ReadOptions ro;
            ro.iterate_upper_bound = &upper_slice;
            std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(ro, h[cf::catalog]));
            std::unordered_map<std::string, int> matched;
            for (it->Seek(start); it->Valid(); it->Next()) {
                auto key = it->key().ToStringView();
                if (key.size() < 1 + 1 + 16) continue;
                auto id = key.substr(key.size() - 16);
                auto word = key.substr(1, key.size() - 1 - 1 - 16);
                if (w > 0 && !scores.count(std::string(id))) continue;
                auto value = it->value().ToStringView();
                auto fields = value.empty() ? std::uint8_t{0} : static_cast<std::uint8_t>(value[0]);
                int s = word_score(fields, word == words[w]);
                auto& best = matched[std::string(id)];
                best = std::max(best, s);
            }
            if (!it->status().ok()) return to_error(it->status(), "search the catalog");
            if (w == 0) {
                scores = std::move(matched);
            } else {
                for (auto i = scores.begin(); i != scores.end();) {
                    auto m = matched.find(i->first);
                    if (m == matched.end()) {
                        i = scores.erase(i);
                    } else {
                        i->second += m->second;
                        ++i;
                    }
                }
            }
            if (scores.empty()) break;
        }
    }

    std::vector<std::pair<std::shared_ptr<const catalog_doc>, int>> candidates;
    {
        std::shared_lock lock(docs_mutex_);
        if (all) {
            candidates.reserve(docs_.size());
            for (const auto& [id, d] : docs_) candidates.emplace_back(d, 0);
        } else {
            candidates.reserve(scores.size());
            for (const auto& [id, s] : scores)
                if (auto it = docs_.find(id); it != docs_.end()) candidates.emplace_back(it->second, s);
        }
    }

    // 2. Visibility, filters and facets.
    const auto campaign_key = q.campaign ? std::optional(folded_key(*q.campaign)) : std::nullopt;
    const auto tag_key = q.tag ? std::optional(folded_key(*q.tag)) : std::nullopt;
    facet_counter kinds, campaigns, tags;
    std::vector<catalog_hit> hits;
    for (auto& [doc, score] : candidates) {
        if (doc->facts.trashed) continue;
        if (q.created_by && doc->facts.created_by != *q.created_by) continue;
        const catalog_version* v = choose(*doc);
        if (!v) continue;
        const unix_ms published = published_at(*v);
        const bool kind_ok = !q.kind || doc->kind == *q.kind;
        const bool campaign_ok = !campaign_key || doc->folded_campaign == *campaign_key;
        const bool tag_ok = !tag_key || std::find(doc->folded_tags.begin(), doc->folded_tags.end(),
                                                  *tag_key) != doc->folded_tags.end();
        const bool level_ok = !q.level || v->facts.state != version_state::approved ||
                              level_matches(v->facts.audience, *q.level);
        const bool date_ok =
            (!q.from || published >= *q.from) && (!q.until || published < *q.until);
        const bool rest = level_ok && date_ok;
        if (rest && campaign_ok && tag_ok) kinds.add(std::string(to_string(doc->kind)), std::string(to_string(doc->kind)));
        if (rest && kind_ok && tag_ok && !doc->campaign.empty())
            campaigns.add(doc->folded_campaign, doc->campaign);
        if (rest && kind_ok && campaign_ok) {
            std::unordered_set<std::string> seen;
            for (std::size_t i = 0; i < doc->tags.size(); ++i)
                if (seen.insert(doc->folded_tags[i]).second) tags.add(doc->folded_tags[i], doc->tags[i]);
        }
        if (!(rest && kind_ok && campaign_ok && tag_ok)) continue;
        hits.push_back(catalog_hit{doc, v->number, score, published});
    }

    // 3. Order and page.
    catalog_result out;
    out.total = hits.size();
    out.kinds = kinds.top(20);
    out.campaigns = campaigns.top(50);
    out.tags = tags.top(50);
    if (after)
        std::erase_if(hits, [&](const catalog_hit& h) { return !after_cursor(h, *after, after_raw); });
    const bool more = hits.size() > limit;
    const auto take = std::min(limit, hits.size());
    std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(take), hits.end(), before);
    hits.resize(take);
    if (more && !hits.empty()) out.next_cursor = encode_cursor(hits.back());
    out.items = std::move(hits);
    return out;
}

}  // namespace kho::storage
