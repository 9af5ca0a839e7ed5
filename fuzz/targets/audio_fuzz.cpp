// The media worker's audio path (media/audio_renditions.hpp) as kho-worker
// runs it on a file the server sniffed as audio: open, decode, measure
// loudness, normalize, encode M4A and MP3, draw the waveform; with a short
// deadline (the worker's guard against slow files: an expected refusal).
// Properties: a bad file is unsupported_media_type or unprocessable and
// leaves no rendition behind; a good one gives the four files, and
// waveform.json holds 1000 peaks within 0..1 and a finite duration.
//
// Input: a whole file.

#include "core/media_types.hpp"
#include "fuzz/media_support.hpp"
#include "media/audio_renditions.hpp"
#include "media/type_sniffer.hpp"
#include "media/vips_runtime.hpp"

#include <nlohmann/json.hpp>

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
        data, size, [](const auto& t) { return t.family == kho::media_family::audio; });
    if (!in) return 0;
    media::av_limits limits;
    limits.deadline = std::chrono::seconds(10);

    auto made = media::make_audio_renditions(in->file, in->mime, in->out, limits);
    if (!made) {
        kho::fuzz::check_clean_refusal(made.error());
        return 0;
    }
    const auto& info = made->info;
    KHO_FUZZ_CHECK(std::isfinite(info.duration) && info.duration >= 0);
    KHO_FUZZ_CHECK(std::isfinite(info.integrated_lufs) && std::isfinite(info.gain_db));
    KHO_FUZZ_CHECK(info.normalization == "linear" || info.normalization == "limited" ||
                   info.normalization == "none");
    KHO_FUZZ_CHECK(made->files.size() == 4);
    for (const auto& f : made->files) KHO_FUZZ_CHECK(std::filesystem::is_regular_file(f.path));

    auto wave = nlohmann::json::parse(kho::fuzz::read_file(made->files[2].path), nullptr, false);
    KHO_FUZZ_CHECK(wave.is_object() && wave["points"].is_array());
    KHO_FUZZ_CHECK(wave["points"].size() == static_cast<std::size_t>(media::waveform_points));
    for (const auto& p : wave["points"])
        KHO_FUZZ_CHECK(p.is_number() && p.get<double>() >= 0 && p.get<double>() <= 1);
    KHO_FUZZ_CHECK(wave["duration"].is_number() && std::isfinite(wave["duration"].get<double>()));
    return 0;
}
