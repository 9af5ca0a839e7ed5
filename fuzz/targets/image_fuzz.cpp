// The media worker's image path (media/image_renditions.hpp) as kho-worker
// runs it: the server's sniffed type picks the loader, every default recipe
// is made, SVG and PDF are allowed (init_vips as in the worker), and the
// pixel limit is small (4 megapixels) so that the fuzzer explores
// malformed files rather than spending its time on big valid ones.
// Properties:
// - only unsupported_media_type or unprocessable for a bad file (internal
//   means a kho bug or an unchecked library failure), and then no rendition
//   is left behind;
// - on success one file per recipe, each the format it claims (sniffed
//   again) and fitting its box.
//
// Input: a whole file of any format.

#include "fuzz/media_support.hpp"
#include "media/image_renditions.hpp"
#include "media/type_sniffer.hpp"
#include "media/vips_runtime.hpp"

namespace media = kho::media;

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
    (void)argc;
    KHO_FUZZ_CHECK(media::init_vips((*argv)[0], /*allow_svg_pdf=*/true));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto in = kho::fuzz::sniffed_input(
        data, size, [](const auto& t) { return media::has_image_loader(t.mime); });
    if (!in) return 0;
    media::image_limits limits;
    limits.max_pixels = 4'000'000;
    const auto& recipes = media::default_image_recipes();

    auto made = media::make_image_renditions(in->file, in->mime, in->out, recipes, limits);
    if (!made) {
        kho::fuzz::check_clean_refusal(made.error());
        return 0;
    }
    KHO_FUZZ_CHECK(made->info.width > 0 && made->info.height > 0 && made->info.pages >= 1);
    KHO_FUZZ_CHECK(made->files.size() == recipes.size());
    for (std::size_t i = 0; i < recipes.size(); ++i) {
        const auto& f = made->files[i];
        KHO_FUZZ_CHECK(f.name == recipes[i].name);
        KHO_FUZZ_CHECK(f.width >= 1 && f.height >= 1);
        KHO_FUZZ_CHECK(f.width <= recipes[i].box && f.height <= recipes[i].box);
        auto written = media::sniff(kho::fuzz::read_file(f.path).substr(0, media::sniff_bytes));
        KHO_FUZZ_CHECK(written && written->mime == f.content_type);
    }
    return 0;
}
