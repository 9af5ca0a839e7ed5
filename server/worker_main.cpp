// kho-worker: makes one job's renditions in a process of its own, so that a
// decoder that crashes, hangs or eats memory on a hostile file fails that
// job and nothing else. The server (server/media_supervisor.cpp) starts it
// with resource limits, a deadline and no inherited descriptors.
//
//   kho-worker --kind image --input BLOB --type MIME --out DIR [--max-pixels N]
//              [--recipes thumb,preview]   (default: every recipe of the kind)
//
// Prints one JSON object on stdout:
//   {"ok": true, "info": {...}, "renditions": [{"name", "file", "content_type",
//    "width", "height", "recipe"}]}
//   {"ok": false, "error": "...", "retryable": false}
// Exit status: 0 done, 2 the input is refused (do not retry), 1 anything else.

#include "media/image_renditions.hpp"
#include "media/vips_runtime.hpp"

#include <nlohmann/json.hpp>

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

}  // namespace

int main(int argc, char** argv) {
    std::string kind, input, type, out;
    std::uint64_t max_pixels = 100'000'000;
    std::string only;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view k = argv[i];
        std::string v = argv[i + 1];
        if (k == "--kind") kind = v;
        else if (k == "--input") input = v;
        else if (k == "--type") type = v;
        else if (k == "--out") out = v;
        else if (k == "--max-pixels") max_pixels = std::strtoull(v.c_str(), nullptr, 10);
        else if (k == "--recipes") only = "," + v + ",";
        else return refuse("unknown argument " + std::string(k), false);
    }
    if (kind.empty() || input.empty() || type.empty() || out.empty())
        return refuse("usage: kho-worker --kind K --input FILE --type MIME --out DIR", false);

    if (kind == "image") {
        if (auto init = kho::media::init_vips(argv[0], true); !init)
            return refuse(init.error().detail, true);
        kho::media::image_limits limits;
        limits.max_pixels = max_pixels;
        auto recipes = kho::media::default_image_recipes();
        if (!only.empty())
            std::erase_if(recipes, [&](const auto& r) {
                return only.find("," + r.name + ",") == std::string::npos;
            });
        auto made = kho::media::make_image_renditions(input, type, out, recipes, limits);
        if (!made) {
            auto code = made.error().code;
            bool refused = code == kho::errc::unprocessable ||
                           code == kho::errc::unsupported_media_type ||
                           code == kho::errc::invalid_parameter;
            return refuse(made.error().detail, !refused);
        }
        json renditions = json::array();
        for (const auto& f : made->files)
            renditions.push_back({{"name", f.name},
                                  {"file", f.path.filename().string()},
                                  {"content_type", f.content_type},
                                  {"width", f.width},
                                  {"height", f.height}});
        json info{{"width", made->info.width},
                  {"height", made->info.height},
                  {"colour_space", made->info.colour_space},
                  {"pages", made->info.pages}};
        return answer({{"ok", true}, {"info", info}, {"renditions", renditions}}, 0);
    }
    return refuse("no renditions are made for " + kind + " files yet", false);
}
