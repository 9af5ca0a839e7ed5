#pragma once
// Opening an untrusted audio or video file with the FFmpeg libraries, the
// only way kho's media code does it: the blob's own file and nothing else
// (protocol_whitelist=file, an io_open that refuses every nested open), a
// demuxer whitelist chosen from the sniffed type (never hls, concat,
// playlists or anything that opens other files), caps on probe size, streams,
// frame size and duration, and an interrupt callback that enforces the
// job's deadline. FFmpeg types stay out of this header's users except
// through av_input::format().

#include "core/error.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

struct AVFormatContext;
struct AVIOContext;
struct AVDictionary;

namespace kho::media {

struct av_limits {
    std::chrono::seconds deadline{600};         // Default: 10 min for everything on this input
    int max_streams = 16;                       // Default: 16
    std::int64_t probe_bytes = 32ll << 20;      // Default: 32 MiB probed
    std::int64_t analyze_us = 15'000'000;       // Default: 15 s of media analysed
    int max_width = 8192;                       // Default: 8192 px
    int max_height = 8192;                      // Default: 8192 px
    double max_duration_s = 6 * 3600;           // Default: 6 h
};

// The demuxers a sniffed type may use ("mov,mp4,m4a,3gp,3g2,mj2" for
// video/mp4), or "" when kho has none for it.
std::string_view demuxers_for(std::string_view sniffed_mime) noexcept;

class av_input {
  public:
    // errc::unsupported_media_type: no demuxer for the type;
    // errc::unprocessable: the file does not open, has no usable stream,
    // breaks a cap (saying which), or the deadline passed.
    static result<std::unique_ptr<av_input>> open(const std::filesystem::path& file,
                                                  std::string_view sniffed_mime,
                                                  const av_limits& limits = {});
    ~av_input();
    av_input(const av_input&) = delete;
    av_input& operator=(const av_input&) = delete;

    AVFormatContext* format() const noexcept { return fmt_; }
    const av_limits& limits() const noexcept { return limits_; }
    // True once the deadline has passed (the interrupt callback's answer).
    bool expired() const noexcept;

  private:
    av_input() = default;
    AVFormatContext* fmt_ = nullptr;
    av_limits limits_;
    std::chrono::steady_clock::time_point deadline_;
    int opens_ = 0;  // io_open calls: the first is the file itself
    static int interrupt(void* self);
    static int io_open(AVFormatContext* s, AVIOContext** pb, const char* url, int flags,
                       AVDictionary** options);
};

// Keeps FFmpeg's log to errors (filters such as ebur128 print summaries at
// info level); a worker calls it once at start.
void quiet_av_logs();

// "Invalid data found when processing input" for an AVERROR code.
std::string av_error_text(int code);

}  // namespace kho::media
