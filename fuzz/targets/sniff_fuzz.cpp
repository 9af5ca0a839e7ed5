// File type sniffing (media/type_sniffer.hpp) on the first bytes of an
// upload. Properties: libmagic never crashes on any head; sniff() answers
// an allowed type (canonical, as find_allowed_media_type knows it) or
// unsupported_media_type, and answers the same twice.
//
// Input: the head of a file.

#include "core/media_types.hpp"
#include "fuzz/fuzz_support.hpp"
#include "media/type_sniffer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view head(reinterpret_cast<const char*>(data),
                                std::min(size, kho::media::sniff_bytes));
    const std::string mime = kho::media::magic_mime(head);
    KHO_FUZZ_CHECK(!mime.empty() && !kho::fuzz::has_ascii_control(mime));

    auto t = kho::media::sniff(head);
    if (!t) {
        KHO_FUZZ_CHECK(t.error().code == kho::errc::unsupported_media_type);
        return 0;
    }
    auto canonical = kho::find_allowed_media_type(t->mime);
    KHO_FUZZ_CHECK(canonical && canonical->mime == t->mime);
    auto again = kho::media::sniff(head);
    KHO_FUZZ_CHECK(again && again->mime == t->mime);
    return 0;
}
