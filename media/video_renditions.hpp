#pragma once
// Video renditions: one untrusted video file in, a web video and poster
// images out. Pure function over files, meant to run inside the sandboxed
// media worker; no storage, no HTTP. Uses the FFmpeg libraries (never the
// ffmpeg program) and, for the poster images, libvips: call init_vips()
// (media/vips_runtime.hpp) once per process first.
//
// The pipeline, in order, with a deadline check between packets:
//   1. open    av_input::open(): only this file, the demuxers of the sniffed
//              type, caps on streams, frame size and duration
//   2. probe   the main video stream (cover art skipped) and the best audio
//              stream; their decoders (none: unsupported_media_type);
//              rotation from the display matrix (or a "rotate" tag)
//   3. filter  libavfilter: bwdif when the video starts interlaced;
//              transpose/hflip/vflip so the picture stands as
//              it is displayed, scale (bicubic) to square pixels that fit
//              1280×720 (longest side <= 1280, shortest <= 720), never
//              enlarged, even dimensions, yuv420p limited range; more than
//              60 frames/s are reduced to 60. Audio: resampled to 48 kHz
//              stereo float (5.1 and mono are down- and up-mixed).
//   4. encode  libx264 High profile, CRF 23, preset veryfast; native AAC
//              LC 128 kb/s. Frame timing is kept (variable frame rates stay
//              variable); the start is moved to 0. Damaged packets are
//              skipped as players skip them; a file whose video stops well
//              short of the length it declares is refused as truncated.
//   5. mux     video_720p.mp4, moov before mdat (movflags=+faststart). No
//              metadata of the original (GPS, device, titles) is copied.
//   6. poster  while encoding, the frames at 10 %, 20 %, ... 90 % of the
//              duration the container states are candidates; the first whose
//              mean luma is above a black threshold wins (else the brightest
//              candidate, else the first frame). It is written as PNG and
//              turned into the "thumb", "preview" and "preview_jpeg" recipes
//              of default_image_recipes() by make_frame_renditions(); the PNG
//              is then removed.
//
// Threads: up to 2 decoder threads and 2 libx264 threads per call. Calls on
// different inputs and output directories may run concurrently.

#include "core/error.hpp"
#include "media/av_input.hpp"
#include "media/image_renditions.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kho::media {

// The original: what its streams say, and how long it turned out to play.
struct video_info {
    double duration = 0;        // seconds of picture and sound decoded (what the web video lasts)
    int width = 0;              // as displayed: after rotation, with the
    int height = 0;             // sample aspect ratio applied
    double fps = 0;             // average frame rate; 0 when unknown
    int rotation = 0;           // 0, 90, 180 or 270: clockwise turn applied for display
    std::string video_codec;    // FFmpeg codec name: "h264", "hevc", "vp9", ...
    std::string audio_codec;    // "" without audio
    std::int64_t bit_rate = 0;  // whole file, bits/s; 0 when unknown
    bool has_audio = false;
};

struct video_result {
    video_info info;
    // thumb, preview, preview_jpeg (as make_frame_renditions names them),
    // then video_720p (<out_dir>/video_720p.mp4, "video/mp4").
    std::vector<produced_file> files;
};

// Writes <out_dir>/video_720p.mp4 and the poster images (creating out_dir if
// needed, replacing files of the same names). On any error none of these
// files is left. Errors:
// * errc::unsupported_media_type: kho has no demuxer for `sniffed_mime`, or
//   this FFmpeg has no decoder for the video or audio codec;
// * errc::unprocessable: the file is not what its type says, is truncated or
//   corrupt, has no video stream, breaks a cap of `limits` (or an image
//   limit for the poster), or the deadline of `limits` passed; the detail is
//   a sentence saying which;
// * errc::internal: the input file is missing, an encoder is missing, an
//   output cannot be written, or init_vips() was not called.
// Never throws for bad input.
result<video_result> make_video_renditions(const std::filesystem::path& input,
                                           std::string_view sniffed_mime,
                                           const std::filesystem::path& out_dir,
                                           const av_limits& limits = {},
                                           const image_limits& image = {});

}  // namespace kho::media
