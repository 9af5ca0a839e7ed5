#include "media/image_renditions.hpp"

#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <vips/vips8>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

using kho::errc;
using kho::media::default_image_recipes;
using kho::media::image_limits;
using kho::media::image_result;
using kho::media::make_frame_renditions;
using kho::media::make_image_renditions;
using kho::media::rendition_recipe;
using vips::VImage;
namespace fs = std::filesystem;

namespace {

void start_vips() {
    auto r = kho::media::init_vips("kho_unit_tests", /*allow_svg_pdf=*/true, 1);
    INFO((r ? std::string() : r.error().detail));
    REQUIRE(r.has_value());
}

// A width × height sRGB image of one colour (three or four bands).
VImage solid(int width, int height, std::vector<double> colour) {
    return (VImage::black(width, height,
                          VImage::option()->set("bands", static_cast<int>(colour.size()))) +
            colour)
        .cast(VIPS_FORMAT_UCHAR)
        .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
}

// Within `tolerance` of `want` in every band that `want` names; logs the
// pixel when not.
bool near(const std::vector<double>& pixel, std::vector<double> want, double tolerance = 40) {
    bool close = pixel.size() >= want.size();
    for (std::size_t i = 0; close && i < want.size(); ++i)
        close = std::abs(pixel[i] - want[i]) <= tolerance;
    if (!close) {
        std::string shown;
        for (double v : pixel) shown += std::to_string(static_cast<int>(v)) + " ";
        UNSCOPED_INFO("pixel is " << shown);
    }
    return close;
}

std::string bytes_of(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary);
    out << bytes;
}

const kho::media::produced_file& file_named(const image_result& r, const std::string& name) {
    for (const auto& f : r.files)
        if (f.name == name) return f;
    FAIL("no rendition named " << name);
    throw std::logic_error("unreachable");
}

// Asserts that the file on disk has the reported size and no metadata that
// could leak: EXIF (GPS, orientation), XMP, IPTC, ICC.
VImage load_checked(const kho::media::produced_file& f) {
    REQUIRE(fs::exists(f.path));
    VImage out = VImage::new_from_file(f.path.c_str());
    CHECK(out.width() == f.width);
    CHECK(out.height() == f.height);
    for (const char* field :
         {"exif-data", "orientation", "xmp-data", "iptc-data", "icc-profile-data"}) {
        INFO(f.path << " has " << field);
        CHECK(out.get_typeof(field) == 0);
    }
    return out;
}

// ---- PNG chunks, for a header that lies -------------------------------------

std::uint32_t crc32(const std::string& data) {
    std::uint32_t crc = 0xffffffffu;
    for (unsigned char c : data) {
        crc ^= c;
        for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xffffffffu;
}

void put_be32(std::string& s, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) s += static_cast<char>((v >> shift) & 0xff);
}

void put_chunk(std::string& png, const std::string& type, const std::string& data) {
    put_be32(png, static_cast<std::uint32_t>(data.size()));
    png += type + data;
    put_be32(png, crc32(type + data));
}

std::string png_declaring(std::uint32_t width, std::uint32_t height) {
    std::string png("\x89PNG\r\n\x1a\n", 8);
    std::string ihdr;
    put_be32(ihdr, width);
    put_be32(ihdr, height);
    ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, deflate, no interlace
    put_chunk(png, "IHDR", ihdr);
    put_chunk(png, "IDAT", std::string("\x78\x9c\x03\x00\x00\x00\x00\x01", 8));
    put_chunk(png, "IEND", "");
    return png;
}

// ---- a small PDF, written by hand (libvips has no PDF writer) ------------------

std::string pdf_with_pages(const std::vector<std::string>& fills) {
    std::vector<std::string> objects{"<< /Type /Catalog /Pages 2 0 R >>"};
    std::string kids;
    for (std::size_t i = 0; i < fills.size(); ++i) kids += std::to_string(3 + 2 * i) + " 0 R ";
    objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " +
                      std::to_string(fills.size()) + " >>");
    for (std::size_t i = 0; i < fills.size(); ++i) {
        objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents " +
                          std::to_string(4 + 2 * i) + " 0 R >>");
        const std::string content = fills[i] + " rg 0 0 200 100 re f";
        objects.push_back("<< /Length " + std::to_string(content.size()) + " >>\nstream\n" +
                          content + "\nendstream");
    }
    std::string pdf = "%PDF-1.4\n";
    std::vector<std::size_t> offsets;
    for (std::size_t i = 0; i < objects.size(); ++i) {
        offsets.push_back(pdf.size());
        pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
    }
    const auto xref = pdf.size();
    pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
    for (auto o : offsets) {
        std::string n = std::to_string(o);
        pdf += std::string(10 - n.size(), '0') + n + " 00000 n \n";
    }
    pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) +
           " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
    return pdf;
}

}  // namespace

TEST_CASE("a 6000x4000 JPEG gets every default rendition, shrunk on load", "[media][image]") {
    start_vips();
    kho::test::temp_dir dir;
    const auto input = dir.path() / "photo.jpg";
    solid(6000, 4000, {90, 140, 200})
        .insert(solid(600, 400, {250, 250, 250}), 2700, 1800)
        .jpegsave(input.c_str(), VImage::option()->set("Q", 90));

    const auto started = std::chrono::steady_clock::now();
    auto r =
        make_image_renditions(input, "image/jpeg", dir.path() / "out", default_image_recipes());
    const auto took = std::chrono::steady_clock::now() - started;
    INFO((r ? std::string() : r.error().detail));
    REQUIRE(r.has_value());
    CHECK(took < std::chrono::seconds(5));

    CHECK(r->info.width == 6000);
    CHECK(r->info.height == 4000);
    CHECK(r->info.colour_space == "srgb");
    CHECK(r->info.pages == 1);
    CHECK(r->info.orientation == 1);
    CHECK_FALSE(r->info.has_icc_profile);

    REQUIRE(r->files.size() == 4);
    CHECK(r->files[0].name == "thumb");  // recipe order
    CHECK(r->files[3].name == "web");

    const auto& thumb = file_named(*r, "thumb");
    CHECK(thumb.path == dir.path() / "out" / "thumb.webp");
    CHECK(thumb.content_type == "image/webp");
    CHECK(thumb.width == 320);
    CHECK(thumb.height == 213);
    auto thumb_image = load_checked(thumb);
    CHECK(thumb_image.bands() == 3);
    CHECK(near(thumb_image.getpoint(5, 5), {90, 140, 200}));
    CHECK(near(thumb_image.getpoint(160, 106), {250, 250, 250}));

    const auto& preview = file_named(*r, "preview");
    CHECK(preview.width == 1280);
    CHECK(preview.height == 853);
    load_checked(preview);
    const auto& preview_jpeg = file_named(*r, "preview_jpeg");
    CHECK(preview_jpeg.path.filename() == "preview_jpeg.jpg");
    CHECK(preview_jpeg.content_type == "image/jpeg");
    CHECK(preview_jpeg.width == 1280);
    load_checked(preview_jpeg);
    const auto& web = file_named(*r, "web");
    CHECK(web.width == 2048);
    CHECK(web.height == 1365);
    load_checked(web);
}

TEST_CASE("a phone photo stored landscape with orientation 6 comes out upright and without EXIF",
          "[media][image]") {
    start_vips();
    kho::test::temp_dir dir;
    const auto input = dir.path() / "phone.jpg";
    // Stored 600x400 blue with a red block in its top-left corner. Turned
    // upright (90° clockwise) the picture is 400x600 and the block top-right.
    VImage stored = solid(600, 400, {0, 0, 255}).insert(solid(150, 100, {255, 0, 0}), 0, 0);
    stored.set("orientation", 6);
    stored.set("exif-ifd0-Artist", "Nguyen Van A");
    stored.jpegsave(input.c_str());
    REQUIRE(VImage::new_from_file(input.c_str()).get_typeof("exif-data") != 0);
    REQUIRE(VImage::new_from_file(input.c_str()).get_int("orientation") == 6);

    auto r = make_image_renditions(input, "image/jpeg", dir.path(), default_image_recipes());
    INFO((r ? std::string() : r.error().detail));
    REQUIRE(r.has_value());
    CHECK(r->info.orientation == 6);
    CHECK(r->info.width == 400);
    CHECK(r->info.height == 600);

    for (const auto& f : r->files) {
        INFO(f.name);
        CHECK(f.height > f.width);
        VImage out = load_checked(f);
        CHECK(near(out.getpoint(out.width() - 5, 5), {255, 0, 0}, 60));  // top right
        CHECK(near(out.getpoint(5, 5), {0, 0, 255}, 60));                // top left
        CHECK(near(out.getpoint(out.width() - 5, out.height() - 5), {0, 0, 255}, 60));
    }
    CHECK(file_named(*r, "thumb").width == 213);
    CHECK(file_named(*r, "thumb").height == 320);
    CHECK(file_named(*r, "web").width == 400);  // never enlarged
}

TEST_CASE("CMYK TIFFs with and without an ICC profile come out as 3-band sRGB", "[media][image]") {
    start_vips();
    kho::test::temp_dir dir;
    // colourspace() attaches libvips' built-in CMYK profile.
    VImage cmyk = solid(400, 300, {200, 30, 40}).colourspace(VIPS_INTERPRETATION_CMYK);
    REQUIRE(cmyk.bands() == 4);
    const auto with_icc = dir.path() / "with_icc.tif";
    const auto without_icc = dir.path() / "without_icc.tif";
    cmyk.tiffsave(with_icc.c_str());
    VImage bare = cmyk.copy();
    bare.remove("icc-profile-data");
    bare.tiffsave(without_icc.c_str());
    REQUIRE(VImage::new_from_file(without_icc.c_str()).get_typeof("icc-profile-data") == 0);

    for (const auto& [input, has_icc] :
         {std::pair{with_icc, true}, std::pair{without_icc, false}}) {
        INFO(input);
        const auto out_dir = dir.path() / input.stem();
        auto r = make_image_renditions(input, "image/tiff", out_dir, default_image_recipes());
        INFO((r ? std::string() : r.error().detail));
        REQUIRE(r.has_value());
        CHECK(r->info.colour_space == "cmyk");
        CHECK(r->info.has_icc_profile == has_icc);
        for (const auto& f : r->files) {
            VImage out = load_checked(f);
            CHECK(out.bands() == 3);
            CHECK(out.interpretation() == VIPS_INTERPRETATION_sRGB);
            CHECK(near(out.getpoint(10, 10), {200, 30, 40}, 50));
        }
    }
}

TEST_CASE("an embedded RGB profile is converted to sRGB, one that does not fit is ignored",
          "[media][image]") {
    start_vips();
    kho::test::temp_dir dir;
    // The same orange in Display P3 numbers, tagged with libvips' P3 profile.
    const auto p3 = dir.path() / "p3.jpg";
    VImage srgb = solid(200, 100, {230, 120, 30});
    srgb.icc_transform("p3", VImage::option()->set("input_profile", "srgb"))
        .jpegsave(p3.c_str(), VImage::option()->set("Q", 95));
    REQUIRE(VImage::new_from_file(p3.c_str()).get_typeof("icc-profile-data") != 0);
    REQUIRE_FALSE(near(VImage::new_from_file(p3.c_str()).getpoint(10, 10), {230, 120, 30}, 8));

    // Pixels in sRGB, but tagged with a CMYK profile that cannot apply to them.
    const auto wrong = dir.path() / "wrong.tif";
    VImage cmyk = solid(8, 8, {0, 0, 0}).colourspace(VIPS_INTERPRETATION_CMYK);
    std::size_t length = 0;
    const void* profile = cmyk.get_blob("icc-profile-data", &length);
    VImage tagged = solid(200, 100, {230, 120, 30}).copy();
    tagged.set("icc-profile-data", nullptr, const_cast<void*>(profile), length);
    tagged.tiffsave(wrong.c_str());
    REQUIRE(VImage::new_from_file(wrong.c_str()).get_typeof("icc-profile-data") != 0);

    for (const auto& [input, mime] :
         {std::pair{p3, "image/jpeg"}, std::pair{wrong, "image/tiff"}}) {
        INFO(input);
        auto r = make_image_renditions(input, mime, dir.path() / input.stem(),
                                       {{"thumb", 100, "webp", 90}, {"web", 200, "jpeg", 95}});
        INFO((r ? std::string() : r.error().detail));
        REQUIRE(r.has_value());
        CHECK(r->info.has_icc_profile);
        for (const auto& f : r->files) {
            VImage out = load_checked(f);
            CHECK(near(out.getpoint(10, 10), {230, 120, 30}, 8));
        }
    }
}

TEST_CASE("PNG alpha stays in WebP and is flattened on white in JPEG", "[media][image]") {
    start_vips();
    kho::test::temp_dir dir;
    const auto input = dir.path() / "logo.png";
    solid(400, 200, {0, 0, 0, 0})
        .insert(solid(200, 200, {220, 20, 20, 255}), 0, 0)
        .pngsave(input.c_str());
    const std::vector<rendition_recipe> recipes{{"thumb", 100, "webp", 80},
                                                {"flat", 100, "jpeg", 85}};
    auto r = make_image_renditions(input, "image/png", dir.path(), recipes);
    INFO((r ? std::string() : r.error().detail));
    REQUIRE(r.has_value());
    VImage thumb = load_checked(file_named(*r, "thumb"));
    CHECK(thumb.bands() == 4);
    CHECK(thumb.getpoint(90, 25)[3] < 10);
    CHECK(near(thumb.getpoint(10, 25), {220, 20, 20, 255}));
    VImage flat = load_checked(file_named(*r, "flat"));
    CHECK(flat.bands() == 3);
    CHECK(near(flat.getpoint(90, 25), {255, 255, 255}, 10));
    CHECK(near(flat.getpoint(10, 25), {220, 20, 20}));
}

TEST_CASE("an animated GIF renders its first frame", "[media][image]") {
    start_vips();
    kho::test::temp_dir dir;
    const auto input = dir.path() / "anim.gif";
    VImage frames = VImage::arrayjoin({solid(100, 80, {255, 0, 0}), solid(100, 80, {0, 255, 0})},
                                      VImage::option()->set("across", 1));
    frames.set("page-height", 80);
    frames.gifsave(input.c_str());

    auto r = make_image_renditions(input, "image/gif", dir.path(), default_image_recipes());
    INFO((r ? std::string() : r.error().detail));
    REQUIRE(r.has_value());
    CHECK(r->info.pages == 2);
    CHECK(r->info.width == 100);
    CHECK(r->info.height == 80);
    VImage thumb = load_checked(file_named(*r, "thumb"));
    CHECK(thumb.width() == 100);
    CHECK(thumb.height() == 80);
    CHECK(thumb.bands() == 3);  // the loader's opaque alpha is dropped
    CHECK(near(thumb.getpoint(50, 40), {255, 0, 0}));
}

TEST_CASE("a WebP is shrunk on load", "[media][image]") {
    start_vips();
    kho::test::temp_dir dir;
    const auto input = dir.path() / "in.webp";
    solid(2400, 1600, {30, 160, 60}).webpsave(input.c_str());
    auto r =
        make_image_renditions(input, "image/webp", dir.path() / "out", default_image_recipes());
    INFO((r ? std::string() : r.error().detail));
    REQUIRE(r.has_value());
    CHECK(file_named(*r, "web").width == 2048);
    CHECK(file_named(*r, "web").height == 1365);
    CHECK(file_named(*r, "thumb").width == 320);
    CHECK(file_named(*r, "thumb").height == 213);
    CHECK(near(load_checked(file_named(*r, "thumb")).getpoint(100, 100), {30, 160, 60}));
}

TEST_CASE("an AVIF goes through the HEIF loader", "[media][image]") {
    start_vips();
    kho::test::temp_dir dir;
    const auto input = dir.path() / "in.avif";
    try {
        solid(256, 128, {240, 200, 20})
            .heifsave(input.c_str(),
                      VImage::option()->set("compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1));
    } catch (const vips::VError& e) {
        WARN("no AVIF encoder here, skipped: " << e.what());
        return;
    }
    auto r = make_image_renditions(input, "image/avif", dir.path(), default_image_recipes());
    INFO((r ? std::string() : r.error().detail));
    REQUIRE(r.has_value());
    CHECK(r->info.width == 256);
    CHECK(file_named(*r, "thumb").width == 256);
    CHECK(file_named(*r, "thumb").height == 128);
    CHECK(near(load_checked(file_named(*r, "thumb")).getpoint(100, 60), {240, 200, 20}));
}

TEST_CASE("a PDF renders its first page, scaled to the box", "[media][image]") {
    start_vips();
    kho::test::temp_dir dir;
    const auto input = dir.path() / "doc.pdf";
    write_bytes(input, pdf_with_pages({"0 0 1", "1 0 0"}));  // blue page, then red page

    auto r = make_image_renditions(input, "application/pdf", dir.path() / "out",
                                   default_image_recipes());
    INFO((r ? std::string() : r.error().detail));
    REQUIRE(r.has_value());
    CHECK(r->info.pages == 2);
    CHECK(r->info.width == 200);
    CHECK(r->info.height == 100);
    CHECK(file_named(*r, "thumb").width == 320);
    CHECK(file_named(*r, "thumb").height == 160);
    CHECK(file_named(*r, "preview").width == 1280);
    CHECK(file_named(*r, "web").width == 1600);  // at most 8x the page's size
    VImage thumb = load_checked(file_named(*r, "thumb"));
    CHECK(thumb.bands() == 3);
    CHECK(near(thumb.getpoint(160, 80), {0, 0, 255}));
}

TEST_CASE("SVG renders without scripts or external files, within the pixel limit",
          "[media][image]") {
    start_vips();
    kho::test::temp_dir dir;
    // A file next to the input that the drawing tries to pull in.
    solid(50, 50, {255, 0, 0}).pngsave((dir.path() / "secret.png").c_str());
    const auto input = dir.path() / "drawing.svg";
    write_bytes(
        input,
        R"x(<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink")x"
        R"x( width="200" height="100" onload="alert(1)">)x"
        R"x(<script>document.write('x')</script>)x"
        R"x(<rect width="200" height="100" fill="#00ff00"/>)x"
        R"x(<image x="0" y="0" width="200" height="100" xlink:href="secret.png"/>)x"
        R"x(<image x="0" y="0" width="200" height="100" href="file:///etc/passwd"/>)x"
        R"x(</svg>)x");
    auto r =
        make_image_renditions(input, "image/svg+xml", dir.path() / "out", default_image_recipes());
    INFO((r ? std::string() : r.error().detail));
    REQUIRE(r.has_value());
    CHECK(r->info.width == 200);
    VImage thumb = load_checked(file_named(*r, "thumb"));
    CHECK(thumb.width() == 320);
    CHECK(thumb.height() == 160);
    CHECK(near(thumb.getpoint(160, 80), {0, 255, 0}));  // not the red secret

    // A huge declared size is only rendered at the box size...
    const auto huge = dir.path() / "huge.svg";
    write_bytes(huge, R"x(<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000">)x"
                      R"x(<rect width="100000" height="100000" fill="#00ff00"/></svg>)x");
    auto h =
        make_image_renditions(huge, "image/svg+xml", dir.path() / "huge", default_image_recipes());
    INFO((h ? std::string() : h.error().detail));
    REQUIRE(h.has_value());
    CHECK(h->info.width == 100000);
    CHECK(file_named(*h, "web").width == 2048);
    CHECK(file_named(*h, "thumb").height == 320);

    // ... and the pixel limit applies to that rendering.
    image_limits small;
    small.max_pixels = 1'000'000;
    auto s = make_image_renditions(input, "image/svg+xml", dir.path() / "small",
                                   default_image_recipes(), small);
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().code == errc::unprocessable);
    CHECK(s.error().detail == "the image is 1600×800 pixels; the limit is 1 megapixel");
}

TEST_CASE("a PNG header declaring 100000x100000 pixels is refused before decoding",
          "[media][image]") {
    start_vips();
    kho::test::temp_dir dir;
    const auto input = dir.path() / "bomb.png";
    write_bytes(input, png_declaring(100000, 100000));

    const auto started = std::chrono::steady_clock::now();
    auto r = make_image_renditions(input, "image/png", dir.path() / "out", default_image_recipes());
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::unprocessable);
    CHECK(r.error().detail == "the image is 100000×100000 pixels; the limit is 100 megapixels");
    CHECK(took < std::chrono::milliseconds(500));
    CHECK_FALSE(fs::exists(dir.path() / "out"));

    image_limits small;
    small.max_pixels = 1'500;
    write_bytes(input, png_declaring(50, 40));
    auto s = make_image_renditions(input, "image/png", dir.path() / "out", default_image_recipes(),
                                   small);
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().detail == "the image is 50×40 pixels; the limit is 1500 pixels");
}

TEST_CASE("broken files are unprocessable and leave nothing behind", "[media][image]") {
    start_vips();
    kho::test::temp_dir dir;
    const auto out_dir = dir.path() / "out";

    SECTION("a truncated JPEG") {
        const auto whole = dir.path() / "whole.jpg";
        VImage::bandjoin({VImage::gaussnoise(800, 600), VImage::gaussnoise(800, 600),
                          VImage::gaussnoise(800, 600)})
            .cast(VIPS_FORMAT_UCHAR)
            .jpegsave(whole.c_str(), VImage::option()->set("Q", 90));
        const auto bytes = bytes_of(whole);
        const auto input = dir.path() / "cut.jpg";
        write_bytes(input, bytes.substr(0, bytes.size() / 2));

        auto r = make_image_renditions(input, "image/jpeg", out_dir, default_image_recipes());
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::unprocessable);
        CHECK_THAT(r.error().detail, Catch::Contains("truncated"));
        CHECK_THAT(r.error().detail, !Catch::Contains(dir.path().string()));
    }
    SECTION("HTML that claims to be a PNG") {
        const auto input = dir.path() / "page.png";
        write_bytes(input, "<!doctype html><html><body><img src=x onerror=alert(1)></body></html>");
        auto r = make_image_renditions(input, "image/png", out_dir, default_image_recipes());
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::unprocessable);
        CHECK_THAT(r.error().detail, Catch::StartsWith("the file cannot be read as PNG"));
    }
    SECTION("a PNG sniffed as JPEG is not handed to the PNG loader") {
        const auto input = dir.path() / "really.png";
        solid(64, 64, {1, 2, 3}).pngsave(input.c_str());
        auto r = make_image_renditions(input, "image/jpeg", out_dir, default_image_recipes());
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::unprocessable);
        CHECK_THAT(r.error().detail, Catch::StartsWith("the file cannot be read as JPEG"));
    }
    SECTION("a truncated PNG") {
        const auto whole = dir.path() / "whole.png";
        VImage::gaussnoise(300, 200).cast(VIPS_FORMAT_UCHAR).pngsave(whole.c_str());
        const auto bytes = bytes_of(whole);
        const auto input = dir.path() / "cut.png";
        write_bytes(input, bytes.substr(0, bytes.size() / 2));
        auto r = make_image_renditions(input, "image/png", out_dir, default_image_recipes());
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::unprocessable);
    }
    SECTION("a broken file named by a relative path") {
        // The detail names the file, never the worker's directories.
        struct cwd_guard {
            fs::path was = fs::current_path();
            ~cwd_guard() { fs::current_path(was); }
        } guard;
        fs::current_path(dir.path());
        solid(16, 16, {1, 2, 3}).jpegsave("photo.jpg");
        // libheif's message names the file it could not seek in.
        auto r = make_image_renditions("photo.jpg", "image/heic", "out", default_image_recipes());
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::unprocessable);
        CHECK_THAT(r.error().detail, Catch::StartsWith("the file cannot be read as HEIC"));
    }
    SECTION("an empty file") {
        const auto input = dir.path() / "empty.webp";
        write_bytes(input, "");
        auto r = make_image_renditions(input, "image/webp", out_dir, default_image_recipes());
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::unprocessable);
    }
    CHECK((!fs::exists(out_dir) || kho::test::files_under(out_dir) == 0));
}

TEST_CASE("small images are never enlarged, frames use the same machinery", "[media][image]") {
    start_vips();
    kho::test::temp_dir dir;
    const auto input = dir.path() / "small.png";
    solid(100, 50, {10, 200, 10}).pngsave(input.c_str());

    auto r = make_image_renditions(input, "image/png", dir.path() / "out", default_image_recipes());
    INFO((r ? std::string() : r.error().detail));
    REQUIRE(r.has_value());
    for (const auto& f : r->files) {
        INFO(f.name);
        CHECK(f.width == 100);
        CHECK(f.height == 50);
        load_checked(f);
    }

    auto frame = make_frame_renditions(input, dir.path() / "frame", {{"poster", 64, "jpeg", 80}});
    INFO((frame ? std::string() : frame.error().detail));
    REQUIRE(frame.has_value());
    REQUIRE(frame->files.size() == 1);
    CHECK(frame->files[0].path == dir.path() / "frame" / "poster.jpg");
    CHECK(frame->files[0].width == 64);
    CHECK(frame->files[0].height == 32);
}

TEST_CASE("types and recipes that cannot be rendered are refused up front", "[media][image]") {
    start_vips();
    kho::test::temp_dir dir;
    const auto input = dir.path() / "x.png";
    solid(10, 10, {0, 0, 0}).pngsave(input.c_str());

    CHECK(kho::media::has_image_loader("image/heif"));
    CHECK_FALSE(kho::media::has_image_loader("video/mp4"));
    auto video = make_image_renditions(input, "video/mp4", dir.path(), default_image_recipes());
    REQUIRE_FALSE(video.has_value());
    CHECK(video.error().code == errc::unsupported_media_type);

    for (const auto& bad : std::vector<std::vector<rendition_recipe>>{
             {},
             {{"../evil", 100, "jpeg", 80}},
             {{"a", 0, "jpeg", 80}},
             {{"a", 100, "bmp", 80}},
             {{"a", 100, "jpeg", 101}},
             {{"a", 100, "jpeg", 80}, {"a", 50, "webp", 80}},
         }) {
        auto r = make_image_renditions(input, "image/png", dir.path(), bad);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::invalid_parameter);
    }

    auto again = kho::media::init_vips("kho_unit_tests", /*allow_svg_pdf=*/false, 1);
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().code == errc::internal);
}
