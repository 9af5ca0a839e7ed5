#include "api/download.hpp"

#include "api/app.hpp"
#include "api/byte_range.hpp"
#include "api/conditional.hpp"
#include "api/content_disposition.hpp"
#include "api/problem.hpp"
#include "api/zip_archive.hpp"

#include <openssl/rand.h>

namespace kho::api {
namespace {

std::string content_range(const byte_range& r, std::uint64_t size) {
    return "bytes " + std::to_string(r.first) + "-" + std::to_string(r.last) + "/" +
           std::to_string(size);
}

std::string make_boundary() {
    static constexpr char digits[] = "0123456789abcdef";
    unsigned char bytes[12];
    RAND_bytes(bytes, sizeof bytes);
    std::string b = "kho-";
    for (auto c : bytes) {
        b += digits[c >> 4];
        b += digits[c & 0xf];
    }
    return b;
}

void set_validators(response& r, const validators& v) {
    r.headers.set("ETag", v.etag);
    r.headers.set("Last-Modified", format_http_date(v.last_modified));
}

}  // namespace

response build_download(const request& req, download_spec spec) {
    representation rep;
    rep.size = spec.file.size;
    if (rep.size > 0) rep.parts.emplace_back(segment_of(spec.file, 0, rep.size));
    rep.etag = "\"" + spec.sha256 + "\"";
    rep.last_modified = spec.last_modified;
    rep.file_name = std::move(spec.file_name);
    rep.content_type = std::move(spec.content_type);
    rep.attachment = spec.attachment;
    auto r = serve_representation(req, std::move(rep));
    // The whole blob goes out: check it against its name on the way
    // (docs/storage.md, "Damaged blobs"). Ranges go as they are.
    if (r.status == 200 && r.body.size() == 1)
        if (auto* f = std::get_if<file_segment>(&r.body.front()); f && f->length == spec.file.size)
            f->verify_sha256 = spec.sha256;
    return r;
}

response serve_representation(const request& req, representation spec) {
    const validators v{spec.etag, spec.last_modified};
    const std::uint64_t size = spec.size;

    response r;
    set_validators(r, v);
    r.headers.add("Accept-Ranges", "bytes");
    // Access can be withdrawn at any time: caches must revalidate.
    r.headers.add("Cache-Control", "private, no-cache");
    r.headers.add("X-Content-Type-Options", "nosniff");
    r.headers.add("Content-Disposition",
                  content_disposition(spec.attachment ? "attachment" : "inline", spec.file_name));
    if (spec.attachment) r.headers.add("Content-Security-Policy", "default-src 'none'; sandbox");

    switch (evaluate_preconditions(req.headers, req.method, v)) {
        case precondition::not_modified: {
            response nm;
            nm.status = 304;
            set_validators(nm, v);
            nm.headers.set("Cache-Control", "private, no-cache");
            return nm;
        }
        case precondition::precondition_failed: {
            auto p = problem_response(errc::precondition_failed,
                                      "the stored file does not match the request's conditions",
                                      req.path);
            set_validators(p, v);
            return p;
        }
        case precondition::proceed:
            break;
    }

    range_result ranges;
    if (auto range = req.headers.get("Range"); range && if_range_allows(req.headers, v))
        ranges = evaluate_range(*range, size);

    switch (ranges.outcome) {
        case range_result::kind::full:
            r.status = 200;
            r.headers.set("Content-Type", spec.content_type);
            r.body = std::move(spec.parts);
            return r;
        case range_result::kind::unsatisfiable: {
            auto p = problem_response(errc::range_not_satisfiable,
                                      "the file has " + std::to_string(size) +
                                          " bytes; the requested range lies outside it",
                                      req.path);
            p.headers.set("Content-Range", "bytes */" + std::to_string(size));
            set_validators(p, v);
            return p;
        }
        case range_result::kind::refused: {
            auto p = problem_response(errc::range_not_satisfiable,
                                      "more than 16 ranges, or ranges that overlap, are refused; "
                                      "ask for fewer, separate ranges",
                                      req.path);
            p.headers.set("Content-Range", "bytes */" + std::to_string(size));
            set_validators(p, v);
            return p;
        }
        case range_result::kind::partial:
            break;
    }

    r.status = 206;
    if (ranges.ranges.size() == 1) {
        const auto& one = ranges.ranges.front();
        r.headers.set("Content-Type", spec.content_type);
        r.headers.set("Content-Range", content_range(one, size));
        r.first_byte = one.first;
        r.body = slice_parts(spec.parts, one.first, one.length());
        return r;
    }
    auto boundary = make_boundary();
    r.headers.set("Content-Type", "multipart/byteranges; boundary=" + boundary);
    r.first_byte = ranges.ranges.front().first;
    for (const auto& part : ranges.ranges) {
        r.body.emplace_back("\r\n--" + boundary + "\r\nContent-Type: " + spec.content_type +
                            "\r\nContent-Range: " + content_range(part, size) + "\r\n\r\n");
        for (auto& seg : slice_parts(spec.parts, part.first, part.length()))
            r.body.push_back(std::move(seg));
    }
    r.body.emplace_back("\r\n--" + boundary + "--\r\n");
    return r;
}

void offer_redirect(const app& a, const request& req, response& r, const std::string& sha256) {
    if (!a.limits.redirect_downloads || req.method != "GET") return;
    if (r.status != 200 && r.status != 206) return;
    auto disposition = r.headers.get("Content-Disposition");
    auto type = r.headers.get("Content-Type");
    if (!disposition || !disposition->starts_with("attachment") || !type ||
        type->starts_with("multipart/"))
        return;
    std::uint64_t size = r.content_length();
    if (r.status == 206) {
        auto cr = r.headers.get("Content-Range").value_or("");
        auto slash = cr.rfind('/');
        if (slash == std::string_view::npos) return;
        size = std::strtoull(std::string(cr.substr(slash + 1)).c_str(), nullptr, 10);
    }
    storage::blob_store::presign_options o;
    o.expires_in = static_cast<std::uint32_t>(a.limits.presign_expiry.count());
    o.content_disposition = std::string(*disposition);
    o.content_type = std::string(*type);
    auto url = a.blobs.presign_get(sha256, o);
    if (!url) return;  // not in the store (yet): kho serves it
    response redirect;
    redirect.status = 302;
    redirect.headers.set("Location", std::move(*url));
    redirect.headers.set("Cache-Control", "no-store");
    if (auto etag = r.headers.get("ETag")) redirect.headers.set("ETag", std::string(*etag));
    redirect.first_byte = r.first_byte;
    redirect.redirected_size = size;
    r = std::move(redirect);
}

}  // namespace kho::api
