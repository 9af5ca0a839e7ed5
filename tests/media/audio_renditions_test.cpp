#include "media/audio_renditions.hpp"
#include "media/type_sniffer.hpp"

#include "tests/support/media_commands.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <vips/vips8>

extern "C" {
#include <libavutil/log.h>
}

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

// Fixtures are made at test time with the ffmpeg command-line program, and the
// renditions are judged with ffprobe and ffmpeg's ebur128 filter: tools
// independent of the code under test (the CLI is never used by kho itself).

using kho::errc;
using kho::media::audio_result;
using kho::media::make_audio_renditions;
namespace fs = std::filesystem;

namespace {

void start_vips() {
    // FFmpeg's ebur128 prints a loudness summary at AV_LOG_INFO whenever a
    // graph is freed; the worker lowers the level the same way.
    av_log_set_level(AV_LOG_ERROR);
    // The same arguments as the image tests: one process, one choice.
    auto r = kho::media::init_vips("kho_unit_tests", /*allow_svg_pdf=*/true, 1);
    INFO((r ? std::string() : r.error().detail));
    REQUIRE(r.has_value());
}

using kho::test::ffmpeg;
using kho::test::probe;
using kho::test::quoted;
using kho::test::run;


double probed_duration(const fs::path& file) {
    return std::stod(probe(file)["format"]["duration"].get<std::string>());
}

struct loudness {
    double integrated = 0;
    double true_peak = 0;
};

// The last summary of `ffmpeg -filter_complex ebur128=peak=true` (the CLI
// configures its graph twice and prints an empty summary for the first).
loudness measured(const fs::path& file) {
    auto r = run("ffmpeg -nostdin -nostats -hide_banner -i " + quoted(file) +
                     " -filter_complex ebur128=peak=true -f null -",
                 true);
    INFO(r.text);
    REQUIRE(r.status == 0);
    loudness l;
    bool seen_i = false, seen_peak = false;
    std::istringstream lines(r.text);
    for (std::string line; std::getline(lines, line);) {
        const auto first = line.find_first_not_of(' ');
        if (first == std::string::npos || first < 4) continue;  // summary lines are indented
        const std::string_view rest = std::string_view(line).substr(first);
        if (rest.rfind("I:", 0) == 0) {
            l.integrated = std::stod(std::string(rest.substr(2)));
            seen_i = true;
        } else if (rest.rfind("Peak:", 0) == 0) {
            const std::string value(rest.substr(5));
            l.true_peak = value.find("-inf") != std::string::npos ? -200 : std::stod(value);
            seen_peak = true;
        }
    }
    REQUIRE(seen_i);
    REQUIRE(seen_peak);
    return l;
}

std::string bytes_of(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary);
    out << bytes;
}

// The first `fraction` of a file, as a cut-off upload leaves it.
fs::path cut(const fs::path& from, const fs::path& to, double fraction) {
    const auto bytes = bytes_of(from);
    write_bytes(to, bytes.substr(0, static_cast<std::size_t>(bytes.size() * fraction)));
    return to;
}

// Top-level MP4 boxes in file order ("ftyp", "moov", "mdat", ...).
std::vector<std::string> mp4_boxes(const fs::path& p) {
    const auto bytes = bytes_of(p);
    std::vector<std::string> boxes;
    std::size_t at = 0;
    while (at + 8 <= bytes.size()) {
        std::uint64_t size = 0;
        for (int i = 0; i < 4; ++i) size = (size << 8) | static_cast<unsigned char>(bytes[at + i]);
        boxes.push_back(bytes.substr(at + 4, 4));
        if (size == 1 && at + 16 <= bytes.size()) {
            size = 0;
            for (int i = 8; i < 16; ++i)
                size = (size << 8) | static_cast<unsigned char>(bytes[at + i]);
        }
        if (size < 8) break;
        at += size;
    }
    return boxes;
}

// Inputs made once per test run.
struct fixtures {
    kho::test::temp_dir dir{"kho-audio"};
    fs::path quiet_wav, quiet_mp3, quiet_m4a, quiet_opus, quiet_flac, mono_wav, peaky_wav,
        silence_wav, blip_wav, video_only_mp4, quiet_faststart_m4a, surround_flac;

    fixtures() {
        const auto& d = dir.path();
        // A quiet recording: a voice-like tone over pink room noise, about
        // -35 LUFS.
        quiet_wav = d / "quiet.wav";
        ffmpeg(
            "-f lavfi -i \"sine=frequency=220:duration=4,volume=0.2\" "
            "-f lavfi -i \"anoisesrc=color=pink:amplitude=0.02:duration=4:seed=7\" "
            "-filter_complex \"[0][1]amix=inputs=2:normalize=0\" -ar 44100 -ac 2 " +
            quoted(quiet_wav));
        quiet_mp3 = d / "quiet.mp3";
        ffmpeg("-i " + quoted(quiet_wav) + " -c:a libmp3lame -b:a 96k " + quoted(quiet_mp3));
        quiet_m4a = d / "quiet.m4a";
        ffmpeg("-i " + quoted(quiet_wav) + " -c:a aac -b:a 96k " + quoted(quiet_m4a));
        quiet_faststart_m4a = d / "quiet_faststart.m4a";
        ffmpeg("-i " + quoted(quiet_wav) + " -c:a aac -b:a 96k -movflags +faststart " +
               quoted(quiet_faststart_m4a));
        quiet_opus = d / "quiet.opus";
        ffmpeg("-i " + quoted(quiet_wav) + " -c:a libopus -b:a 64k -f ogg " + quoted(quiet_opus));
        quiet_flac = d / "quiet.flac";
        ffmpeg("-i " + quoted(quiet_wav) + " -c:a flac " + quoted(quiet_flac));
        surround_flac = d / "surround.flac";
        ffmpeg("-i " + quoted(quiet_wav) +
               " -filter_complex \"[0]pan=5.1|FL=c0|FR=c1|FC=0.5*c0+0.5*c1|LFE=0.3*c0|BL=0.5*c0|"
               "BR=0.5*c1\" -ar 48000 -c:a flac " +
               quoted(surround_flac));
        mono_wav = d / "mono22k.wav";
        ffmpeg("-i " + quoted(quiet_wav) + " -ac 1 -ar 22050 " + quoted(mono_wav));
        // A quiet tone with loud clicks: the gain to -16 LUFS would push the
        // clicks far over the ceiling, so they must be limited.
        peaky_wav = d / "peaky.wav";
        ffmpeg(
            "-f lavfi -i \"sine=frequency=220:duration=4,volume=0.4\" "
            "-f lavfi -i \"aevalsrc='if(lt(mod(t\\,1)\\,0.001)\\,0.7*sin(2*PI*3000*t)\\,0)'"
            ":d=4:s=44100\" -filter_complex \"[0][1]amix=inputs=2:normalize=0\" -ar 44100 "
            "-ac 2 " +
            quoted(peaky_wav));
        silence_wav = d / "silence.wav";
        ffmpeg("-f lavfi -i anullsrc=r=44100:cl=stereo -t 3 " + quoted(silence_wav));
        blip_wav = d / "blip.wav";
        ffmpeg("-f lavfi -i \"sine=frequency=440:duration=0.2\" " + quoted(blip_wav));
        video_only_mp4 = d / "video_only.mp4";
        ffmpeg("-f lavfi -i testsrc=size=64x64:rate=10:duration=1 -c:v mpeg4 " +
               quoted(video_only_mp4));
    }
};

const fixtures& inputs() {
    static const fixtures f;
    return f;
}

const kho::media::produced_file& file_named(const audio_result& r, const std::string& name) {
    for (const auto& f : r.files)
        if (f.name == name) return f;
    FAIL("no rendition named " << name);
    throw std::logic_error("unreachable");
}

const nlohmann::json& audio_stream(const nlohmann::json& probed) {
    for (const auto& s : probed["streams"])
        if (s["codec_type"] == "audio") return s;
    FAIL("no audio stream");
    throw std::logic_error("unreachable");
}

// Everything that must hold for a successful call; `normalized` says whether
// the loudness target applies. Returns the waveform's points.
std::vector<double> check_renditions(const audio_result& r, const fs::path& out_dir,
                                     double source_duration, bool normalized) {
    REQUIRE(r.files.size() == 4);
    CHECK(r.files[0].name == "audio_m4a");
    CHECK(r.files[1].name == "audio_mp3");
    CHECK(r.files[2].name == "waveform");
    CHECK(r.files[3].name == "thumb");
    CHECK(kho::test::files_under(out_dir) == 4);

    const auto& m4a = file_named(r, "audio_m4a");
    CHECK(m4a.path == out_dir / "audio_m4a.m4a");
    CHECK(m4a.content_type == "audio/mp4");
    auto m4a_probe = probe(m4a.path);
    const auto& aac = audio_stream(m4a_probe);
    CHECK(aac["codec_name"] == "aac");
    CHECK(aac["sample_rate"] == "48000");
    CHECK(aac["channels"] == 2);
    CHECK(m4a_probe["format"]["tags"]["major_brand"].get<std::string>().rfind("M4A", 0) == 0);
    // AAC spends less on simple signals (next to nothing on silence), never
    // much more than asked.
    const double aac_rate = std::stod(aac["bit_rate"].get<std::string>());
    if (normalized) CHECK(aac_rate > 40'000);
    CHECK(aac_rate <= 140'000);
    CHECK(probed_duration(m4a.path) == Approx(source_duration).margin(0.1));
    const auto boxes = mp4_boxes(m4a.path);
    const auto moov = std::find(boxes.begin(), boxes.end(), "moov");
    const auto mdat = std::find(boxes.begin(), boxes.end(), "mdat");
    CHECK(moov < mdat);  // faststart: playable while downloading
    CHECK(mdat != boxes.end());

    const auto& mp3 = file_named(r, "audio_mp3");
    CHECK(mp3.path == out_dir / "audio_mp3.mp3");
    CHECK(mp3.content_type == "audio/mpeg");
    auto mp3_probe = probe(mp3.path);
    const auto& lame = audio_stream(mp3_probe);
    CHECK(lame["codec_name"] == "mp3");
    CHECK((lame["sample_rate"] == "48000" || lame["sample_rate"] == "44100"));
    CHECK(lame["channels"] == 2);
    CHECK(lame["bit_rate"] == "128000");
    CHECK(probed_duration(mp3.path) == Approx(source_duration).margin(0.1));

    if (normalized) {
        const auto a = measured(m4a.path);
        const auto b = measured(mp3.path);
        CAPTURE(a.integrated, a.true_peak, b.integrated, b.true_peak);
        CHECK(a.integrated == Approx(-16).margin(1));
        CHECK(b.integrated == Approx(-16).margin(1));
        CHECK(a.true_peak <= -1 + 0.3);
        CHECK(b.true_peak <= -1 + 0.3);
        CHECK(r.info.output_lufs == Approx(-16).margin(0.5));
        CHECK(r.info.output_true_peak_dbtp <= kho::media::audio_ceiling_dbtp + 0.1);
    }

    const auto& wave = file_named(r, "waveform");
    CHECK(wave.path == out_dir / "waveform.json");
    CHECK(wave.content_type == "application/json");
    const auto doc = nlohmann::json::parse(bytes_of(wave.path));
    REQUIRE(doc["points"].is_array());
    REQUIRE(doc["points"].size() == 1000);
    std::vector<double> points;
    for (const auto& p : doc["points"]) {
        REQUIRE(p.is_number());
        points.push_back(p.get<double>());
    }
    CHECK(*std::min_element(points.begin(), points.end()) >= 0.0);
    CHECK(*std::max_element(points.begin(), points.end()) <= 1.0);
    CHECK(doc["duration"].get<double>() == Approx(source_duration).margin(0.1));

    const auto& thumb = file_named(r, "thumb");
    CHECK(thumb.path == out_dir / "thumb.webp");
    CHECK(thumb.content_type == "image/webp");
    CHECK(thumb.width == 640);
    CHECK(thumb.height == 160);
    CHECK(bytes_of(thumb.path).substr(8, 4) == "WEBP");
    auto image = vips::VImage::new_from_file(thumb.path.c_str());
    CHECK(std::string(image.get_string("vips-loader")) == "webpload");
    CHECK(image.width() == 640);
    CHECK(image.height() == 160);
    CHECK(image.get_typeof("exif-data") == 0);  // no metadata in any rendition
    return points;
}

struct normalize_case {
    const char* label;
    fs::path fixtures::*file;
    const char* mime;
    const char* codec;
    int sample_rate;
    int channels;
    double source_lufs;  // as ffmpeg measures the fixture
};

}  // namespace

TEST_CASE("a quiet podcast in any accepted format comes out at -16 LUFS", "[media][audio]") {
    start_vips();
    const auto& in = inputs();
    const normalize_case cases[] = {
        {"WAV", &fixtures::quiet_wav, "audio/wav", "pcm_s16le", 44100, 2, -35},
        {"MP3", &fixtures::quiet_mp3, "audio/mpeg", "mp3", 44100, 2, -35},
        {"M4A", &fixtures::quiet_m4a, "audio/mp4", "aac", 44100, 2, -35},
        {"Ogg Opus", &fixtures::quiet_opus, "audio/ogg", "opus", 48000, 2, -35},
        {"FLAC", &fixtures::quiet_flac, "audio/flac", "flac", 44100, 2, -35},
        // One channel of the same: 3 LU quieter than two.
        {"mono 22.05 kHz WAV", &fixtures::mono_wav, "audio/wav", "pcm_s16le", 22050, 1, -38},
        {"5.1 FLAC", &fixtures::surround_flac, "audio/flac", "flac", 48000, 6, -35},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.label) {
            const fs::path& input = in.*(c.file);
            const auto source = measured(input);
            CAPTURE(source.integrated, source.true_peak);
            CHECK(source.integrated == Approx(c.source_lufs).margin(2));  // the fixture is quiet

            kho::test::temp_dir out;
            auto r = make_audio_renditions(input, c.mime, out.path());
            INFO((r ? std::string() : r.error().detail));
            REQUIRE(r.has_value());
            CHECK(r->info.codec == c.codec);
            CHECK(r->info.sample_rate == c.sample_rate);
            CHECK(r->info.channels == c.channels);
            CHECK(r->info.duration == Approx(4.0).margin(0.05));
            // kho measures what it encodes: for 5.1, the stereo downmix.
            if (c.channels <= 2)
                CHECK(r->info.integrated_lufs == Approx(source.integrated).margin(0.7));
            CHECK(r->info.true_peak_dbtp < -20);
            CHECK(r->info.normalization == "linear");
            CHECK(r->info.gain_db == Approx(-16 - r->info.integrated_lufs).margin(0.01));
            CHECK(r->info.note.empty());
            if (std::string(c.codec) != "mp3") CHECK(r->info.bit_rate > 0);

            const auto points = check_renditions(*r, out.path(), probed_duration(input), true);
            // The tone is steady: every thousandth has about the same peak.
            const auto [lo, hi] = std::minmax_element(points.begin() + 10, points.end() - 10);
            CHECK(*lo > 0.1);
            CHECK(*hi < 0.9);
        }
    }
}

TEST_CASE("peaks above the ceiling are limited and the loudness still reaches -16 LUFS",
          "[media][audio]") {
    start_vips();
    const auto& in = inputs();
    const auto source = measured(in.peaky_wav);
    CAPTURE(source.integrated, source.true_peak);
    REQUIRE(source.true_peak + (-16 - source.integrated) > 0);  // a plain gain would clip

    kho::test::temp_dir out;
    auto r = make_audio_renditions(in.peaky_wav, "audio/wav", out.path());
    INFO((r ? std::string() : r.error().detail));
    REQUIRE(r.has_value());
    CHECK(r->info.normalization == "limited");
    check_renditions(*r, out.path(), probed_duration(in.peaky_wav), true);
}

TEST_CASE("silence and a 0.2 s blip are rendered without gain, not refused", "[media][audio]") {
    start_vips();
    const auto& in = inputs();

    SECTION("silence") {
        kho::test::temp_dir out;
        auto r = make_audio_renditions(in.silence_wav, "audio/wav", out.path());
        INFO((r ? std::string() : r.error().detail));
        REQUIRE(r.has_value());
        CHECK(r->info.normalization == "none");
        CHECK(r->info.gain_db == 0);
        CHECK(r->info.integrated_lufs == -70);
        CHECK(r->info.true_peak_dbtp == -99);
        CHECK(r->info.note.find("silent") != std::string::npos);
        const auto points = check_renditions(*r, out.path(), 3.0, false);
        CHECK(*std::max_element(points.begin(), points.end()) == 0.0);
        CHECK(measured(r->files[0].path).integrated <= -69.9);
    }
    SECTION("0.2 s") {
        kho::test::temp_dir out;
        auto r = make_audio_renditions(in.blip_wav, "audio/wav", out.path());
        INFO((r ? std::string() : r.error().detail));
        REQUIRE(r.has_value());
        CHECK(r->info.normalization == "none");
        CHECK(r->info.note.find("0.4 s") != std::string::npos);
        CHECK(r->info.duration == Approx(0.2).margin(0.01));
        check_renditions(*r, out.path(), 0.2, false);
    }
}

TEST_CASE("cut-off, corrupt and foreign files are refused with a sentence", "[media][audio]") {
    start_vips();
    const auto& in = inputs();
    kho::test::temp_dir work;
    const auto out_dir = work.path() / "out";

    auto expect_refused = [&](const fs::path& input, const char* mime, errc code,
                              const std::string& words) {
        auto r = make_audio_renditions(input, mime, out_dir);
        REQUIRE_FALSE(r.has_value());
        INFO(r.error().detail);
        CHECK(r.error().code == code);
        CHECK(r.error().detail.find(words) != std::string::npos);
        // Nothing is left behind for a retry to trip over.
        CHECK((!fs::exists(out_dir) || kho::test::files_under(out_dir) == 0));
    };

    // The choice: a cut-off file whose container declares its length is
    // refused (the uploader should send it again); see the header.
    SECTION("an MP3 cut in half (its Info header counts the frames)") {
        expect_refused(cut(in.quiet_mp3, work.path() / "half.mp3", 0.5), "audio/mpeg",
                       errc::unprocessable, "truncated");
    }
    SECTION("an M4A cut before its index (moov at the end)") {
        expect_refused(cut(in.quiet_m4a, work.path() / "half.m4a", 0.5), "audio/mp4",
                       errc::unprocessable, "cannot be read");
    }
    SECTION("a faststart M4A cut in its audio data") {
        expect_refused(cut(in.quiet_faststart_m4a, work.path() / "half_fs.m4a", 0.5), "audio/mp4",
                       errc::unprocessable, "truncated");
    }
    SECTION("random bytes that claim to be MP3") {
        std::mt19937 random(42);
        std::string noise(64 * 1024, '\0');
        for (auto& c : noise) c = static_cast<char>(random() & 0xff);
        const auto p = work.path() / "noise.mp3";
        write_bytes(p, noise);
        auto r = make_audio_renditions(p, "audio/mpeg", out_dir);
        REQUIRE_FALSE(r.has_value());
        INFO(r.error().detail);
        CHECK(r.error().code == errc::unprocessable);
        CHECK_FALSE(r.error().detail.empty());
        CHECK((!fs::exists(out_dir) || kho::test::files_under(out_dir) == 0));
    }
    SECTION("an empty file") {
        const auto p = work.path() / "empty.wav";
        write_bytes(p, "");
        auto r = make_audio_renditions(p, "audio/wav", out_dir);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::unprocessable);
    }
    SECTION("a WAV sent as FLAC") {
        auto r = make_audio_renditions(in.quiet_wav, "audio/flac", out_dir);
        REQUIRE_FALSE(r.has_value());
        INFO(r.error().detail);
        CHECK(r.error().code == errc::unprocessable);
    }
    SECTION("a video without sound") {
        expect_refused(in.video_only_mp4, "video/mp4", errc::unprocessable, "no audio stream");
    }
    SECTION("a type kho has no demuxer for") {
        expect_refused(in.quiet_wav, "audio/x-ms-wma", errc::unsupported_media_type,
                       "audio/x-ms-wma");
    }
    SECTION("a deadline that has passed") {
        kho::media::av_limits limits;
        limits.deadline = std::chrono::seconds(0);
        auto r = make_audio_renditions(in.quiet_wav, "audio/wav", out_dir, limits);
        REQUIRE_FALSE(r.has_value());
        INFO(r.error().detail);
        CHECK(r.error().code == errc::unprocessable);
    }
}

TEST_CASE("a second run replaces the renditions of the first", "[media][audio]") {
    start_vips();
    const auto& in = inputs();
    kho::test::temp_dir out;
    REQUIRE(make_audio_renditions(in.quiet_flac, "audio/flac", out.path()).has_value());
    auto r = make_audio_renditions(in.quiet_opus, "audio/ogg", out.path());
    REQUIRE(r.has_value());
    CHECK(kho::test::files_under(out.path()) == 4);
    CHECK(r->info.codec == "opus");
}

TEST_CASE("damaged files end in renditions or a refusal, never a crash", "[media][audio]") {
    start_vips();
    const auto& in = inputs();
    kho::test::temp_dir work;
    struct damaged {
        fs::path fixtures::*file;
        const char* mime;
    };
    const damaged kinds[] = {
        {&fixtures::quiet_mp3, "audio/mpeg"}, {&fixtures::quiet_faststart_m4a, "audio/mp4"},
        {&fixtures::quiet_opus, "audio/ogg"}, {&fixtures::quiet_flac, "audio/flac"},
        {&fixtures::quiet_wav, "audio/wav"},
    };
    for (const auto& k : kinds) {
        const fs::path& original = in.*(k.file);
        for (std::uint32_t seed : {1u, 2u}) {
            DYNAMIC_SECTION(original.filename().string() << " seed " << seed) {
                // Overwrite 1 % of the bytes, anywhere past the first 64.
                auto bytes = bytes_of(original);
                std::mt19937 random(seed);
                std::uniform_int_distribution<std::size_t> where(64, bytes.size() - 1);
                for (std::size_t i = 0; i < bytes.size() / 100; ++i)
                    bytes[where(random)] = static_cast<char>(random() & 0xff);
                const auto input = work.path() / ("damaged-" + original.filename().string());
                write_bytes(input, bytes);
                const auto out_dir = work.path() / "out";
                auto r = make_audio_renditions(input, k.mime, out_dir);
                if (r) {
                    CHECK(kho::test::files_under(out_dir) == 4);
                } else {
                    INFO(r.error().detail);
                    CHECK(r.error().code == errc::unprocessable);
                    CHECK((!fs::exists(out_dir) || kho::test::files_under(out_dir) == 0));
                }
                fs::remove_all(out_dir);
            }
        }
    }
    SECTION("random bytes under every audio type") {
        std::mt19937 random(7);
        std::string noise(32 * 1024, '\0');
        for (auto& c : noise) c = static_cast<char>(random() & 0xff);
        const auto input = work.path() / "noise";
        write_bytes(input, noise);
        for (const char* mime :
             {"audio/mpeg", "audio/mp4", "audio/wav", "audio/ogg", "audio/flac", "audio/aac"}) {
            auto r = make_audio_renditions(input, mime, work.path() / "out");
            INFO(mime << ": " << (r ? std::string("rendered") : r.error().detail));
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error().code == errc::unprocessable);
        }
    }
}

// Raw AAC (ADTS, no MP4 box) is sniffed as audio/aac and read with the aac
// demuxer, not forced through the MP4 one.
TEST_CASE("a raw ADTS .aac file is sniffed as audio/aac and normalized", "[media][audio]") {
    start_vips();
    const auto& in = inputs();
    kho::test::temp_dir dir("kho-adts");
    const auto aac = dir.path() / "ban-tin.aac";
    ffmpeg("-i " + quoted(in.quiet_wav) + " -c:a aac -b:a 96k -f adts " + quoted(aac));
    auto type = kho::media::sniff(bytes_of(aac).substr(0, kho::media::sniff_bytes));
    REQUIRE(type.has_value());
    CHECK(type->mime == "audio/aac");
    const auto out = dir.path() / "out";
    auto r = kho::media::make_audio_renditions(aac, type->mime, out);
    INFO((r ? std::string() : r.error().detail));
    REQUIRE(r.has_value());
    CHECK(r->info.codec == "aac");
    CHECK(r->files.size() == 4);
}
