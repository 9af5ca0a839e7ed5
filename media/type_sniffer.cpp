#include "media/type_sniffer.hpp"

#include <magic.h>

#include <memory>

namespace kho::media {
namespace {

struct cookie_deleter {
    void operator()(magic_set* m) const noexcept { magic_close(m); }
};

magic_t cookie() {
    thread_local std::unique_ptr<magic_set, cookie_deleter> c = [] {
        std::unique_ptr<magic_set, cookie_deleter> m(
            magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ELF |
                       MAGIC_NO_CHECK_TAR | MAGIC_ERROR));
        if (m && magic_load(m.get(), nullptr) != 0) m.reset();
        return m;
    }();
    return c.get();
}

}  // namespace

std::string magic_mime(std::string_view head) {
    if (head.empty()) return "application/x-empty";
    auto* m = cookie();
    if (!m) return "application/octet-stream";
    const char* r = magic_buffer(m, head.data(), head.size());
    return r ? std::string(r) : "application/octet-stream";
}

namespace {

// libmagic calls an SVG "text/xml" when it starts with a byte order mark or a
// long comment; look for the root element ourselves in that case only (an
// HTML page with inline SVG stays text/html and is refused).
bool looks_like_svg_xml(std::string_view head) {
    auto window = head.substr(0, 4096);
    return window.find("<svg") != std::string_view::npos &&
           window.find("http://www.w3.org/2000/svg") != std::string_view::npos;
}

}  // namespace

result<media_type_info> sniff(std::string_view head) {
    auto mime = magic_mime(head);
    if (mime == "text/xml" && looks_like_svg_xml(head)) mime = "image/svg+xml";
    if (auto t = find_allowed_media_type(mime)) return *t;
    // libmagic names MP4 audio-only files video/mp4 and M4A "audio/x-m4a";
    // both are handled by aliases. Everything else is refused.
    return make_error(errc::unsupported_media_type,
                      "files of type " + mime +
                          " are not accepted; kho takes images (JPEG, PNG, "
                          "WebP, TIFF, GIF, AVIF, HEIC, SVG), PDF, video (MP4, MOV, WebM, MKV) and "
                          "audio (MP3, M4A, WAV, Ogg, FLAC)");
}

}  // namespace kho::media
