#pragma once
// Download usage: every download is an event (what, who, which unit, bytes
// sent, complete or not, when), and counters per (asset, day), (unit, day),
// (asset, unit, day) and (press kit, day) are kept with the merge operator
// in the event's own WriteBatch, so reports read counters, not events, and
// the two always agree.
//
// One download, many requests: a response that starts at byte 0 starts a
// download; one that starts later (a resumed download, a video player's
// seek) continues the same person's open download of the same file, if it
// started within `resume_window`, and only adds bytes. So a ZIP resumed
// five times counts once.
//
// Events are written without fsync (usage is statistics: a power failure
// may lose the last second of them, never a counter without its event).
//
// Days are Vietnam days (UTC+7), as the ministry's reports count them.

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ulid.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace kho::storage {

class database;

// What was downloaded, by whom.
struct download_subject {
    std::string asset = {};       // asset id (ULID text); empty for a press kit
    std::uint32_t version = 0;
    std::string file = {};        // "original", a rendition name, or "zip"
    std::string kit = {};         // press kit id when the file is a kit's ZIP
    std::string unit = {};        // the downloader's unit code; empty for none (press, links)
    std::string province = {};    // the unit's, at the time
    std::string level = {};       // the unit's education level, at the time
    std::string user = {};        // user id; empty for a share link
    std::string link = {};        // share link id when downloaded through one
    std::string etag = {};        // the representation (a resumed download asks for the same)
    std::uint64_t size = 0;  // bytes of the whole representation
};

struct download_event {
    ulid id;  // time-ordered: its start
    download_subject subject;
    std::uint64_t bytes_sent = 0;
    bool complete = false;
    std::uint32_t requests = 0;
    unix_ms started_at = 0;
    unix_ms last_at = 0;
};

// Counter values: downloads started, downloads completed, bytes sent.
struct usage_counts {
    std::int64_t downloads = 0;
    std::int64_t complete = 0;
    std::int64_t bytes = 0;
    usage_counts& operator+=(const usage_counts& o) {
        downloads += o.downloads;
        complete += o.complete;
        bytes += o.bytes;
        return *this;
    }
};

// Days since 1970-01-01 in Vietnam time.
std::int32_t vietnam_day(unix_ms t) noexcept;
unix_ms vietnam_day_start(std::int32_t day) noexcept;
std::string format_day(std::int32_t day);  // "2026-11-26"

struct counter_row {
    std::string key;      // asset id text, unit code, kit id text, province or level
    std::string unit = {};     // for (asset, unit) rows; the province for 'y' rows
    std::int32_t day = 0;
    usage_counts counts;
};

struct event_page {
    std::vector<download_event> items;  // oldest first
    std::optional<std::string> next_cursor;
};

class usage_store {
  public:
    usage_store(database& db, kho::clock clk = {},
                std::chrono::hours resume_window = std::chrono::hours(24));

    // One response's worth: `first_byte` of the representation was the
    // first sent, `bytes_sent` went out, `reached_end` when the last byte
    // of the representation did.
    void record(const download_subject& s, std::uint64_t first_byte, std::uint64_t bytes_sent,
                bool reached_end);

    // Counters of days [from_day, to_day] (inclusive). `by`: 'a' asset,
    // 'u' unit, 'x' (asset, unit), 'k' press kit, 'p' province and 'l'
    // education level (the unit's when downloaded), 'y' (province, asset).
    // `only` narrows to a key prefix: an asset or kit id for 'a', 'x', 'k';
    // a province + "\0" for 'y'.
    result<std::vector<counter_row>> counters(char by, std::int32_t from_day, std::int32_t to_day,
                                              const std::string& only = {}) const;

    // Raw events that started in [from, until), oldest first.
    result<event_page> events(unix_ms from, unix_ms until, const std::optional<std::string>& cursor,
                              std::size_t limit) const;

  private:
    std::mutex& lock_for(const std::string& key) const;

    database& db_;
    kho::clock clock_;
    unix_ms resume_window_ms_;
    ulid_generator ids_;
    mutable std::array<std::mutex, 32> locks_;
};

}  // namespace kho::storage
