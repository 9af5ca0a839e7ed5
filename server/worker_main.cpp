// kho-worker: makes one job's renditions in a process of its own, so that a
// decoder that crashes, hangs or eats memory on a hostile file fails that
// job and nothing else. The server (server/media_supervisor.cpp) starts it
// with resource limits, a deadline and no inherited descriptors.
//
// With --server it is a remote worker instead (server/remote_worker.hpp):
// it takes jobs from a kho server over the API and runs itself, as below,
// in the same sandbox for each.
//
//   kho-worker --kind image --input BLOB --type MIME --out DIR [--max-pixels N]
//              [--recipes thumb,preview]   (images; default: every recipe)
//              [--deadline SECONDS]         (audio and video decoding; default 900)
//
// Prints one JSON object on stdout:
//   {"ok": true, "info": {...}, "renditions": [{"name", "file", "content_type",
//    "width", "height", "recipe"}]}
//   {"ok": false, "error": "...", "retryable": false}
// Exit status: 0 done, 2 the input is refused (do not retry), 1 anything else.

#include "media/audio_renditions.hpp"
#include "media/av_input.hpp"
#include "media/image_renditions.hpp"
#include "media/video_renditions.hpp"
#include "media/vips_runtime.hpp"
#include "server/remote_worker.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

namespace {

using json = nlohmann::json;

int answer(const json& j, int status) {
    std::cout << j.dump(-1, ' ', false, json::error_handler_t::replace) << std::endl;
    return status;
}

int refuse(const std::string& why, bool retryable) {
    return answer({{"ok", false}, {"error", why}, {"retryable", retryable}}, retryable ? 1 : 2);
}

// A decoder's "no" is final; anything else (disk, memory, a bug) may pass.
int refuse(const kho::error& e) {
    auto code = e.code;
    bool refused = code == kho::errc::unprocessable || code == kho::errc::unsupported_media_type ||
                   code == kho::errc::invalid_parameter;
    return refuse(e.detail, !refused);
}

json files_json(const std::vector<kho::media::produced_file>& files, double duration = 0) {
    json out = json::array();
    for (const auto& f : files) {
        json r{{"name", f.name},
               {"file", f.path.filename().string()},
               {"content_type", f.content_type},
               {"width", f.width},
               {"height", f.height}};
        if (duration > 0 && (f.content_type.starts_with("video/") ||
                             f.content_type.starts_with("audio/")))
            r["duration"] = duration;
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (kho::server::wants_remote_mode(argc, argv)) {
        auto parsed = kho::server::parse_remote_worker_options(argc, argv);
        if (!parsed.options) return parsed.exit_code;
        return kho::server::run_remote_worker(*parsed.options);
    }
    std::string kind, input, type, out;
    std::uint64_t max_pixels = 100'000'000;
    std::string only;
    long deadline_s = 900;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view k = argv[i];
        std::string v = argv[i + 1];
        if (k == "--kind") kind = v;
        else if (k == "--input") input = v;
        else if (k == "--type") type = v;
        else if (k == "--out") out = v;
        else if (k == "--max-pixels") max_pixels = std::strtoull(v.c_str(), nullptr, 10);
        else if (k == "--recipes") only = "," + v + ",";
        else if (k == "--deadline") deadline_s = std::max(1L, std::strtol(v.c_str(), nullptr, 10));
        else return refuse("unknown argument " + std::string(k), false);
    }
    if (kind.empty() || input.empty() || type.empty() || out.empty())
        return refuse("usage: kho-worker --kind K --input FILE --type MIME --out DIR", false);

    kho::media::quiet_av_logs();
    if (auto init = kho::media::init_vips(argv[0], kind == "image"); !init)
        return refuse(init.error().detail, true);
    kho::media::image_limits image_limits;
    image_limits.max_pixels = max_pixels;

    if (kind == "image") {
        auto recipes = kho::media::default_image_recipes();
        if (!only.empty())
            std::erase_if(recipes, [&](const auto& r) {
                return only.find("," + r.name + ",") == std::string::npos;
            });
        auto made = kho::media::make_image_renditions(input, type, out, recipes, image_limits);
        if (!made) return refuse(made.error());
        json info{{"width", made->info.width},
                  {"height", made->info.height},
                  {"colour_space", made->info.colour_space},
                  {"pages", made->info.pages}};
        return answer({{"ok", true}, {"info", info}, {"renditions", files_json(made->files)}}, 0);
    }
    if (kind == "video") {
        kho::media::av_limits limits;
        limits.deadline = std::chrono::seconds(deadline_s);
        auto made = kho::media::make_video_renditions(input, type, out, limits, image_limits);
        if (!made) return refuse(made.error());
        const auto& i = made->info;
        json info{{"duration", i.duration},       {"width", i.width},
                  {"height", i.height},           {"fps", i.fps},
                  {"rotation", i.rotation},       {"video_codec", i.video_codec},
                  {"audio_codec", i.audio_codec}, {"bit_rate", i.bit_rate}};
        return answer(
            {{"ok", true}, {"info", info}, {"renditions", files_json(made->files, i.duration)}}, 0);
    }
    if (kind == "audio") {
        kho::media::av_limits limits;
        limits.deadline = std::chrono::seconds(deadline_s);
        auto made = kho::media::make_audio_renditions(input, type, out, limits);
        if (!made) return refuse(made.error());
        const auto& i = made->info;
        json info{{"duration", i.duration},
                  {"sample_rate", i.sample_rate},
                  {"channels", i.channels},
                  {"codec", i.codec},
                  {"bit_rate", i.bit_rate},
                  {"integrated_lufs", i.integrated_lufs},
                  {"true_peak_dbtp", i.true_peak_dbtp},
                  {"normalization", i.normalization},
                  {"gain_db", i.gain_db}};
        if (!i.note.empty()) info["note"] = i.note;
        return answer(
            {{"ok", true}, {"info", info}, {"renditions", files_json(made->files, i.duration)}}, 0);
    }
    return refuse("no renditions are made for " + kind + " files yet", false);
}
