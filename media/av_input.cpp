#include "media/av_input.hpp"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
}

namespace kho::media {
namespace {

struct dict_guard {
    AVDictionary* d = nullptr;
    ~dict_guard() { av_dict_free(&d); }
};

}  // namespace

void quiet_av_logs() {
    av_log_set_level(AV_LOG_ERROR);
}

std::string av_error_text(int code) {
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, buf, sizeof buf);
    return buf;
}

std::string_view demuxers_for(std::string_view t) noexcept {
    if (t == "video/mp4" || t == "video/quicktime" || t == "audio/mp4" || t == "audio/x-m4a" ||
        t == "video/3gpp")
        return "mov,mp4,m4a,3gp,3g2,mj2";
    if (t == "video/webm" || t == "video/x-matroska" || t == "audio/webm" ||
        t == "audio/x-matroska")
        return "matroska,webm";
    if (t == "audio/mpeg") return "mp3";
    if (t == "audio/wav" || t == "audio/x-wav" || t == "audio/vnd.wave") return "wav";
    if (t == "audio/ogg" || t == "audio/opus" || t == "video/ogg") return "ogg";
    if (t == "audio/flac" || t == "audio/x-flac") return "flac";
    if (t == "audio/aac") return "aac";
    return "";
}

int av_input::interrupt(void* self) {
    return static_cast<av_input*>(self)->expired() ? 1 : 0;
}

bool av_input::expired() const noexcept {
    return std::chrono::steady_clock::now() >= deadline_;
}

// The demuxer opens the file itself through this; anything after that (a
// playlist's entries, a reference track, "concat:" lists) is refused.
int av_input::io_open(AVFormatContext* s, AVIOContext** pb, const char* url, int flags,
                      AVDictionary** options) {
    auto* self = static_cast<av_input*>(s->opaque);
    if (!self || self->opens_ > 0) return AVERROR(EPERM);
    ++self->opens_;
    // avio_open2() does not know the context's protocol_whitelist (FFmpeg's
    // own io_open passes it on): without it a name such as "concat:a|b" or
    // "pipe:0" would be opened as the protocol it names.
    AVDictionary* local = nullptr;
    AVDictionary** opts = options ? options : &local;
    av_dict_set(opts, "protocol_whitelist", s->protocol_whitelist, 0);
    const int rc = avio_open2(pb, url, flags, &s->interrupt_callback, opts);
    av_dict_free(&local);
    return rc;
}

result<std::unique_ptr<av_input>> av_input::open(const std::filesystem::path& file,
                                                 std::string_view sniffed_mime,
                                                 const av_limits& limits) {
    auto demuxers = demuxers_for(sniffed_mime);
    if (demuxers.empty())
        return make_error(errc::unsupported_media_type,
                          "kho has no demuxer for " + std::string(sniffed_mime));
    std::unique_ptr<av_input> in(new av_input());
    in->limits_ = limits;
    in->deadline_ = std::chrono::steady_clock::now() + limits.deadline;

    AVFormatContext* fmt = avformat_alloc_context();
    if (!fmt) return make_error(errc::internal, "out of memory");
    fmt->interrupt_callback.callback = &av_input::interrupt;
    fmt->interrupt_callback.opaque = in.get();
    fmt->opaque = in.get();
    fmt->io_open = &av_input::io_open;
    fmt->probesize = limits.probe_bytes;
    fmt->max_analyze_duration = limits.analyze_us;
    fmt->max_streams = limits.max_streams;

    dict_guard opts;
    av_dict_set(&opts.d, "protocol_whitelist", "file", 0);
    av_dict_set(&opts.d, "format_whitelist", std::string(demuxers).c_str(), 0);
    // mov: never follow references to other files (alias/dref atoms).
    av_dict_set(&opts.d, "enable_drefs", "0", 0);
    av_dict_set(&opts.d, "use_absolute_path", "0", 0);
    // The first demuxer of the list decides; probing only among the list.
    const std::string first(demuxers.substr(0, demuxers.find(',')));
    const AVInputFormat* forced = av_find_input_format(first.c_str());
    int rc = avformat_open_input(&fmt, file.c_str(), forced, &opts.d);
    if (rc < 0) {
        // avformat_open_input frees the context on failure.
        if (in->expired()) return make_error(errc::unprocessable, "opening the file took too long");
        return make_error(errc::unprocessable,
                          "the file cannot be read as " + std::string(sniffed_mime) + " (" +
                              av_error_text(rc) + ")");
    }
    in->fmt_ = fmt;
    rc = avformat_find_stream_info(fmt, nullptr);
    if (rc < 0)
        return make_error(errc::unprocessable,
                          "the file's streams cannot be read (" + av_error_text(rc) + ")");
    if (static_cast<int>(fmt->nb_streams) > limits.max_streams)
        return make_error(errc::unprocessable, "the file has " + std::to_string(fmt->nb_streams) +
                                                   " streams; the limit is " +
                                                   std::to_string(limits.max_streams));
    bool usable = false;
    for (unsigned i = 0; i < fmt->nb_streams; ++i) {
        const AVCodecParameters* p = fmt->streams[i]->codecpar;
        if (p->codec_type == AVMEDIA_TYPE_VIDEO) {
            if (p->width > limits.max_width || p->height > limits.max_height)
                return make_error(errc::unprocessable,
                                  "the video is " + std::to_string(p->width) + "×" +
                                      std::to_string(p->height) + " pixels; the limit is " +
                                      std::to_string(limits.max_width) + "×" +
                                      std::to_string(limits.max_height));
            usable = true;
        }
        if (p->codec_type == AVMEDIA_TYPE_AUDIO) usable = true;
    }
    if (!usable) return make_error(errc::unprocessable, "the file has no audio or video stream");
    if (fmt->duration != AV_NOPTS_VALUE &&
        static_cast<double>(fmt->duration) / AV_TIME_BASE > limits.max_duration_s)
        return make_error(errc::unprocessable,
                          "the file lasts " +
                              std::to_string(static_cast<long long>(fmt->duration / AV_TIME_BASE)) +
                              " s; the limit is " +
                              std::to_string(static_cast<long long>(limits.max_duration_s)) + " s");
    return in;
}

av_input::~av_input() {
    if (fmt_) avformat_close_input(&fmt_);
}

}  // namespace kho::media
