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
// Off the request path: record() only queues the response (a download's
// last act, on the I/O thread), and a writer thread applies the queue
// every `flush_interval` (100 ms) or every `batch_size` responses, in one
// WriteBatch per round with each counter merged once. Readers (counters(),
// events()) first wait for everything recorded before them, so a report
// always includes the downloads that finished before it was asked for.
// Events are written without fsync (usage is statistics): a crash may lose
// the last round, a power failure the last second or so, never a counter
// without its event. If the database refuses writes (a full disk) or the
// queue is full (`max_queued`: the writer is stuck), events are dropped
// and counted (lost(), kho_usage_events_lost_total in /metrics); downloads
// are never held up by their statistics. The server's forced exit (a
// second SIGTERM) does not wait for the queue: its last round is lost.
//
// Days are Vietnam days (UTC+7), as the ministry's reports count them.

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ulid.hpp"

#include <atomic>
#include <condition_variable>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
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
    static constexpr std::size_t batch_size = 4096;
    static constexpr std::size_t max_queued = 65536;

    usage_store(database& db, kho::clock clk = {},
                std::chrono::hours resume_window = std::chrono::hours(24),
                std::chrono::milliseconds flush_interval = std::chrono::milliseconds(100));
    ~usage_store();  // writes what is queued; before the database closes
    usage_store(const usage_store&) = delete;
    usage_store& operator=(const usage_store&) = delete;

    // One response's worth: `first_byte` of the representation was the
    // first sent, `bytes_sent` went out, `reached_end` when the last byte
    // of the representation did. Queues it and returns.
    void record(const download_subject& s, std::uint64_t first_byte, std::uint64_t bytes_sent,
                bool reached_end);

    // Returns once everything recorded before the call is written.
    void flush() const;

    // Responses queued and not yet written.
    std::uint64_t pending() const {
        std::lock_guard lock(mutex_);
        return queued_seq_ - written_seq_;
    }

    // Events dropped since the start (queue full, or a write refused).
    std::uint64_t lost() const { return lost_.load(std::memory_order_relaxed); }

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
    struct queued_response {
        download_subject subject;
        std::uint64_t first_byte = 0;
        std::uint64_t bytes_sent = 0;
        bool reached_end = false;
        unix_ms at = 0;
    };
    void write_loop();
    void write(const std::vector<queued_response>& batch);

    database& db_;
    kho::clock clock_;
    unix_ms resume_window_ms_;
    std::chrono::milliseconds flush_interval_;
    ulid_generator ids_;  // the writer's only

    mutable std::mutex mutex_;
    mutable std::condition_variable wake_;     // the writer: a full batch, a flush, closing
    mutable std::condition_variable written_;  // flush(): a round is written
    std::vector<queued_response> queue_;
    std::uint64_t queued_seq_ = 0;   // responses queued since the start
    std::uint64_t written_seq_ = 0;  // of which written (or lost) by the writer
    mutable bool flush_requested_ = false;
    bool closing_ = false;
    bool writer_done_ = false;  // after closing: record() drops, flush() returns
    std::atomic<std::uint64_t> lost_{0};
    std::thread writer_;  // last: starts once the rest is ready
};

}  // namespace kho::storage
