// Opening untrusted audio and video (media/av_input.hpp): the demuxer
// whitelist of a sniffed type, the caps, and the deadline. The type comes
// from the first input byte rather than from sniffing, so that every
// demuxer kho allows sees every kind of bytes (a server that sniffs one
// type may still hand the file to that type's demuxers).
// Properties: an open either fails with unsupported_media_type or
// unprocessable, or gives a context within every cap: streams, frame size,
// duration, and at least one audio or video stream.
//
// Input: 1 byte choosing the type, then the file.

#include "fuzz/media_support.hpp"
#include "media/av_input.hpp"

extern "C" {
#include <libavformat/avformat.h>
}

namespace media = kho::media;

namespace {

constexpr std::string_view k_types[] = {
    "video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "audio/mpeg",
    "audio/wav", "audio/ogg",       "audio/flac", "audio/aac",        "audio/mp4",
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    media::quiet_av_logs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string_view type = k_types[data[0] % std::size(k_types)];
    const auto& input = kho::fuzz::scratch::get().write_input(data + 1, size - 1);

    media::av_limits limits;
    limits.deadline = std::chrono::seconds(10);
    auto in = media::av_input::open(input, type, limits);
    if (!in) {
        KHO_FUZZ_CHECK(in.error().code == kho::errc::unprocessable ||
                       in.error().code == kho::errc::unsupported_media_type);
        return 0;
    }
    const AVFormatContext* fmt = (*in)->format();
    KHO_FUZZ_CHECK(fmt != nullptr);
    KHO_FUZZ_CHECK(static_cast<int>(fmt->nb_streams) <= limits.max_streams);
    bool usable = false;
    for (unsigned i = 0; i < fmt->nb_streams; ++i) {
        const AVCodecParameters* p = fmt->streams[i]->codecpar;
        if (p->codec_type == AVMEDIA_TYPE_VIDEO) {
            KHO_FUZZ_CHECK(p->width <= limits.max_width && p->height <= limits.max_height);
            usable = true;
        }
        usable |= p->codec_type == AVMEDIA_TYPE_AUDIO;
    }
    KHO_FUZZ_CHECK(usable);
    if (fmt->duration != AV_NOPTS_VALUE)
        KHO_FUZZ_CHECK(static_cast<double>(fmt->duration) / AV_TIME_BASE <= limits.max_duration_s);
    return 0;
}
