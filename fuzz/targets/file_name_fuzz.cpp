// Client file names: kho::sanitize_file_name and file_extension
// (core/file_name.hpp), the Content-Disposition of downloads
// (api/content_disposition.hpp), and the Content-Disposition parser of
// multipart uploads (api/multipart_parser.cpp, reached through a one-part
// body). Properties:
// - a sanitized name is valid UTF-8 of 1..255 bytes without '/', '\\',
//   controls (C0, DEL, C1) or bidi overrides, is never "." or "..", does
//   not start or end with a space or a dot, and sanitizing it again
//   changes nothing;
// - a download header is printable ASCII (no CR, LF or NUL: no header
//   injection), its quoted fallback holds no '"' or '\\', and its
//   filename* decodes back to exactly the sanitized name;
// - that header, sent back as a part's Content-Disposition, parses to the
//   same name (what kho writes, kho reads);
// - the input itself as a part's Content-Disposition parses or is a
//   bad_request, and any file name it yields sanitizes as above.
//
// Input: 1 byte choosing inline or attachment, then the name.

#include "api/content_disposition.hpp"
#include "api/multipart_parser.hpp"
#include "core/file_name.hpp"
#include "fuzz/fuzz_support.hpp"

#include <cctype>

namespace {

using kho::fuzz::decode_utf8;

void check_sanitized(const std::string& s) {
    std::u32string cps;
    KHO_FUZZ_CHECK(decode_utf8(s, &cps));
    KHO_FUZZ_CHECK(!s.empty() && s.size() <= 255);
    KHO_FUZZ_CHECK(s != "." && s != "..");
    KHO_FUZZ_CHECK(s.front() != ' ' && s.front() != '.' && s.back() != ' ' && s.back() != '.');
    for (char32_t c : cps) {
        KHO_FUZZ_CHECK(c != '/' && c != '\\');
        KHO_FUZZ_CHECK(c >= 0x20 && !(c >= 0x7f && c <= 0x9f));
        KHO_FUZZ_CHECK(!(c >= 0x202a && c <= 0x202e) && !(c >= 0x2066 && c <= 0x2069));
        KHO_FUZZ_CHECK(c != 0x200e && c != 0x200f && c != 0xfeff);
    }
    KHO_FUZZ_CHECK(kho::sanitize_file_name(s) == s);
}

void check_extension(std::string_view name) {
    const std::string ext = kho::file_extension(name);
    const auto dot = name.find_last_of('.');
    if (dot == std::string_view::npos) {
        KHO_FUZZ_CHECK(ext.empty());
        return;
    }
    KHO_FUZZ_CHECK(ext.size() == name.size() - dot - 1);
    for (std::size_t i = 0; i < ext.size(); ++i) {
        const char c = name[dot + 1 + i];
        KHO_FUZZ_CHECK(ext[i] == ((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c));
    }
}

int hex(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

// The header kho sends, checked field by field.
void check_disposition(std::string_view type, const std::string& value, const std::string& name) {
    for (char ch : value) {
        auto c = static_cast<unsigned char>(ch);
        KHO_FUZZ_CHECK(c >= 0x20 && c < 0x7f);
    }
    const std::string head = std::string(type) + "; filename=\"";
    KHO_FUZZ_CHECK(value.starts_with(head));
    const auto close = value.find('"', head.size());
    KHO_FUZZ_CHECK(close != std::string::npos);
    const std::string_view fallback =
        std::string_view(value).substr(head.size(), close - head.size());
    KHO_FUZZ_CHECK(!fallback.empty() && fallback.find('\\') == std::string_view::npos &&
                   fallback.find('%') == std::string_view::npos &&
                   fallback.find('/') == std::string_view::npos);
    const std::string ext_head = "\"; filename*=UTF-8''";
    KHO_FUZZ_CHECK(value.compare(close, ext_head.size(), ext_head) == 0);
    std::string decoded;
    const std::string_view encoded = std::string_view(value).substr(close + ext_head.size());
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        if (encoded[i] != '%') {
            KHO_FUZZ_CHECK(std::string_view("!#$&+-.^_`|~").find(encoded[i]) !=
                               std::string_view::npos ||
                           std::isalnum(static_cast<unsigned char>(encoded[i])));
            decoded += encoded[i];
            continue;
        }
        KHO_FUZZ_CHECK(i + 2 < encoded.size());
        const int hi = hex(encoded[i + 1]), lo = hex(encoded[i + 2]);
        KHO_FUZZ_CHECK(hi >= 0 && lo >= 0);
        decoded += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    KHO_FUZZ_CHECK(decoded == name);
}

// kho's own header, with the disposition type swapped for form-data, read
// back by the upload parser.
void check_upload_parser_reads(const std::string& value, const std::string& name) {
    const std::string params = value.substr(value.find(';'));
    const std::string body =
        "--b\r\nContent-Disposition: form-data; name=\"file\"" + params + "\r\n\r\nx\r\n--b--\r\n";
    std::optional<std::string> seen;
    kho::api::multipart_callbacks cb;
    cb.on_part_begin = [&](const kho::api::multipart_part_info& info) -> kho::result<void> {
        seen = info.filename;
        return kho::ok();
    };
    kho::api::multipart_parser p("b", cb);
    KHO_FUZZ_CHECK(p.feed(body) && p.finish());
    KHO_FUZZ_CHECK(seen && *seen == name);
}

// Any value as an uploaded part's Content-Disposition: whatever name the
// parser yields, sanitizing makes it a safe file name, as the upload
// handler does.
void check_upload_parser_any(std::string_view value) {
    if (value.find_first_of("\r\n") != std::string_view::npos) return;
    const std::string body =
        "--b\r\nContent-Disposition: " + std::string(value) + "\r\n\r\nx\r\n--b--\r\n";
    kho::api::multipart_callbacks cb;
    cb.on_part_begin = [&](const kho::api::multipart_part_info& info) -> kho::result<void> {
        KHO_FUZZ_CHECK(!kho::fuzz::has_ascii_control(info.name, true));
        if (info.filename) check_sanitized(kho::sanitize_file_name(*info.filename));
        return kho::ok();
    };
    kho::api::multipart_parser p("b", cb);
    auto r = p.feed(body);
    if (r) r = p.finish();
    if (!r) KHO_FUZZ_CHECK(r.error().code == kho::errc::bad_request);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    kho::fuzz::fuzz_reader in(data, size);
    const std::string_view type = in.byte() & 1 ? "inline" : "attachment";
    const std::string_view raw = in.rest();

    const std::string name = kho::sanitize_file_name(raw);
    check_sanitized(name);
    check_extension(raw);
    check_extension(name);

    const std::string value = kho::api::content_disposition(type, raw);
    check_disposition(type, value, name);
    check_upload_parser_reads(value, name);
    check_upload_parser_any(raw);
    return 0;
}
