#include "media/video_renditions.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
#include <libavutil/opt.h>
#include <libavutil/parseutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <system_error>
#include <type_traits>
#include <utility>

namespace kho::media {
namespace {

// A colour enum as a damaged file's headers set it: FFmpeg stores the
// number it read, which may be no value of the enum (loading it as the
// enum is then undefined behaviour). Anything outside [0, end) is
// `unspecified`. Found by fuzz/targets/video_fuzz.
template <class E>
E known_or(const E& field, int end, E unspecified) {
    std::underlying_type_t<E> raw;
    std::memcpy(&raw, &field, sizeof raw);
    const auto v = static_cast<long long>(raw);
    return v >= 0 && v < end ? static_cast<E>(raw) : unspecified;
}

constexpr int k_long_side = 1280;  // the web video's box
constexpr int k_short_side = 720;
constexpr double k_max_fps = 60;  // faster sources are reduced to this
constexpr int k_decoder_threads = 2;
constexpr int k_encoder_threads = 2;
constexpr int k_audio_rate = 48000;
constexpr std::int64_t k_audio_bit_rate = 128'000;
constexpr double k_black_luma = 40;  // mean Y (16 black .. 235 white) of a "black" frame
constexpr const char* k_video_name = "video_720p";

// ---- FFmpeg objects owned by C++ ---------------------------------------------

struct codec_deleter {
    void operator()(AVCodecContext* c) const noexcept { avcodec_free_context(&c); }
};
struct frame_deleter {
    void operator()(AVFrame* f) const noexcept { av_frame_free(&f); }
};
struct packet_deleter {
    void operator()(AVPacket* p) const noexcept { av_packet_free(&p); }
};
struct graph_deleter {
    void operator()(AVFilterGraph* g) const noexcept { avfilter_graph_free(&g); }
};
struct sws_deleter {
    void operator()(SwsContext* s) const noexcept { sws_freeContext(s); }
};
struct output_deleter {
    void operator()(AVFormatContext* f) const noexcept {
        if (f->pb) avio_closep(&f->pb);
        avformat_free_context(f);
    }
};
using codec_ptr = std::unique_ptr<AVCodecContext, codec_deleter>;
using frame_ptr = std::unique_ptr<AVFrame, frame_deleter>;
using packet_ptr = std::unique_ptr<AVPacket, packet_deleter>;
using graph_ptr = std::unique_ptr<AVFilterGraph, graph_deleter>;
using sws_ptr = std::unique_ptr<SwsContext, sws_deleter>;
using output_ptr = std::unique_ptr<AVFormatContext, output_deleter>;

template <class T>
T* checked(T* p) {
    if (p == nullptr) throw std::bad_alloc();
    return p;
}
frame_ptr new_frame() {
    return frame_ptr(checked(av_frame_alloc()));
}
packet_ptr new_packet() {
    return packet_ptr(checked(av_packet_alloc()));
}

error av_failure(errc code, const std::string& what, int rc) {
    return make_error(code, what + " (" + av_error_text(rc) + ")");
}

// The MP4 muxer refuses timing it cannot store (a composition offset past
// 32 bits, a decreasing dts) with PATCHWELCOME or EINVAL, while writing a
// packet or, for the packets it held back to interleave, while writing the
// trailer. The timing is the input's, so that file is broken and a retry
// would fail the same way. Only write errors are kho's problem: a full disk
// (insufficient_storage) or anything else (internal), both retryable.
// Found by fuzz/video_fuzz: a WebM with a time base of 8357793/500000000 s
// (refused at a packet), and a damaged WebM refused at the trailer.
error mux_failure(const std::string& what, int rc) {
    if (rc == AVERROR_PATCHWELCOME || rc == AVERROR(EINVAL))
        return av_failure(errc::unprocessable, "the video's timestamps cannot be stored in MP4",
                          rc);
    if (rc == AVERROR(ENOSPC)) return make_error(errc::insufficient_storage, "the disk is full");
    return av_failure(errc::internal, what, rc);
}

std::string ratio(AVRational r) {
    return std::to_string(r.num) + "/" + std::to_string(r.den);
}
bool valid(AVRational r) {
    return r.num > 0 && r.den > 0;
}
double seconds(std::int64_t ts, AVRational tb) {
    return static_cast<double>(ts) * av_q2d(tb);
}

// ---- step 2: what the streams say ------------------------------------------------

// The picture as shown: the clockwise turn, and the filters that apply it.
// Follows the ffmpeg program's autorotate (fftools/ffmpeg_filter.c), which
// players agree with: a display matrix first, then an old "rotate" tag.
struct orientation {
    int rotation = 0;     // 0, 90, 180, 270 degrees clockwise
    std::string filters;  // "transpose=clock," ... (each ends with a comma)
};

orientation orientation_of(const AVStream* st) {
    std::size_t size = 0;
    const auto* m = reinterpret_cast<const std::int32_t*>(
        av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size));
    if (size < 9 * sizeof(std::int32_t)) m = nullptr;
    double theta = 0;
    if (m != nullptr) {
        // av_display_rotation_get() is counter-clockwise; NaN for a degenerate matrix.
        const double ccw = av_display_rotation_get(m);
        theta = std::isfinite(ccw) ? -std::round(ccw) : 0;
    } else if (const AVDictionaryEntry* tag = av_dict_get(st->metadata, "rotate", nullptr, 0)) {
        theta = std::strtod(tag->value, nullptr);  // clockwise, by the tag's convention
        if (!std::isfinite(theta)) theta = 0;
    }
    theta -= 360 * std::floor(theta / 360 + 0.9 / 360);
    // Odd angles are rounded to the nearest quarter turn.
    orientation o;
    o.rotation = static_cast<int>(std::lround(theta / 90) % 4) * 90;
    switch (o.rotation) {
        case 90:
            o.filters = m != nullptr && m[3] > 0 ? "transpose=cclock_flip," : "transpose=clock,";
            break;
        case 180:
            if (m == nullptr || m[0] < 0) o.filters += "hflip,";
            if (m == nullptr || m[4] < 0) o.filters += "vflip,";
            break;
        case 270:
            o.filters = m != nullptr && m[3] < 0 ? "transpose=clock_flip," : "transpose=cclock,";
            break;
        default:
            if (m != nullptr && m[4] < 0) o.filters = "vflip,";
    }
    return o;
}

// The main video stream: not cover art, the default one first, then the largest.
int pick_video_stream(const AVFormatContext* fmt) {
    int best = -1;
    std::int64_t best_score = -1;
    for (unsigned i = 0; i < fmt->nb_streams; ++i) {
        const AVStream* st = fmt->streams[i];
        if (st->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) continue;
        if (st->disposition & AV_DISPOSITION_ATTACHED_PIC) continue;
        const std::int64_t area =
            static_cast<std::int64_t>(st->codecpar->width) * st->codecpar->height;
        const std::int64_t score =
            ((st->disposition & AV_DISPOSITION_DEFAULT) ? (std::int64_t{1} << 40) : 0) + area;
        if (score > best_score) best = static_cast<int>(i), best_score = score;
    }
    return best;
}

AVRational frame_rate_of(const AVStream* st) {
    if (valid(st->avg_frame_rate)) return st->avg_frame_rate;
    if (valid(st->r_frame_rate)) return st->r_frame_rate;
    return {0, 1};
}

// Where the stream says it ends, in seconds on the file's clock: its start
// plus the container's per-stream duration, else Matroska's DURATION tag
// (the track's end time); 0 when neither says.
double declared_end(const AVStream* st) {
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0) {
        const std::int64_t start = st->start_time == AV_NOPTS_VALUE ? 0 : st->start_time;
        return seconds(start + st->duration, st->time_base);
    }
    if (const AVDictionaryEntry* tag = av_dict_get(st->metadata, "DURATION", nullptr, 0)) {
        std::int64_t us = 0;
        if (av_parse_time(&us, tag->value, 1) == 0 && us > 0) return static_cast<double>(us) / 1e6;
    }
    return 0;
}

// Pixels of real video are at most a few times wider or taller than they
// are shown (anamorphic DV, HDV: 0.9 to 2). A damaged header may say 1:257,
// which would show a 64-pixel-wide picture 0 pixels wide; such a ratio is
// ignored, as if the file gave none. Found by fuzz/video_fuzz.
bool plausible_pixel_aspect(AVRational sar) {
    if (!valid(sar)) return false;
    const double r = av_q2d(sar);
    return r >= 0.1 && r <= 10;
}

video_info describe(const AVFormatContext* fmt, const AVStream* v, const AVStream* a,
                    const orientation& o) {
    video_info info;
    if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
        info.duration = static_cast<double>(fmt->duration) / AV_TIME_BASE;
    else
        info.duration = declared_end(v);
    const AVRational sar = av_guess_sample_aspect_ratio(const_cast<AVFormatContext*>(fmt),
                                                        const_cast<AVStream*>(v), nullptr);
    double w = v->codecpar->width;
    if (plausible_pixel_aspect(sar)) w *= av_q2d(sar);
    info.width = std::max(1, static_cast<int>(std::lround(w)));
    info.height = v->codecpar->height;
    if (o.rotation == 90 || o.rotation == 270) std::swap(info.width, info.height);
    info.fps = av_q2d(frame_rate_of(v));
    info.rotation = o.rotation;
    info.video_codec = avcodec_get_name(v->codecpar->codec_id);
    if (a != nullptr) {
        info.has_audio = true;
        info.audio_codec = avcodec_get_name(a->codecpar->codec_id);
    }
    info.bit_rate = fmt->bit_rate;
    return info;
}

// ---- step 3: the box ---------------------------------------------------------------

// Largest even size with the displayed aspect that fits 1280×720 either way
// round, never larger than the displayed size.
std::pair<int, int> fit_720p(int width, int height) {
    const double w = std::max(width, 1), h = std::max(height, 1);
    const double s = std::min({1.0, k_long_side / std::max(w, h), k_short_side / std::min(w, h)});
    auto even = [](double v) { return std::max(2, static_cast<int>(std::lround(v)) & ~1); };
    return {even(w * s), even(h * s)};
}

// ---- filter graphs -------------------------------------------------------------------

struct filter_chain {
    graph_ptr graph;
    AVFilterContext* src = nullptr;
    AVFilterContext* sink = nullptr;
};

struct inout_deleter {
    void operator()(AVFilterInOut* p) const noexcept { avfilter_inout_free(&p); }
};

// source(args) -> description -> sink, single-threaded (the codecs have the threads).
result<filter_chain> build_chain(const char* source, const std::string& args, const char* sink,
                                 const std::string& description) {
    filter_chain c;
    c.graph.reset(checked(avfilter_graph_alloc()));
    c.graph->nb_threads = 1;
    int rc = avfilter_graph_create_filter(&c.src, avfilter_get_by_name(source), "in", args.c_str(),
                                          nullptr, c.graph.get());
    if (rc < 0) return av_failure(errc::unprocessable, "the stream's frames are not usable", rc);
    rc = avfilter_graph_create_filter(&c.sink, avfilter_get_by_name(sink), "out", nullptr, nullptr,
                                      c.graph.get());
    if (rc < 0) return av_failure(errc::internal, "cannot create a filter sink", rc);
    std::unique_ptr<AVFilterInOut, inout_deleter> outputs(checked(avfilter_inout_alloc()));
    std::unique_ptr<AVFilterInOut, inout_deleter> inputs(checked(avfilter_inout_alloc()));
    outputs->name = checked(av_strdup("in"));
    outputs->filter_ctx = c.src;
    inputs->name = checked(av_strdup("out"));
    inputs->filter_ctx = c.sink;
    AVFilterInOut* in = inputs.release();
    AVFilterInOut* out = outputs.release();
    rc = avfilter_graph_parse_ptr(c.graph.get(), description.c_str(), &in, &out, nullptr);
    avfilter_inout_free(&in);
    avfilter_inout_free(&out);
    if (rc < 0) return av_failure(errc::internal, "bad filter graph \"" + description + "\"", rc);
    rc = avfilter_graph_config(c.graph.get(), nullptr);
    if (rc < 0)
        return av_failure(errc::unprocessable, "the stream's frames cannot be converted", rc);
    return c;
}

std::string layout_name(const AVChannelLayout& layout) {
    AVChannelLayout named{};
    if (layout.order == AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_default(&named, layout.nb_channels);
    else if (av_channel_layout_copy(&named, &layout) < 0)
        throw std::bad_alloc();
    char buf[128] = {};
    av_channel_layout_describe(&named, buf, sizeof buf);
    av_channel_layout_uninit(&named);
    return buf;
}

// ---- step 6: the poster frame --------------------------------------------------------

// Mean luma of a yuv420p frame, every 4th pixel of every 4th row.
double mean_luma(const AVFrame* f) {
    double sum = 0;
    std::int64_t n = 0;
    for (int y = 0; y < f->height; y += 4) {
        const std::uint8_t* row = f->data[0] + static_cast<std::ptrdiff_t>(y) * f->linesize[0];
        for (int x = 0; x < f->width; x += 4, ++n) sum += row[x];
    }
    return n == 0 ? 0 : sum / static_cast<double>(n);
}

// Sees every encoded frame; keeps a reference to the chosen one.
class poster_picker {
  public:
    explicit poster_picker(double duration) {
        if (duration > 0)
            for (int k = 1; k <= 9; ++k) candidates_.push_back(duration * k / 10);
        else
            candidates_ = {0, 1, 2, 4, 8};
    }

    void offer(const AVFrame* f, double t) {
        if (done_) return;
        if (!first_) first_.reset(checked(av_frame_clone(f)));
        if (next_ >= candidates_.size() || t < candidates_[next_]) return;
        while (next_ < candidates_.size() && candidates_[next_] <= t) ++next_;
        const double luma = mean_luma(f);
        if (luma > best_luma_) {
            best_.reset(checked(av_frame_clone(f)));
            best_luma_ = luma;
        }
        done_ = luma >= k_black_luma;
    }

    // The first candidate that is not black, else the brightest candidate,
    // else (a clip shorter than its declared duration) the first frame.
    const AVFrame* chosen() const { return best_ ? best_.get() : first_.get(); }

  private:
    std::vector<double> candidates_;
    std::size_t next_ = 0;
    frame_ptr best_, first_;
    double best_luma_ = -1;
    bool done_ = false;
};

// The frame as an sRGB PNG, through swscale and FFmpeg's PNG encoder.
result<void> write_png(const AVFrame* f, const std::filesystem::path& path) {
    sws_ptr sws(sws_getContext(f->width, f->height, static_cast<AVPixelFormat>(f->format), f->width,
                               f->height, AV_PIX_FMT_RGB24,
                               SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr,
                               nullptr, nullptr));
    if (!sws) return make_error(errc::internal, "cannot convert the poster frame to RGB");
    const AVColorSpace space = known_or(f->colorspace, AVCOL_SPC_NB, AVCOL_SPC_UNSPECIFIED);
    const int matrix = space == AVCOL_SPC_UNSPECIFIED ? SWS_CS_DEFAULT : space;
    const bool full_range =
        known_or(f->color_range, AVCOL_RANGE_NB, AVCOL_RANGE_UNSPECIFIED) == AVCOL_RANGE_JPEG;
    sws_setColorspaceDetails(sws.get(), sws_getCoefficients(matrix), full_range ? 1 : 0,
                             sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
    frame_ptr rgb = new_frame();
    rgb->format = AV_PIX_FMT_RGB24;
    rgb->width = f->width;
    rgb->height = f->height;
    if (av_frame_get_buffer(rgb.get(), 0) < 0) throw std::bad_alloc();
    sws_scale(sws.get(), f->data, f->linesize, 0, f->height, rgb->data, rgb->linesize);

    const AVCodec* png = avcodec_find_encoder(AV_CODEC_ID_PNG);
    if (png == nullptr) return make_error(errc::internal, "this FFmpeg has no PNG encoder");
    codec_ptr enc(checked(avcodec_alloc_context3(png)));
    enc->width = f->width;
    enc->height = f->height;
    enc->pix_fmt = AV_PIX_FMT_RGB24;
    enc->time_base = {1, 1};
    int rc = avcodec_open2(enc.get(), png, nullptr);
    if (rc < 0) return av_failure(errc::internal, "cannot open the PNG encoder", rc);
    packet_ptr pkt = new_packet();
    if ((rc = avcodec_send_frame(enc.get(), rgb.get())) < 0 ||
        (rc = avcodec_send_frame(enc.get(), nullptr)) < 0 ||
        (rc = avcodec_receive_packet(enc.get(), pkt.get())) < 0)
        return av_failure(errc::internal, "cannot encode the poster frame", rc);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(pkt->data), pkt->size);
    out.close();
    if (!out) return make_error(errc::internal, "cannot write " + path.filename().string());
    return ok();
}

// ---- steps 3 to 5: decode, filter, encode, mux ------------------------------------------

class transcoder {
  public:
    transcoder(av_input& in, int video, int audio, orientation o, std::pair<int, int> size,
               poster_picker& poster)
        : in_(in),
          fmt_(in.format()),
          vst_(fmt_->streams[video]),
          ast_(audio >= 0 ? fmt_->streams[audio] : nullptr),
          orient_(std::move(o)),
          out_w_(size.first),
          out_h_(size.second),
          poster_(poster),
          pkt_(new_packet()),
          frame_(new_frame()),
          filtered_(new_frame()) {
        const std::int64_t start = fmt_->start_time == AV_NOPTS_VALUE ? 0 : fmt_->start_time;
        file_start_s_ = static_cast<double>(start) / AV_TIME_BASE;
        v_offset_ = av_rescale_q(start, AV_TIME_BASE_Q, vst_->time_base);
        if (ast_) a_offset_ = av_rescale_q(start, AV_TIME_BASE_Q, ast_->time_base);
    }

    ~transcoder() { av_channel_layout_uninit(&aparams_.layout); }
    transcoder(const transcoder&) = delete;
    transcoder& operator=(const transcoder&) = delete;

    // Decoders, encoders and the MP4 header.
    result<void> open(const std::filesystem::path& out_path);
    // Every packet, the flushes and the trailer.
    result<void> run();
    // Seconds of picture and sound written, after run().
    double written_seconds() const {
        const double audio = next_audio_pts_ == AV_NOPTS_VALUE
                                 ? 0
                                 : static_cast<double>(next_audio_pts_) / k_audio_rate;
        return std::max(video_end_s_, audio);
    }

  private:
    result<codec_ptr> open_decoder(AVStream* st) const;
    result<void> open_video_encoder();
    result<void> open_audio_encoder();
    result<void> configure_video(const AVFrame* f);
    result<void> configure_audio(const AVFrame* f);
    result<void> decode(AVCodecContext* dec, const AVPacket* p, bool video);
    result<void> filter_video(AVFrame* f);
    result<void> filter_audio(AVFrame* f);
    result<void> encode_video(AVFrame* f);
    result<void> encode_audio(AVFrame* f);
    result<void> write_packets(AVCodecContext* enc, AVStream* ost);
    result<void> judge_input() const;
    error deadline() const {
        return make_error(errc::unprocessable, "the video took longer than the " +
                                                   std::to_string(in_.limits().deadline.count()) +
                                                   " s deadline");
    }

    av_input& in_;
    AVFormatContext* fmt_;
    AVStream* vst_;
    AVStream* ast_;
    orientation orient_;
    int out_w_, out_h_;
    poster_picker& poster_;
    packet_ptr pkt_;
    frame_ptr frame_, filtered_;
    double file_start_s_ = 0;
    std::int64_t v_offset_ = 0, a_offset_ = 0;  // the file's start, in each stream's time base

    codec_ptr vdec_, adec_, venc_, aenc_;
    output_ptr out_;
    AVStream* vout_ = nullptr;
    AVStream* aout_ = nullptr;
    AVRational rate_{25, 1};  // the web video's nominal frame rate
    bool reduce_fps_ = false;
    std::int64_t frame_ticks_ = 1;  // one nominal frame in the video encoder's time base

    filter_chain vchain_, achain_;
    struct video_params {
        int width = 0, height = 0, format = -1;
        AVRational sar{0, 1};
    } vparams_;
    struct audio_params {
        int rate = 0, format = -1;
        AVChannelLayout layout{};
    } aparams_;

    std::int64_t last_video_pts_ = AV_NOPTS_VALUE;  // video encoder time base
    std::int64_t next_audio_pts_ = AV_NOPTS_VALUE;  // 1/48000
    double first_video_s_ = -1, video_end_s_ = 0;
    std::int64_t video_frames_ = 0, video_errors_ = 0;
    int read_error_ = 0;
};

result<codec_ptr> transcoder::open_decoder(AVStream* st) const {
    const bool video = st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO;
    const char* name = avcodec_get_name(st->codecpar->codec_id);
    const char* kind = video ? " video" : " audio";
    if (st->codecpar->codec_id == AV_CODEC_ID_NONE)
        return make_error(errc::unsupported_media_type,
                          std::string("the file's") + kind + " is in a codec FFmpeg does not know");
    const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
    if (codec == nullptr)
        return make_error(errc::unsupported_media_type,
                          std::string("kho cannot decode ") + name + kind);
    codec_ptr c(checked(avcodec_alloc_context3(codec)));
    int rc = avcodec_parameters_to_context(c.get(), st->codecpar);
    if (rc < 0)
        return av_failure(errc::unprocessable, std::string("the ") + name + " stream is not usable",
                          rc);
    c->pkt_timebase = st->time_base;
    c->thread_count = k_decoder_threads;
    if (video)
        c->max_pixels = static_cast<std::int64_t>(in_.limits().max_width) * in_.limits().max_height;
    rc = avcodec_open2(c.get(), codec, nullptr);
    if (rc < 0)
        return av_failure(errc::unprocessable,
                          std::string("the ") + name + kind + " cannot be decoded", rc);
    return c;
}

result<void> transcoder::open_video_encoder() {
    const AVCodec* x264 = avcodec_find_encoder_by_name("libx264");
    if (x264 == nullptr) return make_error(errc::internal, "this FFmpeg has no libx264 encoder");
    venc_.reset(checked(avcodec_alloc_context3(x264)));
    AVCodecContext* e = venc_.get();
    const AVRational source_rate = frame_rate_of(vst_);
    reduce_fps_ = av_q2d(source_rate) > k_max_fps + 0.5;
    if (reduce_fps_)
        rate_ = {static_cast<int>(k_max_fps), 1};
    else if (valid(source_rate) && av_q2d(source_rate) >= 1)
        rate_ = source_rate;
    e->width = out_w_;
    e->height = out_h_;
    e->sample_aspect_ratio = {1, 1};
    e->pix_fmt = AV_PIX_FMT_YUV420P;
    e->color_range = AVCOL_RANGE_MPEG;
    e->color_primaries =
        known_or(vdec_->color_primaries, AVCOL_PRI_NB, AVCOL_PRI_UNSPECIFIED);
    e->color_trc = known_or(vdec_->color_trc, AVCOL_TRC_NB, AVCOL_TRC_UNSPECIFIED);
    e->colorspace = known_or(vdec_->colorspace, AVCOL_SPC_NB, AVCOL_SPC_UNSPECIFIED);
    // The filter graph keeps the stream's time base (the fps filter: 1/60).
    e->time_base = reduce_fps_ ? av_inv_q(rate_) : vst_->time_base;
    e->framerate = rate_;
    e->thread_count = k_encoder_threads;
    if (out_->oformat->flags & AVFMT_GLOBALHEADER) e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    av_opt_set(e->priv_data, "preset", "veryfast", 0);
    av_opt_set(e->priv_data, "profile", "high", 0);
    av_opt_set_double(e->priv_data, "crf", 23, 0);
    int rc = avcodec_open2(e, x264, nullptr);
    if (rc < 0) return av_failure(errc::internal, "cannot open libx264", rc);
    frame_ticks_ = std::max<std::int64_t>(1, av_rescale_q(1, av_inv_q(rate_), e->time_base));

    vout_ = checked(avformat_new_stream(out_.get(), nullptr));
    rc = avcodec_parameters_from_context(vout_->codecpar, e);
    if (rc < 0) return av_failure(errc::internal, "cannot set up the MP4 video track", rc);
    vout_->time_base = e->time_base;
    vout_->avg_frame_rate = rate_;
    return ok();
}

result<void> transcoder::open_audio_encoder() {
    const AVCodec* aac = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (aac == nullptr) return make_error(errc::internal, "this FFmpeg has no AAC encoder");
    aenc_.reset(checked(avcodec_alloc_context3(aac)));
    AVCodecContext* e = aenc_.get();
    e->sample_fmt = AV_SAMPLE_FMT_FLTP;
    e->sample_rate = k_audio_rate;
    const AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
    if (av_channel_layout_copy(&e->ch_layout, &stereo) < 0) throw std::bad_alloc();
    e->bit_rate = k_audio_bit_rate;
    e->time_base = {1, k_audio_rate};
    if (out_->oformat->flags & AVFMT_GLOBALHEADER) e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    int rc = avcodec_open2(e, aac, nullptr);
    if (rc < 0) return av_failure(errc::internal, "cannot open the AAC encoder", rc);
    aout_ = checked(avformat_new_stream(out_.get(), nullptr));
    rc = avcodec_parameters_from_context(aout_->codecpar, e);
    if (rc < 0) return av_failure(errc::internal, "cannot set up the MP4 audio track", rc);
    aout_->time_base = e->time_base;
    return ok();
}

result<void> transcoder::open(const std::filesystem::path& out_path) {
    auto v = open_decoder(vst_);
    if (!v) return v.error();
    vdec_ = std::move(*v);
    if (ast_) {
        auto a = open_decoder(ast_);
        if (!a) return a.error();
        adec_ = std::move(*a);
    }

    // "file:" so that a ':' in the path never names another protocol; the
    // faststart pass reopens the same URL to move the moov box.
    const std::string url = "file:" + out_path.string();
    AVFormatContext* oc = nullptr;
    int rc = avformat_alloc_output_context2(&oc, nullptr, "mp4", url.c_str());
    if (rc < 0 || oc == nullptr)
        return av_failure(errc::internal, "cannot set up the MP4 muxer", rc);
    out_.reset(oc);
    if (auto r = open_video_encoder(); !r) return r;
    if (adec_)
        if (auto r = open_audio_encoder(); !r) return r;
    rc = avio_open2(&oc->pb, url.c_str(), AVIO_FLAG_WRITE, nullptr, nullptr);
    if (rc < 0)
        return av_failure(errc::internal, "cannot create " + out_path.filename().string(), rc);
    AVDictionary* opts = nullptr;
    av_dict_set(&opts, "movflags", "+faststart", 0);
    rc = avformat_write_header(oc, &opts);
    av_dict_free(&opts);
    if (rc < 0) return av_failure(errc::internal, "cannot write the MP4 header", rc);
    return ok();
}

// The graph is built for the first frame's size, format and pixel aspect,
// and rebuilt when a stream changes them midway (the output size stays).
result<void> transcoder::configure_video(const AVFrame* f) {
    const auto& lim = in_.limits();
    if (f->width > lim.max_width || f->height > lim.max_height)
        return make_error(errc::unprocessable,
                          "a frame of the video is " + std::to_string(f->width) + "×" +
                              std::to_string(f->height) + " pixels; the limit is " +
                              std::to_string(lim.max_width) + "×" + std::to_string(lim.max_height));
    const char* pix = av_get_pix_fmt_name(static_cast<AVPixelFormat>(f->format));
    if (pix == nullptr)
        return make_error(errc::unprocessable, "the video's frames have no pixel format");
    std::string args =
        "video_size=" + std::to_string(f->width) + "x" + std::to_string(f->height) +
        ":pix_fmt=" + pix + ":time_base=" + ratio(vst_->time_base) + ":pixel_aspect=" +
        ratio(plausible_pixel_aspect(f->sample_aspect_ratio) ? f->sample_aspect_ratio
                                                             : AVRational{1, 1});
    if (valid(frame_rate_of(vst_))) args += ":frame_rate=" + ratio(frame_rate_of(vst_));
    // Interlaced camera footage (1080i, PAL DV) is deinterlaced first, on
    // the stored fields; frames flagged progressive pass bwdif untouched.
    std::string graph = f->interlaced_frame ? "bwdif=mode=send_frame:deint=interlaced," : "";
    if (reduce_fps_) graph += "fps=" + ratio(rate_) + ",";
    graph += orient_.filters + "scale=" + std::to_string(out_w_) + ":" + std::to_string(out_h_) +
             ":flags=bicubic:out_range=tv,setsar=1,format=yuv420p";
    auto chain = build_chain("buffer", args, "buffersink", graph);
    if (!chain) return chain.error();
    vchain_ = std::move(*chain);
    vparams_ = {f->width, f->height, f->format, f->sample_aspect_ratio};
    return ok();
}

result<void> transcoder::configure_audio(const AVFrame* f) {
    const char* fmt = av_get_sample_fmt_name(static_cast<AVSampleFormat>(f->format));
    if (fmt == nullptr || f->sample_rate <= 0 || f->ch_layout.nb_channels <= 0)
        return make_error(errc::unprocessable, "the audio's frames are not usable");
    const std::string args = "time_base=" + ratio(ast_->time_base) +
                             ":sample_rate=" + std::to_string(f->sample_rate) +
                             ":sample_fmt=" + fmt + ":channel_layout=" + layout_name(f->ch_layout);
    auto chain =
        build_chain("abuffer", args, "abuffersink",
                    "aresample=" + std::to_string(k_audio_rate) +
                        ",aformat=sample_fmts=fltp:sample_rates=" + std::to_string(k_audio_rate) +
                        ":channel_layouts=stereo");
    if (!chain) return chain.error();
    achain_ = std::move(*chain);
    av_buffersink_set_frame_size(achain_.sink, static_cast<unsigned>(aenc_->frame_size));
    av_channel_layout_uninit(&aparams_.layout);
    if (av_channel_layout_copy(&aparams_.layout, &f->ch_layout) < 0) throw std::bad_alloc();
    aparams_.rate = f->sample_rate;
    aparams_.format = f->format;
    return ok();
}

// A packet into its decoder (nullptr: the end), every frame out of it on to
// the filters. A damaged packet is counted and skipped, as players do.
result<void> transcoder::decode(AVCodecContext* dec, const AVPacket* p, bool video) {
    int drain_errors = 0;
    int rc = avcodec_send_packet(dec, p);
    if (rc == AVERROR(ENOMEM)) throw std::bad_alloc();
    if (rc < 0 && rc != AVERROR_EOF) {
        if (video) ++video_errors_;
        return ok();
    }
    for (;;) {
        rc = avcodec_receive_frame(dec, frame_.get());
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) break;
        if (rc == AVERROR(ENOMEM)) throw std::bad_alloc();
        if (rc < 0) {
            if (video) ++video_errors_;
            // Draining, a frame-threaded decoder reports each bad frame on
            // its own and then goes on; a bounded number of times.
            if (p != nullptr || ++drain_errors > 64) break;
            continue;
        }
        const std::int64_t ts = frame_->best_effort_timestamp;
        frame_->pts = ts == AV_NOPTS_VALUE ? AV_NOPTS_VALUE : ts - (video ? v_offset_ : a_offset_);
        auto r = video ? filter_video(frame_.get()) : filter_audio(frame_.get());
        av_frame_unref(frame_.get());
        if (!r) return r;
        if (video) ++video_frames_;
    }
    return ok();
}

result<void> transcoder::filter_video(AVFrame* f) {
    if (f != nullptr &&
        (!vchain_.graph || f->width != vparams_.width || f->height != vparams_.height ||
         f->format != vparams_.format || av_cmp_q(f->sample_aspect_ratio, vparams_.sar) != 0))
        if (auto r = configure_video(f); !r) return r;
    if (!vchain_.graph) return ok();
    int rc = av_buffersrc_add_frame(vchain_.src, f);
    if (rc < 0) return av_failure(errc::unprocessable, "a video frame cannot be converted", rc);
    for (;;) {
        rc = av_buffersink_get_frame(vchain_.sink, filtered_.get());
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return ok();
        if (rc < 0) return av_failure(errc::unprocessable, "a video frame cannot be converted", rc);
        if (filtered_->pts != AV_NOPTS_VALUE)
            filtered_->pts = av_rescale_q(filtered_->pts, av_buffersink_get_time_base(vchain_.sink),
                                          venc_->time_base);
        auto r = encode_video(filtered_.get());
        av_frame_unref(filtered_.get());
        if (!r) return r;
    }
}

result<void> transcoder::filter_audio(AVFrame* f) {
    if (f != nullptr &&
        (!achain_.graph || f->sample_rate != aparams_.rate || f->format != aparams_.format ||
         av_channel_layout_compare(&f->ch_layout, &aparams_.layout) != 0))
        if (auto r = configure_audio(f); !r) return r;
    if (!achain_.graph) return ok();
    int rc = av_buffersrc_add_frame(achain_.src, f);
    if (rc < 0) return av_failure(errc::unprocessable, "an audio frame cannot be converted", rc);
    for (;;) {
        rc = av_buffersink_get_frame(achain_.sink, filtered_.get());
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return ok();
        if (rc < 0)
            return av_failure(errc::unprocessable, "an audio frame cannot be converted", rc);
        if (filtered_->pts != AV_NOPTS_VALUE)
            filtered_->pts = av_rescale_q(filtered_->pts, av_buffersink_get_time_base(achain_.sink),
                                          aenc_->time_base);
        auto r = encode_audio(filtered_.get());
        av_frame_unref(filtered_.get());
        if (!r) return r;
    }
}

// Frame timing is the source's; a frame that does not come after the one
// before it (broken timestamps) is dropped, a frame without one follows it.
result<void> transcoder::encode_video(AVFrame* f) {
    if (f != nullptr) {
        if (f->pts == AV_NOPTS_VALUE)
            f->pts = last_video_pts_ == AV_NOPTS_VALUE ? 0 : last_video_pts_ + frame_ticks_;
        if (last_video_pts_ != AV_NOPTS_VALUE && f->pts <= last_video_pts_) return ok();
        last_video_pts_ = f->pts;
        const double t = seconds(f->pts, venc_->time_base);
        if (first_video_s_ < 0) first_video_s_ = t;
        video_end_s_ = seconds(f->pts + frame_ticks_, venc_->time_base);
        if (video_end_s_ > in_.limits().max_duration_s)
            return make_error(
                errc::unprocessable,
                "the video runs past " +
                    std::to_string(static_cast<long long>(in_.limits().max_duration_s)) +
                    " s, the limit");
        f->pict_type = AV_PICTURE_TYPE_NONE;
        poster_.offer(f, t);
    }
    const int rc = avcodec_send_frame(venc_.get(), f);
    if (rc < 0 && rc != AVERROR_EOF)
        return av_failure(errc::internal, "libx264 refused a frame", rc);
    return write_packets(venc_.get(), vout_);
}

// Audio is stamped by its sample count from where it starts, so that gaps
// or overlaps in a damaged source never reach the muxer.
result<void> transcoder::encode_audio(AVFrame* f) {
    if (f != nullptr) {
        if (next_audio_pts_ == AV_NOPTS_VALUE)
            next_audio_pts_ = f->pts == AV_NOPTS_VALUE ? 0 : std::max<std::int64_t>(0, f->pts);
        f->pts = next_audio_pts_;
        next_audio_pts_ += f->nb_samples;
    }
    const int rc = avcodec_send_frame(aenc_.get(), f);
    if (rc < 0 && rc != AVERROR_EOF)
        return av_failure(errc::internal, "the AAC encoder refused a frame", rc);
    return write_packets(aenc_.get(), aout_);
}

result<void> transcoder::write_packets(AVCodecContext* enc, AVStream* ost) {
    for (;;) {
        int rc = avcodec_receive_packet(enc, pkt_.get());
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return ok();
        if (rc < 0) return av_failure(errc::internal, "encoding failed", rc);
        if (ost == vout_ && pkt_->duration <= 0) pkt_->duration = frame_ticks_;
        pkt_->stream_index = ost->index;
        av_packet_rescale_ts(pkt_.get(), enc->time_base, ost->time_base);
        rc = av_interleaved_write_frame(out_.get(), pkt_.get());
        if (rc < 0) return mux_failure("cannot write the MP4 file", rc);
    }
}

// After the last packet: did the video decode, and all of it?
result<void> transcoder::judge_input() const {
    const std::string why = read_error_ != 0 ? " (" + av_error_text(read_error_) + ")" : "";
    if (video_frames_ == 0 || first_video_s_ < 0)
        return make_error(errc::unprocessable, "no frame of the video could be decoded" + why);
    if (video_errors_ > video_frames_)
        return make_error(errc::unprocessable,
                          "the video is corrupt: " + std::to_string(video_errors_) +
                              " of its packets cannot be decoded");
    // Both on the clock that starts with the file.
    const double declared = declared_end(vst_) - file_start_s_;
    const double covered = video_end_s_;
    const bool short_of_declared =
        declared > 0 && declared - covered > std::max(0.5, 0.02 * declared);
    if (short_of_declared || (read_error_ != 0 && declared <= 0)) {
        char detail[128];
        std::snprintf(detail, sizeof detail, "; its video stops at %.1f s of %.1f s", covered,
                      declared);
        return make_error(errc::unprocessable, "the file is truncated or corrupt" +
                                                   std::string(declared > 0 ? detail : "") + why);
    }
    return ok();
}

result<void> transcoder::run() {
    for (;;) {
        if (in_.expired()) return deadline();
        const int rc = av_read_frame(fmt_, pkt_.get());
        if (rc == AVERROR_EOF) break;
        if (rc == AVERROR(ENOMEM)) throw std::bad_alloc();
        if (rc < 0) {
            if (in_.expired()) return deadline();
            read_error_ = rc;  // the end of what can be read; judge_input() decides
            break;
        }
        result<void> r = ok();
        if (pkt_->stream_index == vst_->index)
            r = decode(vdec_.get(), pkt_.get(), true);
        else if (ast_ && pkt_->stream_index == ast_->index)
            r = decode(adec_.get(), pkt_.get(), false);
        av_packet_unref(pkt_.get());
        if (!r) return r;
    }
    // Flush every stage in order: decoders, filters, encoders.
    if (auto r = decode(vdec_.get(), nullptr, true); !r) return r;
    if (auto r = filter_video(nullptr); !r) return r;
    if (auto r = judge_input(); !r) return r;
    if (auto r = encode_video(nullptr); !r) return r;
    if (adec_) {
        if (auto r = decode(adec_.get(), nullptr, false); !r) return r;
        if (auto r = filter_audio(nullptr); !r) return r;
        if (auto r = encode_audio(nullptr); !r) return r;
    }
    if (in_.expired()) return deadline();
    const int rc = av_write_trailer(out_.get());
    if (rc < 0) return mux_failure("cannot finish the MP4 file", rc);
    return ok();
}

// ---- the whole job ------------------------------------------------------------------------

// Removes what a failed call wrote, so a retry starts from nothing.
struct written_files {
    std::vector<std::filesystem::path> paths;
    bool keep = false;
    ~written_files() {
        std::error_code ec;
        for (const auto& p : paths)
            if (!keep || p.extension() == ".part" || p.extension() == ".png")
                std::filesystem::remove(p, ec);
    }
};

const std::vector<rendition_recipe>& poster_recipes() {
    static const std::vector<rendition_recipe> recipes = [] {
        std::vector<rendition_recipe> out;
        for (const auto& r : default_image_recipes())
            if (r.name == "thumb" || r.name == "preview" || r.name == "preview_jpeg")
                out.push_back(r);
        return out;
    }();
    return recipes;
}

result<video_result> make(const std::filesystem::path& input, std::string_view sniffed_mime,
                          const std::filesystem::path& out_dir, const av_limits& limits,
                          const image_limits& image) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(input, ec))
        return make_error(errc::internal, "the input file is missing");
    auto opened = av_input::open(input, sniffed_mime, limits);
    if (!opened) return opened.error();
    av_input& in = **opened;
    AVFormatContext* fmt = in.format();

    // Step 2.
    const int v = pick_video_stream(fmt);
    if (v < 0) return make_error(errc::unprocessable, "the file has no video stream");
    int a = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, v, nullptr, 0);
    if (a < 0) a = -1;
    for (unsigned i = 0; i < fmt->nb_streams; ++i)
        if (static_cast<int>(i) != v && static_cast<int>(i) != a)
            fmt->streams[i]->discard = AVDISCARD_ALL;
    orientation o = orientation_of(fmt->streams[v]);
    video_result out;
    out.info = describe(fmt, fmt->streams[v], a >= 0 ? fmt->streams[a] : nullptr, o);
    const auto size = fit_720p(out.info.width, out.info.height);

    std::filesystem::create_directories(out_dir, ec);
    if (ec)
        return make_error(errc::internal, "cannot create the output directory: " + ec.message());
    const auto video_path = out_dir / (std::string(k_video_name) + ".mp4");
    const auto part_path = out_dir / (std::string(k_video_name) + ".mp4.part");
    const auto poster_path = out_dir / ".poster.png";
    written_files written;
    written.paths = {part_path, video_path, poster_path};

    // Steps 3 to 5, with the poster picked on the way.
    poster_picker poster(out.info.duration);
    {
        transcoder t(in, v, a, o, size, poster);
        if (auto r = t.open(part_path); !r) return r.error();
        if (auto r = t.run(); !r) return r.error();
        // What plays, rather than what the container claims.
        out.info.duration = t.written_seconds();
    }
    std::filesystem::rename(part_path, video_path, ec);
    if (ec) return make_error(errc::internal, "cannot write video_720p.mp4: " + ec.message());

    // Step 6.
    const AVFrame* frame = poster.chosen();
    if (frame == nullptr)
        return make_error(errc::unprocessable, "the video has no frame for a poster");
    if (auto r = write_png(frame, poster_path); !r) return r.error();
    auto images = make_frame_renditions(poster_path, out_dir, poster_recipes(), image);
    if (!images) return images.error();
    out.files = std::move(images->files);
    out.files.push_back({k_video_name, video_path, "video/mp4", size.first, size.second});
    written.keep = true;
    return out;
}

}  // namespace

result<video_result> make_video_renditions(const std::filesystem::path& input,
                                           std::string_view sniffed_mime,
                                           const std::filesystem::path& out_dir,
                                           const av_limits& limits, const image_limits& image) {
    try {
        return make(input, sniffed_mime, out_dir, limits, image);
    } catch (const std::bad_alloc&) {
        return make_error(errc::unprocessable, "the video needs more memory than this worker has");
    } catch (const std::exception& e) {
        return make_error(errc::internal, std::string("video renditions failed: ") + e.what());
    }
}

}  // namespace kho::media
