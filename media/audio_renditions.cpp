#include "media/audio_renditions.hpp"

#include "media/vips_runtime.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
#include <libavutil/samplefmt.h>
#include <libswresample/swresample.h>
}

#include <nlohmann/json.hpp>
#include <vips/vips8>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
#include <memory>
#include <new>
#include <stdexcept>
#include <system_error>

namespace kho::media {
namespace {

using steady = std::chrono::steady_clock;

constexpr int k_rate = 48000;                // every rendition's sample rate
constexpr std::int64_t k_bit_rate = 128000;  // both encoders
constexpr int k_max_channels = 32;           // what kho downmixes at most
constexpr int k_min_rate = 8000;             // Hz, telephone recordings
constexpr int k_max_rate = 768000;           // Hz
constexpr double k_silence_lufs = -69.95;    // at or below: only the absolute gate
constexpr double k_short_s = 1.0;            // below: "too short" rather than "silent"

// ---- FFmpeg ownership --------------------------------------------------------

struct frame_free {
    void operator()(AVFrame* f) const noexcept { av_frame_free(&f); }
};
struct packet_free {
    void operator()(AVPacket* p) const noexcept { av_packet_free(&p); }
};
struct codec_free {
    void operator()(AVCodecContext* c) const noexcept { avcodec_free_context(&c); }
};
struct graph_free {
    void operator()(AVFilterGraph* g) const noexcept { avfilter_graph_free(&g); }
};
struct inout_free {
    void operator()(AVFilterInOut* io) const noexcept { avfilter_inout_free(&io); }
};
struct output_free {
    void operator()(AVFormatContext* oc) const noexcept {
        if (oc->pb != nullptr && (oc->oformat->flags & AVFMT_NOFILE) == 0) avio_closep(&oc->pb);
        avformat_free_context(oc);
    }
};
using frame_ptr = std::unique_ptr<AVFrame, frame_free>;
using packet_ptr = std::unique_ptr<AVPacket, packet_free>;
using codec_ptr = std::unique_ptr<AVCodecContext, codec_free>;
using graph_ptr = std::unique_ptr<AVFilterGraph, graph_free>;
using inout_ptr = std::unique_ptr<AVFilterInOut, inout_free>;
using output_ptr = std::unique_ptr<AVFormatContext, output_free>;

frame_ptr new_frame() {
    frame_ptr f(av_frame_alloc());
    if (!f) throw std::bad_alloc();
    return f;
}

packet_ptr new_packet() {
    packet_ptr p(av_packet_alloc());
    if (!p) throw std::bad_alloc();
    return p;
}

// ---- time --------------------------------------------------------------------

// The one deadline of a call; every reopening of the input gets what is left.
struct job_clock {
    steady::time_point deadline;
    std::chrono::seconds budget;

    bool expired() const noexcept { return steady::now() >= deadline; }
    error late() const {
        return make_error(errc::unprocessable, "processing the audio took longer than the " +
                                                   std::to_string(budget.count()) + " s limit");
    }
    av_limits remaining(av_limits limits) const {
        auto left = std::chrono::ceil<std::chrono::seconds>(deadline - steady::now());
        limits.deadline = std::max(left, std::chrono::seconds(1));
        return limits;
    }
};

std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", s);
    return buf;
}

// An FFmpeg failure on the output side: a full disk is the operator's
// problem, anything else is kho's.
error output_failed(const std::string& what, int rc) {
    if (rc == AVERROR(ENOSPC)) return make_error(errc::insufficient_storage, "the disk is full");
    return make_error(errc::internal, what + " failed (" + av_error_text(rc) + ")");
}

// ---- step 1: the original's audio, decoded -----------------------------------------

struct source_info {
    std::string codec;
    std::int64_t bit_rate = 0;
    double declared_s = 0;  // what the container says; 0 when unknown or a guess
};

struct decode_stats {
    std::int64_t packets = 0;
    std::int64_t failed = 0;
    std::string first_failure;
};

class audio_decoder {
  public:
    static result<audio_decoder> open(const std::filesystem::path& input, std::string_view mime,
                                      const av_limits& limits) {
        auto in = av_input::open(input, mime, limits);
        if (!in) return in.error();
        AVFormatContext* fmt = (*in)->format();
        const AVCodec* codec = nullptr;
        const int index = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
        if (index < 0 || codec == nullptr) {
            const AVStream* any = nullptr;
            for (unsigned i = 0; i < fmt->nb_streams && any == nullptr; ++i)
                if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
                    any = fmt->streams[i];
            if (any == nullptr)
                return make_error(errc::unprocessable, "the file has no audio stream");
            // av_find_best_stream skips audio without a rate or channels: the
            // demuxer could not make sense of it (a WAV sent as FLAC, say).
            if (index == AVERROR_STREAM_NOT_FOUND)
                return make_error(errc::unprocessable, "the audio stream cannot be read as " +
                                                           std::string(mime) +
                                                           " (no sample rate or channels found)");
            return make_error(errc::unsupported_media_type,
                              std::string("kho has no decoder for ") +
                                  avcodec_get_name(any->codecpar->codec_id) + " audio");
        }
        for (unsigned i = 0; i < fmt->nb_streams; ++i)
            if (static_cast<int>(i) != index) fmt->streams[i]->discard = AVDISCARD_ALL;
        AVStream* st = fmt->streams[index];
        const AVCodecParameters* par = st->codecpar;
        if (par->ch_layout.nb_channels > k_max_channels)
            return make_error(errc::unprocessable, "the audio has " +
                                                       std::to_string(par->ch_layout.nb_channels) +
                                                       " channels; kho downmixes at most " +
                                                       std::to_string(k_max_channels));

        codec_ptr dec(avcodec_alloc_context3(codec));
        if (!dec) throw std::bad_alloc();
        int rc = avcodec_parameters_to_context(dec.get(), par);
        if (rc < 0)
            return make_error(errc::unprocessable, "the audio stream's parameters are invalid (" +
                                                       av_error_text(rc) + ")");
        dec->pkt_timebase = st->time_base;
        dec->thread_count = 1;       // the worker's pool decides concurrency
        dec->max_samples = 1 << 18;  // no single frame larger than this
        rc = avcodec_open2(dec.get(), codec, nullptr);
        if (rc < 0)
            return make_error(errc::unprocessable, std::string("the ") + codec->name +
                                                       " audio cannot be decoded (" +
                                                       av_error_text(rc) + ")");

        audio_decoder d;
        d.source_.codec = avcodec_get_name(par->codec_id);
        d.source_.bit_rate =
            par->bit_rate > 0 ? par->bit_rate : std::max<std::int64_t>(fmt->bit_rate, 0);
        // A duration guessed from the bit rate (VBR MP3 without an Info
        // header) is no evidence of truncation.
        if (fmt->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE) {
            if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
                d.source_.declared_s = static_cast<double>(st->duration) * av_q2d(st->time_base);
            else if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
                d.source_.declared_s = static_cast<double>(fmt->duration) / AV_TIME_BASE;
        }
        d.input_ = std::move(*in);
        d.stream_ = index;
        d.dec_ = std::move(dec);
        return d;
    }

    const source_info& source() const noexcept { return source_; }

    // Calls on_frame for every decoded frame, in order. Packets the decoder
    // refuses are skipped and counted; a read error ends the stream as EOF
    // would (the file is judged afterwards by what was decoded).
    result<decode_stats> run(const job_clock& clock,
                             const std::function<result<void>(AVFrame*)>& on_frame) {
        decode_stats stats;
        auto note_failure = [&](int rc) {
            ++stats.failed;
            if (stats.first_failure.empty()) stats.first_failure = av_error_text(rc);
        };
        packet_ptr pkt = new_packet();
        frame_ptr frame = new_frame();
        AVFormatContext* fmt = input_->format();
        bool draining = false;
        for (;;) {
            if (clock.expired() || input_->expired()) return clock.late();
            if (!draining) {
                int rc = av_read_frame(fmt, pkt.get());
                if (rc == AVERROR(EAGAIN)) continue;
                if (rc < 0) {
                    if (input_->expired()) return clock.late();
                    draining = true;
                    avcodec_send_packet(dec_.get(), nullptr);
                } else if (pkt->stream_index != stream_) {
                    av_packet_unref(pkt.get());
                    continue;
                } else {
                    ++stats.packets;
                    rc = avcodec_send_packet(dec_.get(), pkt.get());
                    av_packet_unref(pkt.get());
                    if (rc < 0 && rc != AVERROR_EOF) note_failure(rc);
                }
            }
            for (;;) {
                int rc = avcodec_receive_frame(dec_.get(), frame.get());
                if (rc == AVERROR_EOF) return stats;
                if (rc == AVERROR(EAGAIN)) {
                    if (draining) return stats;
                    break;
                }
                if (rc < 0) {
                    note_failure(rc);
                    if (draining) return stats;
                    break;
                }
                auto r = on_frame(frame.get());
                av_frame_unref(frame.get());
                if (!r) return r.error();
            }
        }
    }

  private:
    audio_decoder() = default;
    std::unique_ptr<av_input> input_;
    int stream_ = -1;
    codec_ptr dec_;
    source_info source_;
};

// ---- filter graphs ---------------------------------------------------------------------

struct swr_free_fn {
    void operator()(SwrContext* s) const noexcept { swr_free(&s); }
};
using swr_ptr = std::unique_ptr<SwrContext, swr_free_fn>;

constexpr const char* k_meter = "ebur128=peak=true:metadata=1";
constexpr const char* k_pcm = "aformat=sample_fmts=dbl:sample_rates=48000:channel_layouts=stereo";

struct gain_plan {
    double gain_db = 0;
    bool limit = false;
};

std::string gain_chain(const gain_plan& plan) {
    char buf[320];
    if (!plan.limit) {
        std::snprintf(buf, sizeof buf, "volume=%.4fdB:precision=double", plan.gain_db);
        return buf;
    }
    // A lookahead limiter on 4× oversampled audio bounds the true peak, not
    // just the samples; `latency` keeps the timing and length unchanged.
    std::snprintf(buf, sizeof buf,
                  "volume=%.4fdB:precision=double,aresample=192000,"
                  "alimiter=limit=%.6f:level=0:latency=1:attack=5:release=50,"
                  "aresample=48000,%s",
                  plan.gain_db, std::pow(10.0, audio_ceiling_dbtp / 20.0), k_pcm);
    return buf;
}

// One decode of the input through one filter graph. Decoded frames are first
// converted to 48 kHz stereo doubles (5.1 downmixed, mono spread to both
// sides) with libswresample, the library behind `aresample`: a graph's input
// format is fixed once configured, and rebuilding it would restart the
// loudness meter, whereas the converter follows a stream whose rate or
// channels change (joined files, a damaged frame header) without a seam.
class audio_pass {
  public:
    // `chain` reads [in] (48 kHz stereo doubles) and writes [o0], [o1], ...
    // (`outputs` of them); frame_sizes[i] > 0 makes output i deliver frames
    // of exactly that many samples (the last one may be shorter).
    audio_pass(const std::string& chain, int outputs, const std::vector<int>& frame_sizes = {}) {
        av_channel_layout_default(&stereo_, 2);
        build(chain, outputs, frame_sizes);
    }

    // Decodes `decoder` to the end and hands every frame of output i to
    // on_output(i, frame). Frames the converter cannot take (a rate or
    // channel count out of range) count as failed packets.
    result<decode_stats> run(audio_decoder& decoder, const job_clock& clock,
                             const av_limits& limits,
                             const std::function<result<void>(int, AVFrame*)>& on_output) {
        on_output_ = &on_output;
        auto stats = decoder.run(clock, [&](AVFrame* f) { return push(f, limits); });
        if (!stats) return stats.error();
        if (swr_)
            if (auto r = convert(nullptr); !r) return r.error();
        if (int rc = av_buffersrc_add_frame_flags(src_, nullptr, 0); rc < 0)
            return make_error(errc::internal,
                              "ending the audio filter graph failed (" + av_error_text(rc) + ")");
        if (auto r = pull(); !r) return r.error();
        stats->failed += refused_;
        if (stats->first_failure.empty()) stats->first_failure = refused_reason_;
        return stats;
    }

    // The first decoded frame's rate and channels; seconds decoded.
    int input_rate() const noexcept { return first_rate_; }
    int input_channels() const noexcept { return first_channels_; }
    double input_seconds() const noexcept { return seconds_in_; }

    ~audio_pass() {
        av_channel_layout_uninit(&stereo_);
        av_channel_layout_uninit(&in_layout_);
    }
    audio_pass(const audio_pass&) = delete;
    audio_pass& operator=(const audio_pass&) = delete;

  private:
    const std::function<result<void>(int, AVFrame*)>* on_output_ = nullptr;
    graph_ptr graph_;
    AVFilterContext* src_ = nullptr;
    std::vector<AVFilterContext*> sinks_;
    std::vector<bool> ended_;
    AVChannelLayout stereo_{};
    frame_ptr out_ = new_frame();

    swr_ptr swr_;
    int in_format_ = -1;
    int in_rate_ = 0;
    AVChannelLayout in_layout_{};
    int first_rate_ = 0;
    int first_channels_ = 0;
    double seconds_in_ = 0;
    std::int64_t samples48_ = 0;
    std::int64_t refused_ = 0;
    std::string refused_reason_;

    // A bad chain is kho's bug: thrown, reported as errc::internal.
    void build(const std::string& chain, int outputs, const std::vector<int>& frame_sizes) {
        auto check = [&](int rc, const char* what) {
            if (rc == AVERROR(ENOMEM)) throw std::bad_alloc();
            if (rc < 0)
                throw std::runtime_error(std::string(what) + " for \"" + chain + "\" failed (" +
                                         av_error_text(rc) + ")");
        };
        graph_.reset(avfilter_graph_alloc());
        if (!graph_) throw std::bad_alloc();
        graph_->nb_threads = 1;
        src_ = avfilter_graph_alloc_filter(graph_.get(), avfilter_get_by_name("abuffer"), "in");
        if (src_ == nullptr) throw std::bad_alloc();
        std::unique_ptr<AVBufferSrcParameters, decltype(&av_free)> params(
            av_buffersrc_parameters_alloc(), &av_free);
        if (!params) throw std::bad_alloc();
        params->format = AV_SAMPLE_FMT_DBL;
        params->sample_rate = k_rate;
        params->time_base = AVRational{1, k_rate};
        params->ch_layout = stereo_;  // a native layout owns no memory
        check(av_buffersrc_parameters_set(src_, params.get()), "abuffer");
        check(avfilter_init_str(src_, nullptr), "abuffer");

        inout_ptr outs(avfilter_inout_alloc());
        if (!outs) throw std::bad_alloc();
        outs->name = av_strdup("in");
        outs->filter_ctx = src_;
        outs->pad_idx = 0;
        inout_ptr ins;
        sinks_.assign(outputs, nullptr);
        ended_.assign(outputs, false);
        for (int i = outputs - 1; i >= 0; --i) {
            const std::string name = "o" + std::to_string(i);
            check(avfilter_graph_create_filter(&sinks_[i], avfilter_get_by_name("abuffersink"),
                                               name.c_str(), nullptr, nullptr, graph_.get()),
                  "abuffersink");
            AVFilterInOut* io = avfilter_inout_alloc();
            if (io == nullptr) throw std::bad_alloc();
            io->name = av_strdup(name.c_str());
            io->filter_ctx = sinks_[i];
            io->pad_idx = 0;
            io->next = ins.release();
            ins.reset(io);
        }
        AVFilterInOut* ins_raw = ins.release();
        AVFilterInOut* outs_raw = outs.release();
        const std::string description = "[in]" + chain;
        const int rc = avfilter_graph_parse_ptr(graph_.get(), description.c_str(), &ins_raw,
                                                &outs_raw, nullptr);
        avfilter_inout_free(&ins_raw);
        avfilter_inout_free(&outs_raw);
        check(rc, "parsing the filter graph");
        check(avfilter_graph_config(graph_.get(), nullptr), "configuring the filter graph");
        for (std::size_t i = 0; i < frame_sizes.size() && i < sinks_.size(); ++i)
            if (frame_sizes[i] > 0)
                av_buffersink_set_frame_size(sinks_[i], static_cast<unsigned>(frame_sizes[i]));
    }

    void refuse(const std::string& why) {
        ++refused_;
        if (refused_reason_.empty()) refused_reason_ = why;
    }

    result<void> push(AVFrame* f, const av_limits& limits) {
        // A WAV without a channel mask says "2 channels" and no order: the
        // usual order for that count is what every player assumes.
        if (f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC) {
            const int n = f->ch_layout.nb_channels;
            av_channel_layout_uninit(&f->ch_layout);
            av_channel_layout_default(&f->ch_layout, n);
        }
        const int channels = f->ch_layout.nb_channels;
        if (f->sample_rate < k_min_rate || f->sample_rate > k_max_rate || channels <= 0 ||
            channels > k_max_channels) {
            refuse("a frame of " + std::to_string(channels) + " channels at " +
                   std::to_string(f->sample_rate) + " Hz");
            return ok();
        }
        if (first_rate_ == 0) {
            first_rate_ = f->sample_rate;
            first_channels_ = channels;
        }
        seconds_in_ += static_cast<double>(f->nb_samples) / f->sample_rate;
        if (seconds_in_ > limits.max_duration_s)
            return make_error(errc::unprocessable,
                              "the audio lasts more than " +
                                  std::to_string(static_cast<long long>(limits.max_duration_s)) +
                                  " s, the limit");
        if (!swr_ || f->format != in_format_ || f->sample_rate != in_rate_ ||
            av_channel_layout_compare(&f->ch_layout, &in_layout_) != 0) {
            if (swr_)
                if (auto r = convert(nullptr); !r) return r;  // the old rate's tail
            if (auto r = configure(f); !r) {
                refuse(r.error().detail);
                swr_.reset();
                return ok();
            }
        }
        return convert(f);
    }

    result<void> configure(const AVFrame* f) {
        swr_.reset(swr_alloc());
        if (!swr_) throw std::bad_alloc();
        frame_ptr out = new_frame();
        out->format = AV_SAMPLE_FMT_DBL;
        out->sample_rate = k_rate;
        if (av_channel_layout_copy(&out->ch_layout, &stereo_) < 0) throw std::bad_alloc();
        int rc = swr_config_frame(swr_.get(), out.get(), f);
        if (rc >= 0) rc = swr_init(swr_.get());
        if (rc < 0) {
            char layout[128] = "?";
            av_channel_layout_describe(&f->ch_layout, layout, sizeof layout);
            return make_error(errc::unprocessable, std::string("cannot convert ") + layout +
                                                       " audio to stereo (" + av_error_text(rc) +
                                                       ")");
        }
        in_format_ = f->format;
        in_rate_ = f->sample_rate;
        av_channel_layout_uninit(&in_layout_);
        if (av_channel_layout_copy(&in_layout_, &f->ch_layout) < 0) throw std::bad_alloc();
        return ok();
    }

    // Converts one frame (nullptr: what the resampler still holds) and feeds
    // the graph.
    result<void> convert(const AVFrame* in) {
        frame_ptr out = new_frame();
        out->format = AV_SAMPLE_FMT_DBL;
        out->sample_rate = k_rate;
        if (av_channel_layout_copy(&out->ch_layout, &stereo_) < 0) throw std::bad_alloc();
        int rc = swr_convert_frame(swr_.get(), out.get(), in);
        if (rc == AVERROR(ENOMEM)) throw std::bad_alloc();
        if (rc < 0)
            return make_error(errc::internal,
                              "converting the audio failed (" + av_error_text(rc) + ")");
        if (out->nb_samples <= 0) return ok();
        out->pts = samples48_;
        samples48_ += out->nb_samples;
        rc = av_buffersrc_add_frame_flags(src_, out.get(), 0);
        if (rc == AVERROR(ENOMEM)) throw std::bad_alloc();
        if (rc < 0)
            return make_error(errc::internal,
                              "the audio filter graph refused a frame (" + av_error_text(rc) + ")");
        return pull();
    }

    // Drains every output; a branch left full would stall asplit's others.
    result<void> pull() {
        for (std::size_t i = 0; i < sinks_.size(); ++i) {
            while (!ended_[i]) {
                int rc = av_buffersink_get_frame(sinks_[i], out_.get());
                if (rc == AVERROR(EAGAIN)) break;
                if (rc == AVERROR_EOF) {
                    ended_[i] = true;
                    break;
                }
                if (rc == AVERROR(ENOMEM)) throw std::bad_alloc();
                if (rc < 0)
                    return make_error(errc::internal,
                                      "the audio filter graph failed (" + av_error_text(rc) + ")");
                auto r = (*on_output_)(static_cast<int>(i), out_.get());
                av_frame_unref(out_.get());
                if (!r) return r;
            }
        }
        return ok();
    }
};

// ---- step 2: loudness -------------------------------------------------------------------

// What ebur128 reports in its frames' metadata; the last report covers the
// whole stream.
struct loudness {
    double integrated = -70;
    double true_peak = 0;  // linear
};

void read_meter(const AVFrame* f, loudness& l) {
    if (const AVDictionaryEntry* e = av_dict_get(f->metadata, "lavfi.r128.I", nullptr, 0))
        l.integrated = std::strtod(e->value, nullptr);
    if (const AVDictionaryEntry* e = av_dict_get(f->metadata, "lavfi.r128.true_peak", nullptr, 0))
        l.true_peak = std::strtod(e->value, nullptr);
}

double to_dbtp(double linear) {
    if (!(linear > 0)) return -99;
    return std::clamp(20.0 * std::log10(linear), -99.0, 99.0);
}

struct measurement {
    source_info source;
    int sample_rate = 0;
    int channels = 0;
    double duration = 0;         // seconds decoded
    std::int64_t samples48 = 0;  // after the conversion to 48 kHz
    loudness level;
};

// Judges a decode: is what came out the file's audio, or what is left of it?
result<void> check_decode(const decode_stats& stats, const source_info& source, double decoded_s) {
    if (decoded_s <= 0) {
        std::string why = stats.first_failure.empty() ? "" : " (" + stats.first_failure + ")";
        return make_error(errc::unprocessable, "no audio could be decoded from the file" + why);
    }
    if (stats.failed > 0 && stats.failed * 10 > stats.packets)
        return make_error(errc::unprocessable,
                          "the audio is corrupt: " + std::to_string(stats.failed) + " of " +
                              std::to_string(stats.packets) + " packets could not be decoded (" +
                              stats.first_failure + ")");
    const double declared = source.declared_s;
    if (declared > 0 && decoded_s < declared - std::max(0.5, 0.05 * declared))
        return make_error(errc::unprocessable, "the file is truncated or damaged: it declares " +
                                                   seconds_text(declared) + " of audio but only " +
                                                   seconds_text(decoded_s) + " could be decoded");
    return ok();
}

result<measurement> measure_original(const std::filesystem::path& input, std::string_view mime,
                                     const av_limits& limits, const job_clock& clock) {
    auto dec = audio_decoder::open(input, mime, clock.remaining(limits));
    if (!dec) return dec.error();
    measurement m;
    m.source = dec->source();
    audio_pass pass(std::string(k_meter) + "[o0]", 1);
    auto stats = pass.run(*dec, clock, limits, [&](int, AVFrame* f) {
        read_meter(f, m.level);
        m.samples48 += f->nb_samples;
        return ok();
    });
    if (!stats) return stats.error();
    m.sample_rate = pass.input_rate();
    m.channels = pass.input_channels();
    m.duration = pass.input_seconds();
    if (auto r = check_decode(*stats, m.source, m.duration); !r) return r.error();
    return m;
}

// The loudness of the original through a gain plan, without encoding.
result<loudness> measure_through(const std::filesystem::path& input, std::string_view mime,
                                 const av_limits& limits, const job_clock& clock,
                                 const gain_plan& plan) {
    auto dec = audio_decoder::open(input, mime, clock.remaining(limits));
    if (!dec) return dec.error();
    loudness level;
    audio_pass pass(gain_chain(plan) + "," + k_meter + "[o0]", 1);
    auto stats = pass.run(*dec, clock, limits, [&](int, AVFrame* f) {
        read_meter(f, level);
        return ok();
    });
    if (!stats) return stats.error();
    return level;
}

// ---- step 3: the gain ----------------------------------------------------------------------

struct normalization {
    gain_plan plan;
    std::string mode = "none";
    std::string note;
};

result<normalization> plan_gain(const std::filesystem::path& input, std::string_view mime,
                                const av_limits& limits, const job_clock& clock,
                                const measurement& m) {
    normalization n;
    // Nothing passed the absolute gate: silence, or too short for a single
    // 400 ms gating block (ebur128 needs a little more than that).
    if (m.level.integrated <= k_silence_lufs) {
        n.note = m.duration < k_short_s
                     ? "The audio is too short to measure its loudness (EBU R128 needs 0.4 s); "
                       "the renditions are not normalized."
                     : "The audio is silent (quieter than -70 LUFS throughout); the renditions "
                       "are not normalized.";
        return n;
    }
    n.plan.gain_db = audio_target_lufs - m.level.integrated;
    if (to_dbtp(m.level.true_peak) + n.plan.gain_db <= audio_ceiling_dbtp) {
        n.mode = "linear";
        return n;
    }
    // Peaks above the ceiling are limited; what the limiter takes off the
    // peaks it also takes off the loudness, so measure and correct.
    n.mode = "limited";
    n.plan.limit = true;
    for (int i = 0; i < 2; ++i) {
        auto level = measure_through(input, mime, limits, clock, n.plan);
        if (!level) return level.error();
        const double miss = audio_target_lufs - level->integrated;
        if (std::abs(miss) <= 0.2) break;
        n.plan.gain_db += miss;
    }
    return n;
}

// ---- step 4: encode ---------------------------------------------------------------------------

// One encoder writing one file.
class encoded_file {
  public:
    // `muxer` as FFmpeg names it ("ipod" writes .m4a, "mp3").
    static result<std::unique_ptr<encoded_file>> open(const std::filesystem::path& path,
                                                      const char* muxer, const AVCodec* codec,
                                                      const char* mux_options) {
        std::unique_ptr<encoded_file> f(new encoded_file());
        f->label_ = path.filename().string();
        // "file:" so that a ':' in the path is never read as a protocol.
        const std::string url = "file:" + path.string();
        AVFormatContext* oc = nullptr;
        int rc = avformat_alloc_output_context2(&oc, nullptr, muxer, url.c_str());
        if (rc < 0 || oc == nullptr) return output_failed("creating " + f->label_, rc);
        f->oc_.reset(oc);

        f->enc_.reset(avcodec_alloc_context3(codec));
        if (!f->enc_) throw std::bad_alloc();
        AVCodecContext* enc = f->enc_.get();
        enc->sample_rate = k_rate;
        enc->bit_rate = k_bit_rate;
        enc->time_base = AVRational{1, k_rate};
        enc->thread_count = 1;
        av_channel_layout_default(&enc->ch_layout, 2);
        enc->sample_fmt = pick_format(codec);
        if (oc->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        rc = avcodec_open2(enc, codec, nullptr);
        if (rc < 0)
            return make_error(errc::internal, std::string("opening the ") + codec->name +
                                                  " encoder failed (" + av_error_text(rc) + ")");

        f->st_ = avformat_new_stream(oc, nullptr);
        if (f->st_ == nullptr) throw std::bad_alloc();
        f->st_->time_base = enc->time_base;
        rc = avcodec_parameters_from_context(f->st_->codecpar, enc);
        if (rc < 0) return output_failed("setting up " + f->label_, rc);

        rc = avio_open2(&oc->pb, url.c_str(), AVIO_FLAG_WRITE, nullptr, nullptr);
        if (rc < 0) return output_failed("creating " + f->label_, rc);
        AVDictionary* opts = nullptr;
        if (mux_options != nullptr) av_dict_parse_string(&opts, mux_options, "=", ":", 0);
        rc = avformat_write_header(oc, &opts);
        av_dict_free(&opts);
        if (rc < 0) return output_failed("writing " + f->label_, rc);
        return f;
    }

    int frame_size() const noexcept { return enc_->frame_size; }
    const char* sample_format_name() const noexcept {
        return av_get_sample_fmt_name(enc_->sample_fmt);
    }

    // Encodes one frame of 48 kHz stereo in the encoder's sample format;
    // nullptr flushes.
    result<void> write(AVFrame* frame) {
        if (frame != nullptr) {
            frame->pts = next_pts_;
            next_pts_ += frame->nb_samples;
        }
        int rc = avcodec_send_frame(enc_.get(), frame);
        if (rc < 0) return output_failed("encoding " + label_, rc);
        for (;;) {
            rc = avcodec_receive_packet(enc_.get(), pkt_.get());
            if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return ok();
            if (rc < 0) return output_failed("encoding " + label_, rc);
            av_packet_rescale_ts(pkt_.get(), enc_->time_base, st_->time_base);
            pkt_->stream_index = st_->index;
            rc = av_interleaved_write_frame(oc_.get(), pkt_.get());
            if (rc < 0) return output_failed("writing " + label_, rc);
        }
    }

    result<void> finish() {
        if (auto r = write(nullptr); !r) return r;
        if (int rc = av_write_trailer(oc_.get()); rc < 0)
            return output_failed("finishing " + label_, rc);
        if (int rc = avio_closep(&oc_->pb); rc < 0) return output_failed("closing " + label_, rc);
        return ok();
    }

  private:
    encoded_file() = default;
    static AVSampleFormat pick_format(const AVCodec* codec) {
        if (codec->sample_fmts == nullptr) return AV_SAMPLE_FMT_FLTP;
        for (const AVSampleFormat* f = codec->sample_fmts; *f != AV_SAMPLE_FMT_NONE; ++f)
            if (*f == AV_SAMPLE_FMT_FLTP) return *f;
        return codec->sample_fmts[0];
    }

    std::string label_;
    output_ptr oc_;
    codec_ptr enc_;
    AVStream* st_ = nullptr;
    std::int64_t next_pts_ = 0;
    packet_ptr pkt_ = new_packet();
};

// The highest absolute sample of either channel over each thousandth of
// the audio, from the meter branch (packed doubles).
class peak_collector {
  public:
    explicit peak_collector(std::int64_t expected_samples)
        : expected_(std::max<std::int64_t>(expected_samples, 1)), peaks_(waveform_points, -1.0) {}

    void add(const AVFrame* f) {
        const auto* s = reinterpret_cast<const double*>(f->data[0]);
        const int channels = f->ch_layout.nb_channels;
        for (int i = 0; i < f->nb_samples; ++i, ++seen_) {
            const auto bucket = static_cast<std::size_t>(
                std::min<std::int64_t>(seen_ * waveform_points / expected_, waveform_points - 1));
            double& p = peaks_[bucket];
            for (int c = 0; c < channels; ++c) p = std::max(p, std::abs(s[i * channels + c]));
        }
    }

    // Buckets no sample reached (audio shorter than 1000 samples, or a few
    // samples fewer than expected) repeat the one before them.
    std::vector<double> points() const {
        std::vector<double> out(peaks_);
        double last = 0;
        for (double& p : out) {
            if (p < 0) p = last;
            p = std::min(p, 1.0);
            last = p;
        }
        return out;
    }

  private:
    std::int64_t expected_;
    std::int64_t seen_ = 0;
    std::vector<double> peaks_;
};

struct encode_outcome {
    loudness level;
    std::vector<double> points;
};

result<encode_outcome> encode_renditions(const std::filesystem::path& input, std::string_view mime,
                                         const av_limits& limits, const job_clock& clock,
                                         const measurement& m, const gain_plan& plan,
                                         const std::filesystem::path& m4a,
                                         const std::filesystem::path& mp3) {
    const AVCodec* aac = avcodec_find_encoder(AV_CODEC_ID_AAC);
    const AVCodec* lame = avcodec_find_encoder_by_name("libmp3lame");
    if (aac == nullptr) return make_error(errc::internal, "FFmpeg has no AAC encoder");
    if (lame == nullptr) return make_error(errc::internal, "FFmpeg has no libmp3lame encoder");
    auto aac_out = encoded_file::open(m4a, "ipod", aac, "movflags=+faststart");
    if (!aac_out) return aac_out.error();
    auto mp3_out = encoded_file::open(mp3, "mp3", lame, nullptr);
    if (!mp3_out) return mp3_out.error();

    auto dec = audio_decoder::open(input, mime, clock.remaining(limits));
    if (!dec) return dec.error();
    const std::string chain =
        gain_chain(plan) +
        ",asplit=3[a][m][w];[a]aformat=sample_fmts=" + (*aac_out)->sample_format_name() +
        "[o0];[m]aformat=sample_fmts=" + (*mp3_out)->sample_format_name() + "[o1];[w]" + k_meter +
        ",aformat=sample_fmts=dbl[o2]";
    audio_pass pass(chain, 3, {(*aac_out)->frame_size(), (*mp3_out)->frame_size(), 0});
    encode_outcome out;
    peak_collector peaks(m.samples48);
    auto stats = pass.run(*dec, clock, limits, [&](int i, AVFrame* f) -> result<void> {
        if (i == 0) return (*aac_out)->write(f);
        if (i == 1) return (*mp3_out)->write(f);
        read_meter(f, out.level);
        peaks.add(f);
        return ok();
    });
    if (!stats) return stats.error();
    if (auto r = (*aac_out)->finish(); !r) return r.error();
    if (auto r = (*mp3_out)->finish(); !r) return r.error();
    out.points = peaks.points();
    return out;
}

// ---- step 5: waveform.json and the picture
// -------------------------------------------------------

double rounded(double v, double scale) {
    return std::round(v * scale) / scale;
}

void write_text(const std::filesystem::path& path, const std::string& text) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(text.data(), static_cast<std::streamsize>(text.size()));
    file.close();
    if (!file) throw std::runtime_error("cannot write " + path.filename().string());
}

void write_waveform_json(const std::vector<double>& points, double duration,
                         const std::filesystem::path& path) {
    nlohmann::json points_json = nlohmann::json::array();
    for (double p : points) points_json.push_back(rounded(p, 1e4));
    nlohmann::json doc{{"points", std::move(points_json)}, {"duration", rounded(duration, 1e3)}};
    write_text(path, doc.dump());
}

// libvips 8.14.1 ignores webpsave's `strip` (fixed in 8.14.2) and adds an EXIF
// chunk rebuilt from the image's fields. An opaque still picture needs no
// extended container: the bare VP8/VP8L chunk in its RIFF is a complete WebP.
std::string bare_webp(std::string_view webp) {
    auto le32 = [&](std::size_t at) {
        std::uint32_t v = 0;
        for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(webp[at + i]);
        return static_cast<std::size_t>(v);
    };
    if (webp.size() < 12 || webp.substr(0, 4) != "RIFF" || webp.substr(8, 4) != "WEBP")
        throw std::runtime_error("webpsave wrote no WebP");
    for (std::size_t at = 12; at + 8 <= webp.size();) {
        const auto fourcc = webp.substr(at, 4);
        const std::size_t size = le32(at + 4);
        if (size > webp.size() - at - 8) break;
        if (fourcc == "VP8 " || fourcc == "VP8L") {
            std::string chunk(webp.substr(at, 8 + size));
            if (size & 1) chunk += '\0';
            const auto riff = static_cast<std::uint32_t>(4 + chunk.size());
            std::string out = "RIFF";
            for (int i = 0; i < 4; ++i) out += static_cast<char>((riff >> (8 * i)) & 0xff);
            return out + "WEBP" + chunk;
        }
        at += 8 + size + (size & 1);
    }
    throw std::runtime_error("webpsave wrote a WebP without an image chunk");
}

struct blob_unref {
    void operator()(VipsBlob* b) const noexcept { vips_area_unref(VIPS_AREA(b)); }
};

// Bars mirrored around the middle line, one per column, the column's highest
// peak high; silence leaves the middle line.
void draw_waveform(const std::vector<double>& points, const std::filesystem::path& path) {
    using vips::VImage;
    constexpr int w = waveform_width;
    constexpr int h = waveform_height;
    const double middle = (h - 1) / 2.0;
    std::vector<double> half(w);
    for (int x = 0; x < w; ++x) {
        const std::size_t lo = static_cast<std::size_t>(x) * points.size() / w;
        const std::size_t hi =
            std::max(lo + 1, static_cast<std::size_t>(x + 1) * points.size() / w);
        double p = 0;
        for (std::size_t i = lo; i < hi && i < points.size(); ++i) p = std::max(p, points[i]);
        half[x] = std::max(0.5, p * (middle - 1));
    }
    VImage bars = VImage::new_matrix(w, 1, half.data(), w).cast(VIPS_FORMAT_FLOAT).replicate(1, h);
    VImage distance = (VImage::xyz(w, h).extract_band(1).cast(VIPS_FORMAT_FLOAT) - middle).abs();
    VImage picture =
        (distance <= bars)
            .ifthenelse(std::vector<double>{37, 99, 235}, std::vector<double>{248, 250, 252})
            .cast(VIPS_FORMAT_UCHAR)
            .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
    std::unique_ptr<VipsBlob, blob_unref> blob(
        picture.webpsave_buffer(VImage::option()->set("strip", true)->set("Q", 85)));
    std::size_t length = 0;
    const void* data = vips_blob_get(blob.get(), &length);
    write_text(path, bare_webp({static_cast<const char*>(data), length}));
}

// ---- the whole recipe
// ---------------------------------------------------------------------------------

// Removes what a failed call wrote, so a retry starts from nothing.
struct written_files {
    std::vector<std::filesystem::path> paths;
    bool keep = false;
    ~written_files() {
        if (keep) return;
        std::error_code ec;
        for (const auto& p : paths) std::filesystem::remove(p, ec);
    }
};

result<audio_result> render(const std::filesystem::path& input, std::string_view mime,
                            const std::filesystem::path& out_dir, const av_limits& limits) {
    const job_clock clock{steady::now() + limits.deadline, limits.deadline};

    // Steps 1 and 2.
    auto m = measure_original(input, mime, limits, clock);
    if (!m) return m.error();
    audio_result out;
    audio_info& info = out.info;
    info.duration = m->duration;
    info.sample_rate = m->sample_rate;
    info.channels = m->channels;
    info.codec = m->source.codec;
    info.bit_rate = m->source.bit_rate;
    info.integrated_lufs = std::max(m->level.integrated, -70.0);
    info.true_peak_dbtp = to_dbtp(m->level.true_peak);

    // Step 3.
    auto n = plan_gain(input, mime, limits, clock, *m);
    if (!n) return n.error();
    info.normalization = n->mode;
    info.gain_db = n->plan.gain_db;
    info.note = n->note;
    if (clock.expired()) return clock.late();

    // Step 4.
    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    if (ec)
        return make_error(errc::internal, "cannot create the output directory: " + ec.message());
    written_files written;
    const auto m4a = out_dir / "audio_m4a.m4a";
    const auto mp3 = out_dir / "audio_mp3.mp3";
    const auto json = out_dir / "waveform.json";
    const auto thumb = out_dir / "thumb.webp";
    written.paths = {m4a, mp3, json, thumb};
    auto encoded = encode_renditions(input, mime, limits, clock, *m, n->plan, m4a, mp3);
    if (!encoded) return encoded.error();
    info.output_lufs = std::max(encoded->level.integrated, -70.0);
    info.output_true_peak_dbtp = to_dbtp(encoded->level.true_peak);
    if (clock.expired()) return clock.late();

    // Step 5.
    try {
        write_waveform_json(encoded->points, info.duration, json);
        vips_error_clear();
        draw_waveform(encoded->points, thumb);
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        return make_error(errc::internal, std::string("writing the waveform failed: ") + e.what());
    }
    out.files = {
        {"audio_m4a", m4a, "audio/mp4", 0, 0},
        {"audio_mp3", mp3, "audio/mpeg", 0, 0},
        {"waveform", json, "application/json", 0, 0},
        {"thumb", thumb, "image/webp", waveform_width, waveform_height},
    };
    written.keep = true;
    return out;
}

}  // namespace

result<audio_result> make_audio_renditions(const std::filesystem::path& input,
                                           std::string_view sniffed_mime,
                                           const std::filesystem::path& out_dir,
                                           const av_limits& limits) {
    if (demuxers_for(sniffed_mime).empty())
        return make_error(errc::unsupported_media_type, "kho makes no audio renditions of " +
                                                            std::string(sniffed_mime) + " files");
    if (!vips_ready())
        return make_error(errc::internal, "init_vips() was not called in this process");
    try {
        return render(input, sniffed_mime, out_dir, limits);
    } catch (const std::bad_alloc&) {
        return make_error(errc::unprocessable, "the audio needs more memory than this worker has");
    } catch (const std::exception& e) {
        return make_error(errc::internal, std::string("audio renditions failed: ") + e.what());
    }
}

}  // namespace kho::media
