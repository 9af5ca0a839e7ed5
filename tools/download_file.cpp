#include "tools/download_file.hpp"

#include "core/sha256.hpp"
#include "tools/file_io.hpp"
#include "tools/format.hpp"
#include "tools/progress.hpp"

#include <charconv>

namespace kho::cli {
namespace {

// First byte position of "bytes <first>-<last>/<size>".
std::optional<std::uint64_t> content_range_start(std::string_view v) {
    if (v.substr(0, 6) != "bytes ") return std::nullopt;
    v.remove_prefix(6);
    return parse_u64(v.substr(0, v.find('-')));
}

std::string no_etag_message(const download_request& req) {
    return "the server sent no SHA-256 ETag for " + terminal_safe(req.what) +
           "; the download could not be verified";
}

struct transfer {
    std::optional<output_file> out;
    std::optional<progress_bar> bar;
    kho::sha256 hasher;
    std::uint64_t start = 0;  // where this response's bytes begin in the file
    std::uint64_t done = 0;
    std::string etag;
};

}  // namespace

std::optional<std::uint64_t> parse_u64(std::string_view s) {
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

std::optional<std::string> sha256_from_etag(std::string_view etag) {
    if (etag.size() != 66 || etag.front() != '"' || etag.back() != '"') return std::nullopt;
    std::string hex(etag.substr(1, 64));
    for (char c : hex)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
    return hex;
}

download_outcome download_file(context& ctx, const download_request& req) {
    const std::uint64_t offset = req.resume_from;
    header_list headers = ctx.auth();
    if (offset > 0) {
        headers.emplace_back("Range", "bytes=" + std::to_string(offset) + "-");
        headers.emplace_back("If-Range", req.if_range);  // a changed file comes whole (200)
    }
    transfer t;
    http_response r;
    try {
        r = ctx.client().download(req.target, headers, [&](const http_response& h) -> body_sink {
            if (h.status == 206 && offset > 0) {
                if (content_range_start(h.header("Content-Range").value_or("")) != offset)
                    throw command_error(
                        "the server answered the resume request with a different range");
                read_prefix(req.path, offset, [&](std::string_view d) { t.hasher.update(d); });
                t.out.emplace(req.path, output_file::mode::append);
                t.start = offset;
            } else if (h.status == 200) {
                t.out.emplace(req.path, output_file::mode::truncate);
            } else {
                return {};  // an error document
            }
            t.etag = h.header("ETag").value_or("");
            t.done = t.start;
            const auto length = parse_u64(h.header("Content-Length").value_or(""));
            t.bar.emplace(req.label.empty() ? req.path : req.label,
                          length ? std::optional(t.start + *length) : std::nullopt, t.start);
            return [&](std::string_view d) {
                t.out->write(d);
                t.hasher.update(d);
                t.done += d.size();
                t.bar->update(t.done);
            };
        });
    } catch (const transport_error& e) {
        if (!t.out) throw;
        t.bar.reset();
        throw transport_error(std::string(e.what()) + "; " + terminal_safe(req.path) +
                              " keeps the part received" + req.interrupted_advice);
    }
    if (!t.out) throw command_error(terminal_safe(req.what) + ": " + describe_failure(r));
    t.bar->finish();
    t.out.reset();

    download_outcome outcome{t.start, t.done - t.start, t.hasher.finish_hex()};
    const auto expected = sha256_from_etag(t.etag);
    if (!expected) throw command_error(no_etag_message(req));
    if (outcome.sha256 != *expected) {
        std::string msg = "SHA-256 mismatch: " + terminal_safe(req.path) + " hashes to " +
                          outcome.sha256 + " but the server's ETag says " + *expected;
        if (t.start > 0) msg += req.resumed_mismatch_advice;
        throw command_error(msg);
    }
    return outcome;
}

}  // namespace kho::cli
