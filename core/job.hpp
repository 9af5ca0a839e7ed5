#pragma once
// Media jobs and the renditions they make. A job turns one asset version's
// original into its renditions (thumbnail, preview, web video, ...) with the
// recipe family its type calls for. Jobs live in a persistent queue
// (storage/job_queue.hpp); renditions are content-addressed blobs recorded
// per version.

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ulid.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kho {

enum class job_state { pending, running, done, failed };

std::string_view to_string(job_state s) noexcept;
result<job_state> parse_job_state(std::string_view s);

// The recipe family a type calls for: "image", "video", "audio", or
// nothing (documents and other files get no renditions).
std::optional<std::string> media_job_kind(std::string_view content_type);

// The renditions a job of this kind makes, in the order they are listed.
const std::vector<std::string>& planned_renditions(std::string_view kind);

struct job {
    ulid id;
    ulid asset_id;
    std::uint32_t version = 0;
    std::string kind;          // "image", "video", "audio"
    std::string content_type;  // the original's sniffed type
    std::string sha256;        // the original's blob
    job_state state = job_state::pending;
    int attempts = 0;      // runs started so far
    int max_attempts = 4;  // then it is failed for good (dead letter)
    unix_ms not_before = 0;    // pending: not run before this (back-off)
    unix_ms lease_until = 0;   // running: another worker may take it after this
    std::string worker;        // who holds the lease
    std::string error;         // the last failure, for people
    unix_ms created_at = 0;
    unix_ms updated_at = 0;
};

// One rendition of a version, made by a job.
struct rendition {
    std::string name;  // "thumb", "preview", "web", "video_720p", "audio_m4a", "waveform", ...
    std::string sha256;
    std::uint64_t size = 0;
    std::string content_type;
    int width = 0;
    int height = 0;
    double duration = 0;  // seconds, for audio and video
    std::string recipe;   // what made it, e.g. "thumb 320 webp q80"
    unix_ms created_at = 0;
};

std::string encode_record(const job& j);
result<job> decode_job_record(std::string_view bytes);
nlohmann::json to_api_json(const job& j);

std::string encode_record(const rendition& r);
result<rendition> decode_rendition_record(std::string_view bytes);
nlohmann::json to_api_json(const rendition& r);

}  // namespace kho
