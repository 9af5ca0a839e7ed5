#include "media/image_renditions.hpp"

#include "core/media_types.hpp"

#include <vips/vips8>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <system_error>

namespace kho::media {
namespace {

using vips::VError;
using vips::VImage;
using vips::VOption;
using vips::VSource;

// ---- step 1: the loader the sniffed type names ------------------------------

// How a loader can deliver a smaller image than the original, cheaply.
enum class preshrink {
    none,          // decode at full size (PNG, GIF, TIFF, HEIF)
    jpeg_block,    // libjpeg DCT scaling: 1/2, 1/4, 1/8
    webp_scale,    // libwebp scaled decode
    vector_scale,  // poppler / librsvg render at any scale
};

struct loader_spec {
    std::string_view mime;  // canonical, as core/media_types names it
    const char* operation;  // the explicit libvips loader
    const char* label;      // for messages
    preshrink shrink;
    // Open through a VipsSource rather than a file name: librsvg then has no
    // base directory and refuses every external reference (<image href>,
    // <use href>) instead of reading files next to the input.
    bool from_source;
};

constexpr loader_spec k_loaders[] = {
    {"image/jpeg", "jpegload", "JPEG", preshrink::jpeg_block, false},
    {"image/png", "pngload", "PNG", preshrink::none, false},
    {"image/webp", "webpload", "WebP", preshrink::webp_scale, false},
    {"image/tiff", "tiffload", "TIFF", preshrink::none, false},
    {"image/gif", "gifload", "GIF", preshrink::none, false},
    {"image/avif", "heifload", "AVIF", preshrink::none, false},
    {"image/heic", "heifload", "HEIC", preshrink::none, false},
    {"application/pdf", "pdfload", "PDF", preshrink::vector_scale, false},
    {"image/svg+xml", "svgload_source", "SVG", preshrink::vector_scale, true},
};

const loader_spec* find_loader(std::string_view mime) noexcept {
    if (auto t = find_allowed_media_type(mime)) mime = t->mime;
    for (const auto& l : k_loaders)
        if (l.mime == mime) return &l;
    return nullptr;
}

// Whether this process can run the loader at all: the module may be missing
// (no HEIF support built) or the loader blocked (SVG and PDF in the server).
bool loader_available(const loader_spec& l) {
    VipsOperation* op = vips_operation_new(l.operation);
    if (op == nullptr) {
        vips_error_clear();
        return false;
    }
    bool blocked = (vips_operation_get_flags(op) & VIPS_OPERATION_BLOCKED) != 0;
    g_object_unref(op);
    return !blocked;
}

// Opens `input` with exactly this loader. libvips reads the header now and
// decodes pixels only when they are first asked for, top to bottom.
VImage open_with(const loader_spec& l, const std::filesystem::path& input,
                 VOption* options = VImage::option()) {
    options->set("access", VIPS_ACCESS_SEQUENTIAL)->set("fail_on", VIPS_FAIL_ON_TRUNCATED);
    vips_error_clear();
    VImage out;
    if (l.from_source) {
        std::optional<VSource> source;
        try {
            source = VSource::new_from_file(input.c_str());
        } catch (...) {
            delete options;
            throw;
        }
        VImage::call(l.operation, options->set("source", *source)->set("out", &out));
    } else {
        VImage::call(l.operation, options->set("filename", input.c_str())->set("out", &out));
    }
    return out;
}

// ---- errors ----------------------------------------------------------------

// libvips' VError carries the whole process-wide error buffer, which also
// collects messages of operations that went on to succeed. Each step clears
// it first, so that the first line of a failure is its cause. (The buffer is
// shared between threads: under concurrent calls a detail may name another
// call's cause; the error code is always right.)
//
// The first line of libvips' message, without the worker's paths in it.
std::string vips_reason(const std::exception& e, const std::filesystem::path& input) {
    std::string_view all = e.what();
    std::string line;
    while (!all.empty() && line.empty()) {
        auto end = all.find('\n');
        line = std::string(all.substr(0, end));
        all = end == std::string_view::npos ? std::string_view{} : all.substr(end + 1);
        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
            line.pop_back();
    }
    const std::string full = input.string();
    const std::string shown = input.filename().string();
    if (!full.empty() && full != shown)
        for (auto at = line.find(full); at != std::string::npos;
             at = line.find(full, at + shown.size()))
            line.replace(at, full.size(), shown);
    return line;
}

bool looks_truncated(std::string_view reason) {
    std::string lower(reason);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (std::string_view needle : {"premature end", "truncated", "not enough data",
                                    "unexpected end", "end of file", "short read", "out of data"})
        if (lower.find(needle) != std::string::npos) return true;
    return false;
}

// The decoder refused the file: say whether it is cut short or otherwise
// broken, with libvips' reason when it gave one.
error refused(const loader_spec& l, const std::exception& e, const std::filesystem::path& input) {
    const auto reason = vips_reason(e, input);
    const auto because = reason.empty() ? std::string() : " (" + reason + ")";
    if (looks_truncated(reason))
        return make_error(errc::unprocessable,
                          std::string("the ") + l.label + " file is truncated" + because);
    return make_error(errc::unprocessable,
                      std::string("the file cannot be read as ") + l.label + because);
}

// ---- step 2: what the header says, and the pixel limit -----------------------

image_info describe(const VImage& header) {
    VipsImage* im = header.get_image();
    image_info info;
    info.orientation = vips_image_get_orientation(im);
    const bool swap = vips_image_get_orientation_swap(im) != 0;
    info.width = swap ? header.height() : header.width();
    info.height = swap ? header.width() : header.height();
    const char* nick = vips_enum_nick(VIPS_TYPE_INTERPRETATION, header.interpretation());
    info.colour_space = nick != nullptr ? nick : "unknown";
    info.pages = vips_image_get_n_pages(im);
    info.has_icc_profile = header.get_typeof(VIPS_META_ICC_NAME) != 0;
    return info;
}

std::string describe_pixels(std::uint64_t n) {
    if (n == 1'000'000) return "1 megapixel";
    if (n > 1'000'000 && n % 1'000'000 == 0) return std::to_string(n / 1'000'000) + " megapixels";
    return std::to_string(n) + (n == 1 ? " pixel" : " pixels");
}

result<void> check_pixels(const VImage& image, const image_limits& limits) {
    const auto w = static_cast<std::uint64_t>(image.width());
    const auto h = static_cast<std::uint64_t>(image.height());
    if (w * h <= limits.max_pixels) return ok();
    return make_error(errc::unprocessable, "the image is " + std::to_string(w) + "×" +
                                               std::to_string(h) + " pixels; the limit is " +
                                               describe_pixels(limits.max_pixels));
}

// ---- step 3: shrink-on-load ----------------------------------------------------

// The JPEG DCT shrink vips_thumbnail() picks: block-shrink to no less than
// twice the target, so that the final lanczos3 step still has work to do.
int jpeg_block_shrink(double shrink) {
    if (shrink >= 16) return 8;
    if (shrink >= 8) return 4;
    if (shrink >= 4) return 2;
    return 1;
}

// Reopens with the loader's cheapest way to reach about `box` pixels on the
// longest side; returns `header` itself when there is none. Boxes are square,
// so EXIF orientation does not change the factor.
result<VImage> open_preshrunk(const loader_spec& l, const std::filesystem::path& input,
                              const VImage& header, int box, const image_limits& limits) {
    const double longest = std::max(header.width(), header.height());
    const double shrink = longest / box;
    switch (l.shrink) {
        case preshrink::none:
            return header;
        case preshrink::jpeg_block: {
            const int n = jpeg_block_shrink(shrink);
            if (n == 1) return header;
            return open_with(l, input, VImage::option()->set("shrink", n));
        }
        case preshrink::webp_scale:
            if (shrink <= 1) return header;
            return open_with(l, input, VImage::option()->set("scale", 1.0 / shrink));
        case preshrink::vector_scale: {
            // A vector's declared size costs nothing; the pixel limit applies
            // to the size it is rendered at.
            const double scale = std::min(1.0 / shrink, limits.max_vector_scale);
            VImage rendered = std::abs(scale - 1.0) < 1e-6
                                  ? header
                                  : open_with(l, input, VImage::option()->set("scale", scale));
            if (auto r = check_pixels(rendered, limits); !r) return r.error();
            return rendered;
        }
    }
    return header;
}

// ---- step 4: fit into the largest box, upright, in sRGB ------------------------

// Drops an embedded ICC profile that does not fit the pixels (an RGB profile
// on CMYK data, a damaged blob): such an image is shown untagged, not refused.
VImage usable_profile_only(const VImage& in) {
    if (in.get_typeof(VIPS_META_ICC_NAME) == 0) return in;
    const void* data = nullptr;
    std::size_t length = 0;
    if (vips_image_get_blob(in.get_image(), VIPS_META_ICC_NAME, &data, &length) == 0 &&
        vips_icc_is_compatible_profile(in.get_image(), data, length))
        return in;
    vips_error_clear();
    VImage copy = in.copy();
    copy.remove(VIPS_META_ICC_NAME);
    return copy;
}

// Colour handling works around two libvips 8.14.1 bugs (both fixed in 8.14.2,
// which Debian 12 does not ship):
// * thumbnail converts CMYK with its built-in profile, ignoring an embedded
//   one, and then fails on it ("profile incompatible with image"). CMYK is
//   imported here with the embedded profile, or the built-in CMYK profile
//   when there is none, straight to sRGB.
// * export_profile "srgb" on an untagged image goes through XYZ and shifts
//   saturated colours (pure blue comes out 85,15,253). Untagged RGB and grey
//   are sRGB already; only an embedded profile is converted.
VImage fit(VImage in, int box) {
    in = usable_profile_only(in);
    bool tagged = in.get_typeof(VIPS_META_ICC_NAME) != 0;
    if (in.interpretation() == VIPS_INTERPRETATION_CMYK) {
        in = in.icc_transform(
            "srgb", VImage::option()->set("input_profile", "cmyk")->set("embedded", true));
        tagged = false;
    }
    VOption* options = VImage::option()->set("height", box)->set("size", VIPS_SIZE_DOWN);
    if (tagged) options->set("export_profile", "srgb");
    return in.thumbnail_image(box, options);
}

// GIF and PDF loaders always add an alpha band; one that is opaque everywhere
// only makes WebP files larger. fit() hands over 8-bit sRGB or grey.
VImage drop_opaque_alpha(VImage image) {
    if (!image.has_alpha() || image.format() != VIPS_FORMAT_UCHAR) return image;
    if (image.extract_band(image.bands() - 1).min() < 255) return image;
    return image.extract_band(0, VImage::option()->set("n", image.bands() - 1));
}

// ---- step 5: smaller boxes from the larger one -----------------------------------

VImage derive(const VImage& larger, int box) {
    return larger
        .thumbnail_image(box, VImage::option()->set("height", box)->set("size", VIPS_SIZE_DOWN))
        .copy_memory();
}

// ---- step 6: encode -------------------------------------------------------------------

struct format_spec {
    std::string_view format;
    const char* extension;
    const char* content_type;
};

constexpr format_spec k_formats[] = {
    {"jpeg", "jpg", "image/jpeg"},
    {"webp", "webp", "image/webp"},
    {"png", "png", "image/png"},
};

const format_spec* find_format(std::string_view format) noexcept {
    for (const auto& f : k_formats)
        if (f.format == format) return &f;
    return nullptr;
}

// libvips 8.14.1 ignores webpsave's `strip` (fixed in 8.14.2) and writes an
// EXIF chunk (rebuilt from the image's fields), XMP and ICC. Copies the RIFF
// container without those chunks and with their VP8X flags cleared. Returns
// nothing if the container does not parse.
std::optional<std::string> without_webp_metadata(std::string_view webp) {
    auto le32 = [&](std::size_t at) {
        std::uint32_t v = 0;
        for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(webp[at + i]);
        return v;
    };
    if (webp.size() < 12 || webp.substr(0, 4) != "RIFF" || webp.substr(8, 4) != "WEBP")
        return std::nullopt;
    const std::size_t end = 8 + static_cast<std::size_t>(le32(4));
    if (end > webp.size()) return std::nullopt;
    std::string out(webp.substr(0, 12));
    std::size_t at = 12;
    while (at + 8 <= end) {
        const auto fourcc = webp.substr(at, 4);
        const std::size_t size = le32(at + 4);
        const std::size_t padded = std::min(size + (size & 1), end - at - 8);
        if (size > padded) return std::nullopt;
        if (fourcc != "EXIF" && fourcc != "XMP " && fourcc != "ICCP") {
            std::string chunk(webp.substr(at, 8 + padded));
            constexpr unsigned char icc = 0x20, exif = 0x08, xmp = 0x04;
            if (fourcc == "VP8X" && size >= 1)
                chunk[8] = static_cast<char>(static_cast<unsigned char>(chunk[8]) &
                                             ~(icc | exif | xmp) & 0xff);
            out += chunk;
        }
        at += 8 + padded;
    }
    if (at != end) return std::nullopt;
    const auto riff_size = static_cast<std::uint32_t>(out.size() - 8);
    for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<char>((riff_size >> (8 * i)) & 0xff);
    return out;
}

struct blob_unref {
    void operator()(VipsBlob* b) const noexcept { vips_area_unref(VIPS_AREA(b)); }
};

void write_webp(const VImage& image, int quality, const std::filesystem::path& out) {
    VOption* o = VImage::option()->set("strip", true);
    if (quality > 0) o->set("Q", quality);
    std::unique_ptr<VipsBlob, blob_unref> blob(image.webpsave_buffer(o));
    std::size_t length = 0;
    const void* data = vips_blob_get(blob.get(), &length);
    auto clean = without_webp_metadata({static_cast<const char*>(data), length});
    if (!clean) throw VError("webpsave wrote a WebP container kho cannot parse");
    std::ofstream file(out, std::ios::binary | std::ios::trunc);
    file.write(clean->data(), static_cast<std::streamsize>(clean->size()));
    file.close();
    if (!file) throw VError("cannot write " + out.filename().string());
}

void encode(const VImage& image, const rendition_recipe& r, const std::filesystem::path& out) {
    // `strip` drops EXIF (with GPS), XMP, IPTC and the ICC profile: renditions
    // are plain sRGB.
    if (r.format == "jpeg") {
        VImage rgb = image;
        if (rgb.has_alpha())
            rgb = rgb.flatten(
                VImage::option()->set("background", std::vector<double>{255, 255, 255}));
        VOption* o = VImage::option()->set("strip", true)->set("optimize_coding", true);
        if (r.quality > 0) o->set("Q", r.quality);
        rgb.jpegsave(out.c_str(), o);
    } else if (r.format == "webp") {
        write_webp(image, r.quality, out);
    } else {
        image.pngsave(out.c_str(), VImage::option()->set("strip", true));
    }
}

// ---- checks on the caller's side -------------------------------------------------------

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '_' && c != '-'))) return false;
    }
    return true;
}

result<void> validate(const std::vector<rendition_recipe>& recipes, const image_limits& limits) {
    if (limits.max_pixels == 0)
        return make_error(errc::invalid_parameter, "image_limits.max_pixels must be positive");
    if (!(limits.max_vector_scale >= 1.0 && limits.max_vector_scale <= 64.0))
        return make_error(errc::invalid_parameter,
                          "image_limits.max_vector_scale must be between 1 and 64");
    if (recipes.empty()) return make_error(errc::invalid_parameter, "no rendition recipes given");
    for (std::size_t i = 0; i < recipes.size(); ++i) {
        const auto& r = recipes[i];
        if (!valid_name(r.name))
            return make_error(errc::invalid_parameter,
                              "rendition name \"" + r.name + "\" is not [a-z0-9][a-z0-9_-]{0,63}");
        for (std::size_t j = 0; j < i; ++j)
            if (recipes[j].name == r.name)
                return make_error(errc::invalid_parameter,
                                  "rendition name \"" + r.name + "\" is used twice");
        if (r.box < 1 || r.box > 8192)
            return make_error(errc::invalid_parameter,
                              "rendition " + r.name + ": box must be 1..8192 pixels");
        if (find_format(r.format) == nullptr)
            return make_error(
                errc::invalid_parameter,
                "rendition " + r.name + ": format \"" + r.format + "\" is not jpeg, webp or png");
        if (r.quality < 0 || r.quality > 100)
            return make_error(errc::invalid_parameter,
                              "rendition " + r.name + ": quality must be 0..100");
    }
    return ok();
}

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

// Steps 3 to 6 once the header has passed: decode errors are the file's
// fault (unprocessable), encode errors are ours (internal).
result<std::vector<produced_file>> render(const loader_spec& l, const std::filesystem::path& input,
                                          const VImage& header,
                                          const std::filesystem::path& out_dir,
                                          const std::vector<rendition_recipe>& recipes,
                                          const image_limits& limits) {
    // Largest box first; each smaller one is derived from the one above it.
    std::map<int, std::vector<std::size_t>, std::greater<>> by_box;
    for (std::size_t i = 0; i < recipes.size(); ++i) by_box[recipes[i].box].push_back(i);

    VImage current;
    try {
        auto pre = open_preshrunk(l, input, header, by_box.begin()->first, limits);
        if (!pre) return pre.error();
        vips_error_clear();
        current = drop_opaque_alpha(fit(*pre, by_box.begin()->first).copy_memory());
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        return refused(l, e, input);
    }

    std::vector<produced_file> files(recipes.size());
    written_files written;
    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    if (ec)
        return make_error(errc::internal, "cannot create the output directory: " + ec.message());
    bool first = true;
    for (const auto& [box, indexes] : by_box) {
        std::string step = "resizing";
        vips_error_clear();
        try {
            if (!first) current = derive(current, box);
            first = false;
            for (auto i : indexes) {
                const auto& r = recipes[i];
                const auto* f = find_format(r.format);
                auto path = out_dir / (r.name + "." + f->extension);
                step = "writing " + path.filename().string();
                written.paths.push_back(path);
                encode(current, r, path);
                files[i] = {r.name, path, f->content_type, current.width(), current.height()};
            }
        } catch (const std::bad_alloc&) {
            throw;
        } catch (const std::exception& e) {
            return make_error(errc::internal, step + " failed: " + vips_reason(e, input));
        }
    }
    written.keep = true;
    return files;
}

}  // namespace

const std::vector<rendition_recipe>& default_image_recipes() {
    static const std::vector<rendition_recipe> recipes{
        {"thumb", 320, "webp", 80},
        {"preview", 1280, "webp", 82},
        {"preview_jpeg", 1280, "jpeg", 85},
        {"web", 2048, "jpeg", 85},
    };
    return recipes;
}

bool has_image_loader(std::string_view sniffed_mime) noexcept {
    return find_loader(sniffed_mime) != nullptr;
}

result<image_result> make_image_renditions(const std::filesystem::path& input,
                                           std::string_view sniffed_mime,
                                           const std::filesystem::path& out_dir,
                                           const std::vector<rendition_recipe>& recipes,
                                           const image_limits& limits) {
    const loader_spec* l = find_loader(sniffed_mime);
    if (l == nullptr)
        return make_error(errc::unsupported_media_type, "kho makes no image renditions of " +
                                                            std::string(sniffed_mime) + " files");
    if (auto r = validate(recipes, limits); !r) return r.error();
    if (!vips_ready())
        return make_error(errc::internal, "init_vips() was not called in this process");
    try {
        if (!loader_available(*l))
            return make_error(errc::unsupported_media_type,
                              std::string(l->label) + " files are not decoded in this process");

        // libvips maps the file; an empty one trips an assertion in 8.14.
        std::error_code ec;
        const auto size = std::filesystem::file_size(input, ec);
        if (ec) return make_error(errc::internal, "cannot read the input file: " + ec.message());
        if (size == 0)
            return make_error(errc::unprocessable,
                              std::string("the file is empty, not a ") + l->label + " image");

        // Steps 1 and 2: header only.
        VImage header;
        try {
            header = open_with(*l, input);
        } catch (const VError& e) {
            return refused(*l, e, input);
        }
        image_result out;
        out.info = describe(header);
        if (l->shrink != preshrink::vector_scale)
            if (auto r = check_pixels(header, limits); !r) return r.error();

        auto files = render(*l, input, header, out_dir, recipes, limits);
        if (!files) return files.error();
        out.files = std::move(*files);
        return out;
    } catch (const std::bad_alloc&) {
        return make_error(errc::unprocessable, "the image needs more memory than this worker has");
    } catch (const std::exception& e) {
        return make_error(errc::internal, "image renditions failed: " + vips_reason(e, input));
    }
}

result<image_result> make_frame_renditions(const std::filesystem::path& frame_png,
                                           const std::filesystem::path& out_dir,
                                           const std::vector<rendition_recipe>& recipes,
                                           const image_limits& limits) {
    return make_image_renditions(frame_png, "image/png", out_dir, recipes, limits);
}

}  // namespace kho::media
