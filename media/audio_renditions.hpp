#pragma once
// Audio renditions: one untrusted audio file in, four files out: two
// loudness-normalized listening copies, the waveform's peaks as JSON and a
// waveform picture. A pure function over files, meant to run inside the
// sandboxed media worker; no storage, no HTTP. Needs init_vips()
// (media/vips_runtime.hpp) for the picture.
//
// The pipeline, in order (the deadline is checked between and inside steps):
//   1. open     av_input::open (protocol and demuxer whitelists, caps), the
//               best audio stream, its decoder; other streams are discarded
//   2. measure  decode everything once, convert to 48 kHz stereo (5.1 is
//               downmixed, mono spread to both sides; libswresample, which
//               also follows a stream whose rate or channels change), then
//               `ebur128=peak=true`: integrated loudness and true peak of
//               exactly what is encoded
//   3. gain     G = -16 LUFS - measured. When the true peak plus G stays at
//               or below the -1.5 dBTP ceiling: one linear gain ("linear").
//               Otherwise G, then a true-peak limiter (`alimiter` at 192 kHz,
//               lookahead, delay compensated), and G is corrected by up to
//               two measuring runs of that chain, because limiting removes
//               loudness with the peaks ("limited"). loudnorm is not used: its
//               dynamic mode compresses the loudness range and misses the
//               target by more than 1 LU on short or peaky material, and it
//               reports only through av_log.
//   4. encode   decode again through the chosen chain, `asplit` into
//               AAC 128 kb/s in M4A (faststart) and libmp3lame 128 kb/s CBR
//               MP3, both 48 kHz stereo, and an `ebur128` meter that also
//               yields the waveform's peaks and the output's loudness
//   5. draw     waveform.json and a 640×160 WebP drawn with libvips
// The -1.5 dBTP ceiling leaves room for the overshoot of lossy coding, so that
// the encoded files stay at or below -1 dBTP. No metadata of the original
// (tags, cover art, chapters) is copied into any rendition.
//
// Truncated and corrupt input: a few undecodable packets (and frames with a
// rate outside 8-768 kHz or more than 32 channels) are skipped, as players
// do. The call fails with errc::unprocessable when more than one in ten
// packets fails, or when the decoded audio ends before the duration the
// container declares by more than 0.5 s or 5 %, whichever is more (a cut-off
// upload, a damaged Ogg page). A file cut where nothing declares its length
// (a CBR MP3 without an Info header, a WAV whose header was rewritten) cannot
// be told from a short one and is rendered as what it holds.
//
// Thread safety: calls may run concurrently on different inputs and output
// directories. Note that FFmpeg's ebur128 filter logs a loudness summary at
// AV_LOG_INFO when it is freed; a worker that wants a quiet stderr lowers
// av_log_set_level() once at start-up (kho does not touch that global here).

#include "core/error.hpp"
#include "media/av_input.hpp"
#include "media/image_renditions.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kho::media {

// Loudness target and ceiling of every audio rendition (EBU R128 / AES TD1004
// for streamed speech).
inline constexpr double audio_target_lufs = -16.0;
inline constexpr double audio_ceiling_dbtp = -1.5;

// Peaks in waveform.json; the picture's size.
inline constexpr int waveform_points = 1000;
inline constexpr int waveform_width = 640;
inline constexpr int waveform_height = 160;

struct audio_info {
    // The original's audio stream.
    double duration = 0;  // seconds of audio decoded (not the container's claim)
    int sample_rate = 0;  // Hz, as decoded
    int channels = 0;     // as decoded
    std::string codec;    // FFmpeg's codec name: "mp3", "aac", "opus", "flac", "pcm_s16le", ...
    std::int64_t bit_rate = 0;  // bits/s the file declares; 0 when it declares none
    // Loudness of the original (after the stereo 48 kHz conversion),
    // EBU R128. integrated_lufs is -70 (the absolute gate) when nothing in the
    // file is louder than that; true_peak_dbtp is -99 for digital silence.
    double integrated_lufs = 0;
    double true_peak_dbtp = 0;

    // What normalization did.
    std::string normalization;  // "linear", "limited" or "none"
    double gain_db = 0;         // gain applied before any limiting
    double output_lufs = 0;     // loudness of the renditions' PCM, before encoding
    double output_true_peak_dbtp = 0;
    // Why the renditions are not normalized ("The audio is silent (quieter
    // than -70 LUFS throughout); ..."), else empty.
    std::string note;
};

struct audio_result {
    audio_info info;
    // audio_m4a (audio_m4a.m4a, audio/mp4), audio_mp3 (audio_mp3.mp3,
    // audio/mpeg), waveform (waveform.json, application/json), thumb
    // (thumb.webp, image/webp; width and height set), in that order.
    std::vector<produced_file> files;
};

// Writes <out_dir>/audio_m4a.m4a, audio_mp3.mp3, waveform.json and thumb.webp
// (creating out_dir if needed, replacing files of the same name). On any error
// none of these files is left.
//
// waveform.json: {"points": [1000 numbers in 0..1], "duration": seconds}; each
// point is the highest absolute sample of both channels of the normalized
// audio over one thousandth of its length.
//
// Silence (nothing above -70 LUFS) and audio shorter than 0.4 s cannot be
// normalized: the renditions are made without gain, normalization is "none"
// and info.note says why. That is not an error.
//
// Errors:
// * errc::unsupported_media_type: no demuxer for `sniffed_mime`, or no decoder
//   for the codec the file holds;
// * errc::unprocessable: the file does not open, has no audio stream, breaks
//   a cap of `limits` (streams, duration, deadline), or is truncated or
//   corrupt (see above); the detail is a sentence for the uploader;
// * errc::insufficient_storage: the disk is full;
// * errc::internal: an encoder is missing (libmp3lame), libvips was not
//   started, or an output could not be written.
// Never throws for bad input.
result<audio_result> make_audio_renditions(const std::filesystem::path& input,
                                           std::string_view sniffed_mime,
                                           const std::filesystem::path& out_dir,
                                           const av_limits& limits = {});

}  // namespace kho::media
