#include "storage/comment_store.hpp"

#include "core/text.hpp"
#include "storage/audit_log.hpp"
#include "storage/key_codec.hpp"
#include "storage/rocks.hpp"

#include <nlohmann/json.hpp>
#include <rocksdb/iterator.h>

namespace kho::storage {
namespace {

std::string thread_prefix(const ulid& asset, std::uint32_t version) {
    std::string k(asset.raw());
    append_u32_be(k, version);
    return k;
}

}  // namespace

nlohmann::json to_api_json(const comment& c) {
    return nlohmann::json{
        {"id", c.id}, {"author", c.author}, {"text", c.text}, {"at", format_rfc3339(c.at)}};
}

comment_store::comment_store(database& db, audit_log& audit, kho::clock clk)
    : db_(db), audit_(audit), clock_(std::move(clk)) {}

result<std::vector<comment>> comment_store::list(const ulid& asset, std::uint32_t version,
                                                 std::size_t limit) const {
    auto& h = db_.handles();
    auto prefix = thread_prefix(asset, version);
    std::vector<comment> out;
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(rocksdb::ReadOptions(), h[cf::comments]));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix) && out.size() < limit;
         it->Next()) {
        auto j = nlohmann::json::parse(it->value().ToStringView(), nullptr, false);
        if (j.is_discarded() || !j.is_object()) return make_error(errc::internal, "corrupt comment");
        comment c;
        auto id = ulid::from_raw(it->key().ToStringView().substr(prefix.size()));
        if (!id) return id.error();
        c.id = id->to_string();
        c.author = j.value("author", "");
        c.text = j.value("text", "");
        c.at = j.value("at", unix_ms{0});
        out.push_back(std::move(c));
    }
    if (!it->status().ok()) return to_error(it->status(), "list comments");
    return out;
}

result<comment> comment_store::add(const ulid& asset, std::uint32_t version, std::string text,
                                   const audit_context& who) {
    while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\r' ||
                             text.back() == '\t'))
        text.pop_back();
    while (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.front() == '\r' ||
                             text.front() == '\t'))
        text.erase(text.begin());
    if (text.empty() || text.size() > 10000)
        return make_error(errc::invalid_parameter, "a comment is 1 to 10000 bytes of text");
    if (!is_valid_utf8(text))
        return make_error(errc::invalid_parameter, "the comment is not valid UTF-8");
    for (unsigned char ch : text)
        if ((ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t') || ch == 0x7f)
            return make_error(errc::invalid_parameter, "the comment contains a control character");
    auto now = clock_.now();
    auto id = ids_.next(std::chrono::system_clock::time_point(std::chrono::milliseconds(now)));
    comment c{id.to_string(), who.actor, std::move(text), now};
    auto& h = db_.handles();
    rocksdb::WriteBatch batch;
    auto key = thread_prefix(asset, version);
    key.append(id.raw());
    batch.Put(h[cf::comments], key,
              nlohmann::json{{"author", c.author}, {"text", c.text}, {"at", c.at}}.dump());
    audit_entry e;
    e.actor = who.actor;
    e.client_address = who.client_address;
    e.action = "comment.added";
    e.target = "asset:" + asset.to_string() + "/v" + std::to_string(version);
    e.comment = c.text;
    audit_.append(batch, e);
    auto s = h.db->Write(sync_write(), &batch);
    if (!s.ok()) return to_error(s, "store comment");
    return c;
}

void comment_store::remove_all(const ulid& asset) {
    auto& h = db_.handles();
    std::string from(asset.raw());
    auto to = prefix_successor(from);
    (void)h.db->DeleteRange(sync_write(), h[cf::comments], from, to);
}

}  // namespace kho::storage
