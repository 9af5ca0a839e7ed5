// The media worker's video path (media/video_renditions.hpp) as kho-worker
// runs it on a file the server sniffed as video: open, probe, decode,
// filter, encode the 720p web video and the poster renditions, with a
// short deadline (the worker's own guard against slow files, which is
// therefore an expected refusal here, not a finding).
// Properties: a bad file is unsupported_media_type or unprocessable and
// leaves no rendition behind; a good one gives the three poster images and
// an H.264 MP4 that stands within 1280×720 with even sides.
//
// Input: a whole file.

#include "core/media_types.hpp"
#include "fuzz/media_support.hpp"
#include "media/type_sniffer.hpp"
#include "media/video_renditions.hpp"
#include "media/vips_runtime.hpp"

#include <cmath>

namespace media = kho::media;

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
    (void)argc;
    media::quiet_av_logs();
    KHO_FUZZ_CHECK(media::init_vips((*argv)[0], /*allow_svg_pdf=*/false));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto in = kho::fuzz::sniffed_input(
        data, size, [](const auto& t) { return t.family == kho::media_family::video; });
    if (!in) return 0;
    media::av_limits limits;
    limits.deadline = std::chrono::seconds(10);
    media::image_limits image;
    image.max_pixels = 4'000'000;

    auto made = media::make_video_renditions(in->file, in->mime, in->out, limits, image);
    if (!made) {
        kho::fuzz::check_clean_refusal(made.error());
        return 0;
    }
    const auto& info = made->info;
    KHO_FUZZ_CHECK(std::isfinite(info.duration) && info.duration >= 0);
    KHO_FUZZ_CHECK(info.rotation == 0 || info.rotation == 90 || info.rotation == 180 ||
                   info.rotation == 270);
    KHO_FUZZ_CHECK(info.width > 0 && info.height > 0);
    KHO_FUZZ_CHECK(made->files.size() == 4);
    for (const auto& f : made->files) {
        KHO_FUZZ_CHECK(std::filesystem::is_regular_file(f.path));
        KHO_FUZZ_CHECK(f.width >= 1 && f.height >= 1);
    }
    const auto& video = made->files.back();
    KHO_FUZZ_CHECK(video.name == "video_720p" && video.content_type == "video/mp4");
    KHO_FUZZ_CHECK(video.width % 2 == 0 && video.height % 2 == 0);
    KHO_FUZZ_CHECK(std::max(video.width, video.height) <= 1280 &&
                   std::min(video.width, video.height) <= 720);
    auto written = media::sniff(kho::fuzz::read_file(video.path).substr(0, media::sniff_bytes));
    KHO_FUZZ_CHECK(written && written->mime == "video/mp4");
    return 0;
}
