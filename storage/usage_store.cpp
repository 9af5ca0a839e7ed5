#include "storage/usage_store.hpp"

#include "core/sha256.hpp"
#include "core/text.hpp"
#include "storage/key_codec.hpp"
#include "storage/rocks.hpp"

#include <nlohmann/json.hpp>
#include <rocksdb/iterator.h>

#include <cstdio>
#include <map>

namespace kho::storage {
namespace {

using json = nlohmann::json;

// `usage` keys: 'e' + event id (16 B) -> event JSON; 'o' + SHA-256 of who and
// what (32 B) -> the open download's event id (16 B).
// `usage_counters` keys (values: three int64 LE, see usage_counts):
//   'a' + asset id (26 chars) + day (u32 BE)
//   'u' + unit code + 0x00 + day
//   'x' + asset id (26 chars) + unit code + 0x00 + day
//   'k' + press kit id (26 chars) + day
//   'p' + province + 0x00 + day, 'l' + level + 0x00 + day (the unit's at the
//   time of the download)
//   'y' + province + 0x00 + asset id (26 chars) + day
constexpr unix_ms k_day_ms = 24LL * 3600 * 1000;
constexpr unix_ms k_vietnam_offset_ms = 7LL * 3600 * 1000;

std::string event_key(const ulid& id) {
    std::string k = "e";
    k.append(id.raw());
    return k;
}

std::string open_key(const download_subject& s) {
    std::string who = s.link.empty() ? "u:" + s.user : "l:" + s.link;
    std::string what = who + '\0' + s.asset + '\0' + std::to_string(s.version) + '\0' + s.file +
                       '\0' + s.kit + '\0' + s.etag;
    auto digest = sha256::hex_of(what);
    return "o" + digest;
}

void append_day(std::string& k, std::int32_t day) { append_u32_be(k, static_cast<std::uint32_t>(day)); }

std::string encode_counts(const usage_counts& c) {
    return encode_counters({c.downloads, c.complete, c.bytes});
}

usage_counts decode_counts(std::string_view v) {
    auto n = decode_counters(v);
    n.resize(3, 0);
    return usage_counts{n[0], n[1], n[2]};
}

// A JSON string, escaped as RFC 8259 requires. The fields are UTF-8 that
// came in through validated JSON or are kho's own (ids, codes, ETags); a
// field that is not would make the record unreadable (nlohmann refuses
// ill-formed UTF-8), so its bad sequences become U+FFFD.
void append_json_string(std::string& out, std::string_view raw) {
    std::string repaired;
    if (!is_valid_utf8(raw)) repaired = to_valid_utf8(raw);
    const std::string_view s = repaired.empty() ? raw : std::string_view(repaired);
    out += '"';
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += ch;
        }
    }
    out += '"';
}

// The event's record: JSON, written by hand (the writer makes one per
// download, and building an nlohmann::json object for it was most of the
// writer's time). from_record() reads it.
std::string to_record(const download_event& e) {
    const auto& s = e.subject;
    std::string out;
    out.reserve(384);
    auto field = [&](const char* name) {
        out += out.empty() ? "{\"" : ",\"";
        out += name;
        out += "\":";
    };
    auto text = [&](const char* name, std::string_view v) {
        field(name);
        append_json_string(out, v);
    };
    auto number = [&](const char* name, auto v) {
        field(name);
        out += std::to_string(v);
    };
    text("asset", s.asset);
    number("version", s.version);
    text("file", s.file);
    text("kit", s.kit);
    text("unit", s.unit);
    text("province", s.province);
    text("level", s.level);
    text("user", s.user);
    text("link", s.link);
    text("etag", s.etag);
    number("size", s.size);
    number("bytes_sent", e.bytes_sent);
    field("complete");
    out += e.complete ? "true" : "false";
    number("requests", e.requests);
    number("started_at", e.started_at);
    number("last_at", e.last_at);
    out += '}';
    return out;
}

result<download_event> from_record(const ulid& id, std::string_view bytes) {
    auto j = json::parse(bytes, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return make_error(errc::internal, "corrupt download event");
    try {
        download_event e;
        e.id = id;
        auto& s = e.subject;
        s.asset = j.at("asset").get<std::string>();
        s.version = j.at("version").get<std::uint32_t>();
        s.file = j.at("file").get<std::string>();
        s.kit = j.at("kit").get<std::string>();
        s.unit = j.at("unit").get<std::string>();
        s.province = j.at("province").get<std::string>();
        s.level = j.at("level").get<std::string>();
        s.user = j.at("user").get<std::string>();
        s.link = j.at("link").get<std::string>();
        s.etag = j.at("etag").get<std::string>();
        s.size = j.at("size").get<std::uint64_t>();
        e.bytes_sent = j.at("bytes_sent").get<std::uint64_t>();
        e.complete = j.at("complete").get<bool>();
        e.requests = j.at("requests").get<std::uint32_t>();
        e.started_at = j.at("started_at").get<unix_ms>();
        e.last_at = j.at("last_at").get<unix_ms>();
        return e;
    } catch (const json::exception&) {
        return make_error(errc::internal, "corrupt download event");
    }
}

ulid first_id_at(unix_ms t) {
    ulid id;
    auto u = static_cast<std::uint64_t>(std::max<unix_ms>(t, 0));
    for (int i = 0; i < 6; ++i) id.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(u >> (8 * (5 - i)));
    return id;
}

}  // namespace

std::int32_t vietnam_day(unix_ms t) noexcept {
    auto local = t + k_vietnam_offset_ms;
    auto d = local / k_day_ms;
    if (local < 0 && local % k_day_ms != 0) --d;
    return static_cast<std::int32_t>(d);
}

unix_ms vietnam_day_start(std::int32_t day) noexcept {
    return static_cast<unix_ms>(day) * k_day_ms - k_vietnam_offset_ms;
}

std::string format_day(std::int32_t day) {
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    int z = day + 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int y = static_cast<int>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) ++y;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, m, d);
    return buf;
}

namespace {

// Counter keys of one event, each with the event's delta.
void add_counters(std::map<std::string, usage_counts>& deltas, const download_event& e,
                  const usage_counts& delta) {
    const auto day = vietnam_day(e.started_at);
    const auto& subj = e.subject;
    auto add = [&](std::string k) {
        append_day(k, day);
        deltas[std::move(k)] += delta;
    };
    if (!subj.kit.empty() && subj.asset.empty()) {
        add("k" + subj.kit);
        return;
    }
    add("a" + subj.asset);
    add("u" + subj.unit + '\0');
    add("x" + subj.asset + subj.unit + '\0');
    add("p" + subj.province + '\0');
    add("l" + subj.level + '\0');
    add("y" + subj.province + '\0' + subj.asset);
}

}  // namespace

usage_store::usage_store(database& db, kho::clock clk, std::chrono::hours resume_window,
                         std::chrono::milliseconds flush_interval)
    : db_(db),
      clock_(std::move(clk)),
      resume_window_ms_(std::chrono::duration_cast<std::chrono::milliseconds>(resume_window).count()),
      flush_interval_(flush_interval),
      writer_([this] { write_loop(); }) {}

usage_store::~usage_store() {
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
    }
    wake_.notify_one();
    writer_.join();
}

void usage_store::record(const download_subject& s, std::uint64_t first_byte,
                         std::uint64_t bytes_sent, bool reached_end) {
    queued_response p{s, first_byte, bytes_sent, reached_end, clock_.now()};
    std::size_t queued = 0;
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= max_queued || writer_done_) {
            lost_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        queue_.push_back(std::move(p));
        ++queued_seq_;
        queued = queue_.size();
    }
    if (queued == batch_size) wake_.notify_one();
}

void usage_store::flush() const {
    std::unique_lock lock(mutex_);
    const std::uint64_t target = queued_seq_;
    if (written_seq_ >= target) return;
    flush_requested_ = true;
    wake_.notify_one();
    written_.wait(lock, [&] { return written_seq_ >= target || writer_done_; });
}

void usage_store::write_loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait_for(lock, flush_interval_, [&] {
            return closing_ || flush_requested_ || queue_.size() >= batch_size;
        });
        flush_requested_ = false;
        if (queue_.empty()) {
            if (closing_) {
                writer_done_ = true;
                written_.notify_all();
                return;
            }
            continue;
        }
        std::vector<queued_response> batch;
        batch.swap(queue_);
        const std::uint64_t seq = queued_seq_;
        lock.unlock();
        try {
            write(batch);
        } catch (const std::exception&) {  // memory: the round is lost, the writer goes on
            lost_.fetch_add(batch.size(), std::memory_order_relaxed);
        }
        lock.lock();
        written_seq_ = seq;
        written_.notify_all();
    }
}

// Applies the queued responses in order, as one WriteBatch: events touched
// are written once in their last state, and each counter key is merged once
// with the sum of its deltas.
void usage_store::write(const std::vector<queued_response>& batch) {
    auto& h = db_.handles();
    std::map<std::string, download_event> events;     // event key -> last state
    std::map<std::string, std::string> opened;        // open key -> event key (new downloads)
    std::map<std::string, usage_counts> deltas;       // counter key -> sum

    for (const auto& p : batch) {
        const auto& s = p.subject;
        const auto okey = open_key(s);
        download_event* open = nullptr;
        if (p.first_byte > 0) {
            // The open download: one this batch started, or one stored.
            std::string ekey;
            if (auto o = opened.find(okey); o != opened.end()) {
                ekey = o->second;
            } else if (std::string id_raw;
                       h.db->Get(rocksdb::ReadOptions(), h[cf::usage], okey, &id_raw).ok()) {
                if (auto id = ulid::from_raw(id_raw)) ekey = event_key(*id);
            }
            if (!ekey.empty()) {
                auto it = events.find(ekey);
                if (it == events.end()) {
                    std::string record;
                    if (h.db->Get(rocksdb::ReadOptions(), h[cf::usage], ekey, &record).ok())
                        if (auto e = from_record(*ulid::from_raw(ekey.substr(1)), record))
                            it = events.emplace(ekey, std::move(*e)).first;
                }
                if (it != events.end() && p.at - it->second.started_at <= resume_window_ms_)
                    open = &it->second;
            }
        }

        usage_counts delta;
        if (open != nullptr) {
            auto& e = *open;
            e.bytes_sent += p.bytes_sent;
            e.requests += 1;
            e.last_at = p.at;
            delta.bytes = static_cast<std::int64_t>(p.bytes_sent);
            if (!e.complete && p.reached_end && e.bytes_sent >= s.size) {
                e.complete = true;
                delta.complete = 1;
            }
            add_counters(deltas, e, delta);
            continue;
        }
        download_event e;
        e.id = ids_.next(std::chrono::system_clock::time_point(std::chrono::milliseconds(p.at)));
        e.subject = s;
        e.bytes_sent = p.bytes_sent;
        e.requests = 1;
        e.started_at = e.last_at = p.at;
        e.complete = p.reached_end && p.first_byte == 0 && p.bytes_sent >= s.size;
        delta = usage_counts{1, e.complete ? 1 : 0, static_cast<std::int64_t>(p.bytes_sent)};
        add_counters(deltas, e, delta);
        auto ekey = event_key(e.id);
        opened[okey] = ekey;
        events.insert_or_assign(std::move(ekey), std::move(e));
    }

    rocksdb::WriteBatch wb;
    for (const auto& [key, e] : events) wb.Put(h[cf::usage], key, to_record(e));
    for (const auto& [okey, ekey] : opened)
        wb.Put(h[cf::usage], okey, ekey.substr(1));
    for (const auto& [key, delta] : deltas)
        wb.Merge(h[cf::usage_counters], key, encode_counts(delta));
    // Statistics: no fsync (see the header). A refused write (a full disk)
    // loses this batch's events, which is counted.
    if (!h.db->Write(rocksdb::WriteOptions(), &wb).ok())
        lost_.fetch_add(batch.size(), std::memory_order_relaxed);
}

result<std::vector<counter_row>> usage_store::counters(char by, std::int32_t from_day,
                                                       std::int32_t to_day,
                                                       const std::string& only) const {
    flush();
    auto& h = db_.handles();
    std::string prefix(1, by);
    prefix += only;
    auto upper = prefix_successor(prefix);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(ro, h[cf::usage_counters]));
    std::vector<counter_row> rows;
    for (it->Seek(prefix); it->Valid(); it->Next()) {
        auto k = it->key().ToStringView();
        if (k.size() < 1 + 4) continue;
        counter_row row;
        row.day = static_cast<std::int32_t>(read_u32_be(k.substr(k.size() - 4)));
        if (row.day < from_day || row.day > to_day) continue;
        auto body = k.substr(1, k.size() - 1 - 4);
        switch (by) {
            case 'a':
            case 'k':
                row.key = std::string(body);
                break;
            case 'u':
            case 'p':
            case 'l':
                if (body.empty() || body.back() != '\0') continue;
                row.key = std::string(body.substr(0, body.size() - 1));
                break;
            case 'y': {
                auto zero = body.find('\0');
                if (zero == std::string_view::npos || body.size() != zero + 1 + 26) continue;
                row.unit = std::string(body.substr(0, zero));  // the province
                row.key = std::string(body.substr(zero + 1));
                break;
            }
            case 'x':
                if (body.size() < 27 || body.back() != '\0') continue;
                row.key = std::string(body.substr(0, 26));
                row.unit = std::string(body.substr(26, body.size() - 27));
                break;
            default:
                return make_error(errc::internal, "unknown usage counter family");
        }
        row.counts = decode_counts(it->value().ToStringView());
        rows.push_back(std::move(row));
    }
    if (!it->status().ok()) return to_error(it->status(), "read usage counters");
    return rows;
}

result<event_page> usage_store::events(unix_ms from, unix_ms until,
                                       const std::optional<std::string>& cursor,
                                       std::size_t limit) const {
    flush();
    auto& h = db_.handles();
    std::string start = event_key(first_id_at(from));
    if (cursor) {
        auto id = ulid::parse(*cursor);
        if (!id) return make_error(errc::invalid_parameter, "cursor is not one this server gave out");
        start = event_key(*id);
        start += '\0';  // just after it
    }
    const std::string upper = event_key(first_id_at(until));
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(h.db->NewIterator(ro, h[cf::usage]));
    event_page page;
    for (it->Seek(start); it->Valid(); it->Next()) {
        auto k = it->key().ToStringView();
        if (k.size() != 17 || k[0] != 'e') continue;
        if (page.items.size() == limit) {
            page.next_cursor = page.items.back().id.to_string();
            break;
        }
        auto id = ulid::from_raw(k.substr(1));
        if (!id) continue;
        auto e = from_record(*id, it->value().ToStringView());
        if (!e) return e.error();
        page.items.push_back(std::move(*e));
    }
    if (!it->status().ok()) return to_error(it->status(), "read download events");
    return page;
}

}  // namespace kho::storage
