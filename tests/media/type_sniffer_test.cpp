#include "media/type_sniffer.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

using kho::asset_kind;
using kho::errc;
using kho::media_family;
using kho::media::magic_mime;
using kho::media::sniff;

namespace {

// Byte helpers for building headers.
void put_be32(std::string& s, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) s += static_cast<char>((v >> shift) & 0xff);
}

void put_le32(std::string& s, std::uint32_t v) {
    for (int shift = 0; shift <= 24; shift += 8) s += static_cast<char>((v >> shift) & 0xff);
}

void put_le16(std::string& s, std::uint16_t v) {
    s += static_cast<char>(v & 0xff);
    s += static_cast<char>(v >> 8);
}

std::string raw(std::initializer_list<int> bytes) {
    std::string s;
    for (int b : bytes) s += static_cast<char>(b);
    return s;
}

// PNG signature and an IHDR chunk for a 640x480 RGBA image (CRC included).
std::string png_sample() {
    std::string s = raw({0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a});
    put_be32(s, 13);
    s += "IHDR";
    put_be32(s, 640);
    put_be32(s, 480);
    s += raw({8, 6, 0, 0, 0});           // bit depth 8, RGBA, deflate, no filter, no interlace
    s += raw({0x1c, 0xf0, 0xb2, 0x4f});  // CRC-32 of "IHDR" + data (not checked by libmagic)
    return s;
}

// SOI, APP0 "JFIF" 1.01, then the start of a quantization table.
std::string jpeg_sample() {
    return raw({0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J',  'F',  'I',  'F',  0x00, 0x01, 0x01,
                0x00, 0x00, 0x48, 0x00, 0x48, 0x00, 0x00, 0xff, 0xdb, 0x00, 0x43, 0x00});
}

// A complete 1x1 GIF89a.
std::string gif_sample() {
    return std::string("GIF89a") +
           raw({0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xda, 0x25, 0x1d, 0xff, 0xff, 0xff,
                0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
                0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b});
}

std::string pdf_sample() {
    return "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
           "1 0 obj\n<< /Type /Catalog /Pages 2 0 R /Lang (vi-VN) >>\nendobj\n"
           "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n";
}

std::string svg_sample() {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1080\" height=\"1350\" viewBox=\"0 0 "
           "1080 1350\">\n"
           "  <title>Infographic chuyển đổi số trong giáo dục</title>\n"
           "  <rect width=\"1080\" height=\"1350\" fill=\"#c8102e\"/>\n"
           "  <text x=\"540\" y=\"200\" text-anchor=\"middle\" fill=\"#ffde00\">Nghị quyết "
           "71-NQ/TW</text>\n"
           "</svg>\n";
}

// ftyp box of an ISO base media file: major brand isom, compatible brands.
std::string mp4_sample() {
    std::string s;
    put_be32(s, 32);
    s += "ftypisom";
    put_be32(s, 0x200);
    s += "isomiso2avc1mp41";
    put_be32(s, 8);
    s += "free";
    return s;
}

// ftyp box written by ffmpeg for AAC audio (.m4a).
std::string m4a_sample() {
    std::string s;
    put_be32(s, 28);
    s += "ftypM4A ";
    put_be32(s, 0x200);
    s += "M4A isomiso2";
    put_be32(s, 8);
    s += "free";
    return s;
}

// RIFF/WAVE header: PCM, mono, 44.1 kHz, 16-bit, empty data chunk.
std::string wav_sample() {
    std::string s = "RIFF";
    put_le32(s, 36);
    s += "WAVEfmt ";
    put_le32(s, 16);
    put_le16(s, 1);      // PCM
    put_le16(s, 1);      // channels
    put_le32(s, 44100);  // sample rate
    put_le32(s, 88200);  // byte rate
    put_le16(s, 2);      // block align
    put_le16(s, 16);     // bits per sample
    s += "data";
    put_le32(s, 0);
    return s;
}

// "fLaC" and a last-block STREAMINFO for 44.1 kHz mono 16-bit.
std::string flac_sample() {
    return std::string("fLaC") +
           raw({0x80, 0x00, 0x00, 0x22, 0x10, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00, 0x0a, 0xc4, 0x40, 0xf0, 0x00, 0x00, 0x00, 0x00}) +
           std::string(16, '\0');
}

// The first page of an Ogg Vorbis stream (as ffmpeg writes it): page header,
// one 30-byte segment holding the Vorbis identification header.
std::string ogg_sample() {
    std::string s = "OggS";
    s += raw({0x00, 0x02});              // version 0, beginning of stream
    s += std::string(8, '\0');           // granule position
    s += raw({0xf3, 0x58, 0x26, 0x47});  // serial number
    s += std::string(4, '\0');           // page sequence 0
    s += raw({0x19, 0x5d, 0x9b, 0xf4});  // CRC
    s += raw({0x01, 0x1e});              // one segment of 30 bytes
    s += raw({0x01}) + "vorbis";         // identification header
    s += std::string(4, '\0');           // Vorbis version
    s += raw({0x01});                    // channels
    s += raw({0x44, 0xac, 0x00, 0x00});  // 44100 Hz
    s += std::string(4, '\0');           // bitrate maximum
    s += raw({0x80, 0x38, 0x01, 0x00});  // bitrate nominal
    s += std::string(4, '\0');           // bitrate minimum
    s += raw({0xb8, 0x01});              // block sizes, framing
    return s;
}

// MP3 with an ID3v2.4 tag followed by an MPEG-1 Layer III frame header.
std::string mp3_sample() {
    return std::string("ID3") + raw({0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}) +
           raw({0xff, 0xfb, 0x90, 0x64}) + std::string(400, '\0');
}

struct allowed_case {
    const char* name;
    std::string bytes;
    std::string_view mime;
    std::string_view extension;
    media_family family;
    asset_kind kind;
};

void require_refused(const std::string& bytes) {
    INFO("libmagic says " << magic_mime(bytes));
    auto r = sniff(bytes);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::unsupported_media_type);
    CHECK(r.error().detail.find(magic_mime(bytes)) != std::string::npos);
}

}  // namespace

TEST_CASE("sniff recognises the allowed file types", "[sniff]") {
    const std::vector<allowed_case> cases{
        {"PNG", png_sample(), "image/png", "png", media_family::image, asset_kind::poster},
        {"JPEG", jpeg_sample(), "image/jpeg", "jpg", media_family::image, asset_kind::poster},
        {"GIF", gif_sample(), "image/gif", "gif", media_family::image, asset_kind::poster},
        {"PDF", pdf_sample(), "application/pdf", "pdf", media_family::document,
         asset_kind::document},
        {"SVG", svg_sample(), "image/svg+xml", "svg", media_family::vector,
         asset_kind::infographic},
        {"MP4", mp4_sample(), "video/mp4", "mp4", media_family::video, asset_kind::video},
        {"M4A", m4a_sample(), "audio/mp4", "m4a", media_family::audio, asset_kind::podcast},
        {"WAV", wav_sample(), "audio/wav", "wav", media_family::audio, asset_kind::podcast},
        {"FLAC", flac_sample(), "audio/flac", "flac", media_family::audio, asset_kind::podcast},
        {"Ogg", ogg_sample(), "audio/ogg", "ogg", media_family::audio, asset_kind::podcast},
        {"MP3", mp3_sample(), "audio/mpeg", "mp3", media_family::audio, asset_kind::podcast},
    };
    for (const auto& c : cases) {
        INFO(c.name << ": libmagic says " << magic_mime(c.bytes));
        auto r = sniff(c.bytes);
        REQUIRE(r.has_value());
        CHECK(r->mime == c.mime);
        CHECK(r->extension == c.extension);
        CHECK(r->family == c.family);
        CHECK(kho::default_kind_for(*r) == c.kind);
    }
}

TEST_CASE("sniff maps libmagic's alias names to the canonical type", "[sniff]") {
    // libmagic reports these under other names; the result is canonical.
    CHECK(magic_mime(wav_sample()) == "audio/x-wav");
    CHECK(sniff(wav_sample())->mime == "audio/wav");
    CHECK(magic_mime(m4a_sample()) == "audio/x-m4a");
    CHECK(sniff(m4a_sample())->mime == "audio/mp4");
}

TEST_CASE("sniff looks at the bytes, not at what follows", "[sniff]") {
    // A full sniff window of a PNG is still a PNG.
    auto big = png_sample() + std::string(kho::media::sniff_bytes - png_sample().size(), '\0');
    REQUIRE(big.size() == kho::media::sniff_bytes);
    auto r = sniff(big);
    REQUIRE(r.has_value());
    CHECK(r->mime == "image/png");
    // An SVG without the XML declaration is still an SVG.
    auto bare = sniff(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><circle r=\"4\"/></svg>");
    REQUIRE(bare.has_value());
    CHECK(bare->mime == "image/svg+xml");
}

TEST_CASE("sniff refuses everything else", "[sniff]") {
    SECTION("HTML") {
        require_refused(
            "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Nghị quyết "
            "71</title>"
            "</head><body><p>Xin chào</p></body></html>\n");
    }
    SECTION("HTML with inline SVG and script") {
        require_refused(
            "<!DOCTYPE html><html><body><svg xmlns=\"http://www.w3.org/2000/svg\">"
            "<script>alert(document.cookie)</script></svg></body></html>");
    }
    SECTION("plain text") {
        require_refused("Thông báo tuyển sinh năm học 2025-2026.\nHạn nộp hồ sơ: 30/6.\n");
        require_refused("Thay ra thay, tro ra tro.\n");
    }
    SECTION("ImageMagick MVG script") {
        require_refused(
            "push graphic-context\nviewbox 0 0 640 480\n"
            "fill 'url(https://example.com/image.jpg\"|ls \"-la)'\npop graphic-context\n");
    }
    SECTION("PostScript") {
        require_refused("%!PS-Adobe-3.0\n%%Title: ap-phich.ps\n%%BoundingBox: 0 0 595 842\n");
    }
    SECTION("shell script") {
        require_refused("#!/bin/sh\nrm -rf /var/lib/kho\n");
    }
    SECTION("XML that is not SVG") {
        require_refused(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<baocao><tieude>Nghị "
            "quyết</tieude></baocao>\n");
    }
    SECTION("JSON") {
        require_refused("{\"title\": \"Áp phích Nghị quyết 71\", \"tags\": [\"chuyển đổi số\"]}\n");
    }
    SECTION("Windows executable") {
        require_refused(std::string("MZ") + raw({0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00}) +
                        std::string(50, '\0') + raw({0x80, 0x00, 0x00, 0x00}));
    }
    SECTION("empty input") {
        CHECK(magic_mime("") == "application/x-empty");
        auto r = sniff("");
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == errc::unsupported_media_type);
    }
    SECTION("random bytes") {
        std::mt19937 rng(71);
        for (int sample = 0; sample < 8; ++sample) {
            std::string bytes(4096, '\0');
            for (auto& b : bytes) b = static_cast<char>(rng() & 0xff);
            INFO("sample " << sample);
            require_refused(bytes);
        }
    }
    SECTION("a signature alone is not enough for a truncated PNG") {
        // Eight zero bytes are not a file type kho takes.
        require_refused(std::string(8, '\0'));
    }
}

TEST_CASE("sniff is usable from several threads", "[sniff]") {
    std::vector<std::thread> threads;
    std::vector<int> failures(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([t, &failures] {
            for (int i = 0; i < 50; ++i) {
                auto png = sniff(png_sample());
                auto pdf = sniff(pdf_sample());
                auto html = sniff("<!DOCTYPE html><html><body>x</body></html>");
                if (!png || png->mime != "image/png" || !pdf || pdf->mime != "application/pdf" ||
                    html)
                    ++failures[static_cast<size_t>(t)];
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(failures == std::vector<int>{0, 0, 0, 0});
}
