#include "storage/catalog_index.hpp"

#include "storage/key_codec.hpp"
#include "storage/rocks.hpp"

#include <rocksdb/iterator.h>

#include <algorithm>
#include <array>
#include <cmath>
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
    if (a.empty() || b.empty()) return bad;
    if (std::from_chars(a.data(), a.data() + a.size(), c.score).ptr != a.data() + a.size() ||
        std::from_chars(b.data(), b.data() + b.size(), c.published).ptr != b.data() + b.size())
        return bad;
    c.id = std::string(s.substr(dot2 + 1));
    if (!ulid::parse(c.id)) return bad;
    return c;
}

bool level_matches(const audience& a, education_level level) {
    return a.levels.empty() || std::find(a.levels.begin(), a.levels.end(), level) != a.levels.end();
}

}  // namespace

catalog_index::catalog_index(database& db) : db_(db) {}

result<std::size_t> catalog_index::load_docs() {
    auto& h = db_.handles();
    std::vector<std::shared_ptr<const catalog_doc>> docs;
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
        docs.push_back(std::make_shared<const catalog_doc>(make_catalog_doc(*a, vs)));
    }
    if (!assets->status().ok()) return to_error(assets->status(), "read assets");
    if (!versions->status().ok()) return to_error(versions->status(), "read versions");
    std::unique_lock lock(docs_mutex_);
    number_of_.clear();
    postings_.clear();
    facets_.clear();
    docs_ = std::move(docs);
    live_ = docs_.size();
    for (std::uint32_t n = 0; n < docs_.size(); ++n) {
        number_of_.emplace(std::string(docs_[n]->id.raw()), n);
        add_postings(n, *docs_[n]);  // numbers rise: every list stays sorted
    }
    return live_;
}

std::uint32_t catalog_index::interned::id_of(const std::string& key, const std::string& spelling) {
    auto [it, fresh] = ids.try_emplace(key, static_cast<std::uint32_t>(shown.size()));
    if (fresh) shown.push_back(spelling);
    return it->second;
}

std::uint32_t catalog_index::interned::find(const std::string& key) const {
    auto it = ids.find(key);
    return it == ids.end() ? k_none : it->second;
}

void catalog_index::set_facets(std::uint32_t n, const catalog_doc& d) {
    if (facets_.size() <= n) facets_.resize(n + 1);
    doc_facets f;
    if (!d.campaign.empty()) f.campaign = campaigns_.id_of(d.folded_campaign, d.campaign);
    for (std::size_t i = 0; i < d.tags.size(); ++i) {
        auto id = tags_.id_of(d.folded_tags[i], d.tags[i]);
        if (std::find(f.tags.begin(), f.tags.end(), id) == f.tags.end()) f.tags.push_back(id);
    }
    facets_[n] = std::move(f);
}

void catalog_index::add_postings(std::uint32_t n, const catalog_doc& d) {
    set_facets(n, d);
    for (const auto& [word, fields] : d.terms) {
        auto& list = postings_[word];
        auto at = std::lower_bound(list.begin(), list.end(), n,
                                   [](const posting& p, std::uint32_t v) { return p.doc < v; });
        if (at != list.end() && at->doc == n)
            at->fields = fields;
        else
            list.insert(at, posting{n, fields});
    }
}

void catalog_index::remove_postings(std::uint32_t n, const catalog_doc& d) {
    for (const auto& [word, fields] : d.terms) {
        auto it = postings_.find(word);
        if (it == postings_.end()) continue;
        auto& list = it->second;
        auto at = std::lower_bound(list.begin(), list.end(), n,
                                   [](const posting& p, std::uint32_t v) { return p.doc < v; });
        if (at != list.end() && at->doc == n) list.erase(at);
        if (list.empty()) postings_.erase(it);
    }
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
        for (const auto& d : docs_)
            if (d) docs.push_back(d);
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
    auto [it, fresh] = number_of_.try_emplace(std::string(doc->id.raw()),
                                              static_cast<std::uint32_t>(docs_.size()));
    const auto n = it->second;
    if (fresh) {
        docs_.push_back(nullptr);
        ++live_;
    } else if (docs_[n]) {
        remove_postings(n, *docs_[n]);
    }
    add_postings(n, *doc);
    docs_[n] = std::move(doc);
}

void catalog_index::unpublish(const ulid& id) {
    std::unique_lock lock(docs_mutex_);
    auto it = number_of_.find(std::string(id.raw()));
    if (it == number_of_.end()) return;
    if (auto& d = docs_[it->second]) {
        remove_postings(it->second, *d);
        d.reset();
        --live_;
    }
    number_of_.erase(it);
}

std::shared_ptr<const catalog_doc> catalog_index::get(const ulid& id) const {
    std::shared_lock lock(docs_mutex_);
    auto it = number_of_.find(std::string(id.raw()));
    return it == number_of_.end() ? nullptr : docs_[it->second];
}

std::size_t catalog_index::size() const {
    std::shared_lock lock(docs_mutex_);
    return live_;
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

    // 1. Candidates and their scores: every word must match (the last one
    // as a prefix too). The rarest word gives the candidates; each other
    // word keeps those it also matches, by binary search in its lists when
    // the candidates are few, else by one pass over them.
    std::shared_lock lock(docs_mutex_);
    const auto total_docs = static_cast<std::uint32_t>(docs_.size());
    const auto words = search_words(q.text);
    struct word_match {
        std::string word;
        bool prefix = false;
        std::vector<std::pair<const std::string*, const posting_list*>> lists;  // term, documents
        std::size_t postings = 0;
    };
    std::vector<word_match> matches;
    for (std::size_t w = 0; w < words.size(); ++w) {
        word_match m;
        m.word = words[w];
        m.prefix = w + 1 == words.size();
        if (m.prefix) {
            for (auto it = postings_.lower_bound(m.word);
                 it != postings_.end() && std::string_view(it->first).starts_with(m.word); ++it)
                m.lists.emplace_back(&it->first, &it->second);
        } else if (auto it = postings_.find(m.word); it != postings_.end()) {
            m.lists.emplace_back(&it->first, &it->second);
        }
        for (const auto& l : m.lists) m.postings += l.second->size();
        matches.push_back(std::move(m));
    }
    std::sort(matches.begin(), matches.end(),
              [](const auto& a, const auto& b) { return a.postings < b.postings; });

    std::vector<std::pair<std::uint32_t, int>> scored;  // (document, score), by document
    const bool all = words.empty();
    if (all) {
        scored.reserve(live_);
        for (std::uint32_t n = 0; n < total_docs; ++n)
            if (docs_[n]) scored.emplace_back(n, 0);
    } else if (matches.front().postings > 0) {
        std::vector<int> gain(total_docs, 0);
        const auto& first = matches.front();
        std::vector<std::uint32_t> touched;
        for (const auto& [term, list] : first.lists)
            for (const auto& p : *list) {
                int g = word_score(p.fields, *term == first.word);
                if (gain[p.doc] == 0) touched.push_back(p.doc);
                gain[p.doc] = std::max(gain[p.doc], g);
            }
        std::sort(touched.begin(), touched.end());
        scored.reserve(touched.size());
        for (auto n : touched) scored.emplace_back(n, gain[n]);
        for (std::size_t w = 1; w < matches.size() && !scored.empty(); ++w) {
            const auto& m = matches[w];
            std::vector<int> best(scored.size(), 0);
            const double candidates = static_cast<double>(scored.size());
            for (const auto& [term, list] : m.lists) {
                const bool exact = *term == m.word;
                const double size = static_cast<double>(list->size());
                if (size * std::log2(candidates + 2) < candidates) {
                    // A short list (one of a prefix's many words): look each
                    // of its documents up among the candidates.
                    for (const auto& p : *list) {
                        auto at = std::lower_bound(
                            scored.begin(), scored.end(), p.doc,
                            [](const auto& c, std::uint32_t v) { return c.first < v; });
                        if (at != scored.end() && at->first == p.doc) {
                            auto& b = best[static_cast<std::size_t>(at - scored.begin())];
                            b = std::max(b, word_score(p.fields, exact));
                        }
                    }
                } else if (candidates * std::log2(size + 2) < size) {
                    for (std::size_t i = 0; i < scored.size(); ++i) {
                        auto at = std::lower_bound(
                            list->begin(), list->end(), scored[i].first,
                            [](const posting& p, std::uint32_t v) { return p.doc < v; });
                        if (at != list->end() && at->doc == scored[i].first)
                            best[i] = std::max(best[i], word_score(at->fields, exact));
                    }
                } else {
                    // Both sorted by document: one merge pass.
                    std::size_t i = 0;
                    for (const auto& p : *list) {
                        while (i < scored.size() && scored[i].first < p.doc) ++i;
                        if (i == scored.size()) break;
                        if (scored[i].first == p.doc) best[i] = std::max(best[i], word_score(p.fields, exact));
                    }
                }
            }
            std::size_t kept = 0;
            for (std::size_t i = 0; i < scored.size(); ++i)
                if (best[i] > 0) scored[kept++] = {scored[i].first, scored[i].second + best[i]};
            scored.resize(kept);
        }
    }

    // 2. Visibility, filters and facets.
    const auto campaign_id = q.campaign ? campaigns_.find(folded_key(*q.campaign)) : k_none;
    const auto tag_id = q.tag ? tags_.find(folded_key(*q.tag)) : k_none;
    std::array<std::size_t, 6> kind_counts{};
    std::vector<std::size_t> campaign_counts(campaigns_.shown.size(), 0);
    std::vector<std::size_t> tag_counts(tags_.shown.size(), 0);
    struct raw_hit {
        std::uint32_t doc;
        std::uint32_t version;
        int score;
        unix_ms published;
    };
    std::vector<raw_hit> hits;
    for (const auto& [n, score] : scored) {
        const catalog_doc* doc = docs_[n].get();
        if (!doc || doc->facts.trashed) continue;
        if (q.created_by && doc->facts.created_by != *q.created_by) continue;
        const catalog_version* v = choose(*doc);
        if (!v) continue;
        const auto& f = facets_[n];
        const unix_ms published = published_at(*v);
        const bool kind_ok = !q.kind || doc->kind == *q.kind;
        const bool campaign_ok = !q.campaign || (campaign_id != k_none && f.campaign == campaign_id);
        const bool tag_ok = !q.tag || (tag_id != k_none && std::find(f.tags.begin(), f.tags.end(),
                                                                     tag_id) != f.tags.end());
        const bool level_ok = !q.level || v->facts.state != version_state::approved ||
                              level_matches(v->facts.audience, *q.level);
        const bool date_ok =
            (!q.from || published >= *q.from) && (!q.until || published < *q.until);
        const bool rest = level_ok && date_ok;
        if (rest && campaign_ok && tag_ok) ++kind_counts[static_cast<std::size_t>(doc->kind)];
        if (rest && kind_ok && tag_ok && f.campaign != k_none) ++campaign_counts[f.campaign];
        if (rest && kind_ok && campaign_ok)
            for (auto t : f.tags) ++tag_counts[t];
        if (!(rest && kind_ok && campaign_ok && tag_ok)) continue;
        hits.push_back(raw_hit{n, v->number, score, published});
    }
    auto top = [](const std::vector<std::size_t>& counts, const std::vector<std::string>& names,
                  std::size_t n) {
        std::vector<facet_count> out;
        for (std::size_t i = 0; i < counts.size(); ++i)
            if (counts[i]) out.push_back({names[i], counts[i]});
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
            return a.count != b.count ? a.count > b.count : a.value < b.value;
        });
        if (out.size() > n) out.resize(n);
        return out;
    };

    // 3. Order and page.
    catalog_result out;
    out.total = hits.size();
    for (std::size_t k = 0; k < kind_counts.size(); ++k)
        if (kind_counts[k]) {
            auto name = std::string(to_string(static_cast<asset_kind>(k)));
            out.kinds.push_back({name, kind_counts[k]});
        }
    std::sort(out.kinds.begin(), out.kinds.end(),
              [](const auto& a, const auto& b) { return a.count > b.count; });
    out.campaigns = top(campaign_counts, campaigns_.shown, 50);
    out.tags = top(tag_counts, tags_.shown, 50);
    auto id_of = [&](const raw_hit& h) { return docs_[h.doc]->id.raw(); };
    auto before_raw = [&](const raw_hit& x, const raw_hit& y) {
        if (x.score != y.score) return x.score > y.score;
        if (x.published != y.published) return x.published > y.published;
        return id_of(x) > id_of(y);
    };
    if (after)
        std::erase_if(hits, [&](const raw_hit& h) {
            if (h.score != after->score) return h.score > after->score;
            if (h.published != after->published) return h.published > after->published;
            return id_of(h) >= std::string_view(after_raw);
        });
    const bool more = hits.size() > limit;
    const auto take = std::min(limit, hits.size());
    std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(take), hits.end(),
                      before_raw);
    hits.resize(take);
    for (const auto& h : hits) out.items.push_back(catalog_hit{docs_[h.doc], h.version, h.score, h.published});
    if (more && !out.items.empty()) out.next_cursor = encode_cursor(out.items.back());
    return out;
}

}  // namespace kho::storage
