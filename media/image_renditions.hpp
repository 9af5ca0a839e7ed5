#pragma once
// Image renditions: one image file and a list of recipes in, one file per
// recipe out (thumbnail, previews, web size). Pure functions over files, meant
// to run inside the sandboxed media worker on untrusted input; no storage, no
// HTTP. Call init_vips() (media/vips_runtime.hpp) once per process first.
//
// The pipeline, in order:
//   1. open    the loader named by the sniffed type (jpegload, pngload, ...),
//              never libvips' own guess and never ImageMagick; header only
//   2. limit   width × height from the header against image_limits
//   3. shrink  shrink-on-load: JPEG block shrink, WebP scaled decode, PDF and
//              SVG rendered at the target scale
//   4. fit     vips thumbnail_image into the largest box: EXIF orientation
//              applied, colour converted to sRGB (embedded ICC profile, or the
//              built-in CMYK profile for CMYK without one), raster never
//              enlarged (vectors: see image_limits::max_vector_scale)
//   5. derive  each smaller box from the one above it, in memory
//   6. encode  explicit jpegsave/webpsave/pngsave with all metadata stripped
//              (no EXIF, GPS, XMP, IPTC or ICC in any rendition)
// Only the first page or frame of a GIF, TIFF, WebP, HEIF or PDF is rendered.
//
// Thread safety: after init_vips(), calls may run concurrently on different
// inputs and output directories.

#include "core/error.hpp"
#include "media/vips_runtime.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kho::media {

struct image_limits {
    // Largest page that may be decoded: width × height as the file's header
    // declares it, checked before any pixel is decoded. PDF and SVG count at
    // the size they are rendered at (a vector's declared size costs nothing).
    // Only the first page or frame is ever decoded, so a long PDF or an
    // animated GIF counts one page. Default: 100 megapixels.
    std::uint64_t max_pixels = 100'000'000;

    // PDF pages and SVG drawings are rendered to fill the recipe's box, but
    // at most this many times their declared size (8 = 576 dpi for PDF).
    // 1 treats vectors like raster images: never enlarged. Default: 8.
    double max_vector_scale = 8.0;
};

struct rendition_recipe {
    std::string name;    // rendition name and file stem: [a-z0-9][a-z0-9_-]{0,63}
    int box = 0;         // fit inside box × box pixels, 1..8192
    std::string format;  // "jpeg", "webp" or "png"
    int quality = 0;     // 1..100 for jpeg and webp; 0: the encoder's default
};

// thumb (320, WebP), preview (1280, WebP), preview_jpeg (1280, JPEG) and
// web (2048, JPEG).
const std::vector<rendition_recipe>& default_image_recipes();

struct produced_file {
    std::string name;            // the recipe's name
    std::filesystem::path path;  // <out_dir>/<name>.<jpg|webp|png>
    std::string content_type;    // image/jpeg, image/webp or image/png
    int width = 0;
    int height = 0;
};

// What the original's header says.
struct image_info {
    int width = 0;             // after EXIF orientation (a portrait photo stored
    int height = 0;            // landscape with orientation 6 reports portrait)
    std::string colour_space;  // libvips interpretation: "srgb", "cmyk", "b-w", "rgb16", ...
    int pages = 1;             // pages or frames in the file
    int orientation = 1;       // EXIF orientation, 1..8
    bool has_icc_profile = false;
};

struct image_result {
    image_info info;
    std::vector<produced_file> files;  // one per recipe, in recipe order
};

// True when make_image_renditions() can read this sniffed type:
// image/jpeg, image/png, image/webp, image/tiff, image/gif, image/avif,
// image/heic (and its alias image/heif), application/pdf, image/svg+xml.
bool has_image_loader(std::string_view sniffed_mime) noexcept;

// Writes <out_dir>/<name>.<ext> for every recipe (creating out_dir if needed,
// replacing files of the same name). On any error none of these files is left.
// Errors:
// * errc::unsupported_media_type: no loader for `sniffed_mime`, or its loader
//   is blocked or missing in this process (SVG and PDF unless init_vips()
//   allowed them);
// * errc::invalid_parameter: a recipe or limit is malformed (a caller bug);
// * errc::unprocessable: the file is not what its type says, is truncated or
//   corrupt, or is larger than `limits` (the detail says which, e.g. "the
//   image is 100000×100000 pixels; the limit is 100 megapixels");
// * errc::internal: libvips was not started, or an output could not be written.
// Never throws for bad input.
result<image_result> make_image_renditions(const std::filesystem::path& input,
                                           std::string_view sniffed_mime,
                                           const std::filesystem::path& out_dir,
                                           const std::vector<rendition_recipe>& recipes,
                                           const image_limits& limits = {});

// The same machinery for a frame that kho decoded itself, written as PNG
// (the video pipeline's poster frame).
result<image_result> make_frame_renditions(const std::filesystem::path& frame_png,
                                           const std::filesystem::path& out_dir,
                                           const std::vector<rendition_recipe>& recipes,
                                           const image_limits& limits = {});

}  // namespace kho::media
