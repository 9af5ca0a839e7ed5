// kho download: streams an original to a file, resumes a shorter existing
// file with Range + If-Range, and verifies the SHA-256 against the ETag.

#include "core/sha256.hpp"
#include "tools/api_target.hpp"
#include "tools/commands.hpp"
#include "tools/disposition.hpp"
#include "tools/file_io.hpp"
#include "tools/format.hpp"
#include "tools/progress.hpp"

#include "core/file_name.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <iostream>

namespace kho::cli {
namespace {

std::optional<std::uint64_t> parse_u64(std::string_view s) {
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

// The ETag of an original is its SHA-256 in quotes.
std::optional<std::string> sha256_from_etag(std::string_view etag) {
    if (etag.size() != 66 || etag.front() != '"' || etag.back() != '"') return std::nullopt;
    std::string hex(etag.substr(1, 64));
    for (char c : hex)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
    return hex;
}

// First byte position of "bytes <first>-<last>/<size>".
std::optional<std::uint64_t> content_range_start(std::string_view v) {
    if (v.substr(0, 6) != "bytes ") return std::nullopt;
    v.remove_prefix(6);
    return parse_u64(v.substr(0, v.find('-')));
}

std::string original_target(const context& ctx, const download_options& o) {
    if (o.version == 0) return api_target(ctx.server(), {"api", "v1", "assets", o.id, "original"});
    const auto n = std::to_string(o.version);
    return api_target(ctx.server(), {"api", "v1", "assets", o.id, "versions", n, "original"});
}

// HEAD answers carry no problem document: ask with GET for the detail.
[[noreturn]] void fail_with_detail(context& ctx, const std::string& target,
                                   const download_options& o, const http_response& head) {
    auto r = ctx.client().download(target, ctx.auth(), [&](const http_response& h) -> body_sink {
        if (h.status < 300)
            throw command_error(terminal_safe(o.id) + ": " + describe_failure(head));
        return {};
    });
    throw command_error(terminal_safe(o.id) + ": " + describe_failure(r));
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

int run_download(const global_options& g, const download_options& o) {
    context ctx(g, true);
    const std::string target = original_target(ctx, o);

    // 1. What the server has: name, size, ETag.
    auto head = ctx.client().request("HEAD", target, ctx.auth());
    if (head.status != 200) fail_with_detail(ctx, target, o, head);
    const std::string etag = head.header("ETag").value_or("");
    if (!sha256_from_etag(etag))
        throw command_error("the server sent no SHA-256 ETag for " + terminal_safe(o.id) +
                            "; the download could not be verified");
    const auto total = parse_u64(head.header("Content-Length").value_or(""));
    std::string path = o.output;
    if (path.empty())
        path = disposition_file_name(head.header("Content-Disposition").value_or(""))
                   .value_or(sanitize_file_name(o.id));

    // 2. What we have: resume a shorter file, keep an identical one, refuse others.
    std::uint64_t offset = 0;
    if (auto existing = regular_file_size(path); existing && *existing > 0 && !o.force) {
        if (total && *existing < *total) {
            offset = *existing;
        } else {
            kho::sha256 h;
            read_prefix(path, *existing, [&](std::string_view d) { h.update(d); });
            if (total && *existing == *total && "\"" + h.finish_hex() + "\"" == etag) {
                std::cerr << "kho: " << terminal_safe(path) << " is already complete\n";
                std::cout << terminal_safe(path) << '\n';
                return exit_ok;
            }
            throw command_error(
                terminal_safe(path) +
                " already exists and is not a partial copy of this file; use --force "
                "to replace it");
        }
    }

    // 3. Transfer.
    header_list headers = ctx.auth();
    if (offset > 0) {
        headers.emplace_back("Range", "bytes=" + std::to_string(offset) + "-");
        headers.emplace_back("If-Range", etag);  // a changed file comes whole (200)
    }
    transfer t;
    http_response r;
    try {
        r = ctx.client().download(target, headers, [&](const http_response& h) -> body_sink {
            if (h.status == 206 && offset > 0) {
                if (content_range_start(h.header("Content-Range").value_or("")) != offset)
                    throw command_error(
                        "the server answered the resume request with a different range");
                read_prefix(path, offset, [&](std::string_view d) { t.hasher.update(d); });
                t.out.emplace(path, output_file::mode::append);
                t.start = offset;
            } else if (h.status == 200) {
                t.out.emplace(path, output_file::mode::truncate);
            } else {
                return {};  // an error document
            }
            t.etag = h.header("ETag").value_or("");
            t.done = t.start;
            const auto length = parse_u64(h.header("Content-Length").value_or(""));
            t.bar.emplace(path, length ? std::optional(t.start + *length) : std::nullopt, t.start);
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
        throw transport_error(std::string(e.what()) + "; " + terminal_safe(path) +
                              " keeps the part received: run the same command to resume");
    }
    if (!t.out) throw command_error(terminal_safe(o.id) + ": " + describe_failure(r));
    t.bar->finish();

    // 4. Verify.
    const std::string actual = t.hasher.finish_hex();
    const auto expected = sha256_from_etag(t.etag);
    if (!expected)
        throw command_error("the server sent no SHA-256 ETag for " + terminal_safe(o.id) +
                            "; the download could not be verified");
    if (actual != *expected) {
        std::string msg = "SHA-256 mismatch: " + terminal_safe(path) + " hashes to " + actual +
                          " but the server's ETag says " + *expected;
        if (t.start > 0)
            msg += " (the partial file was not from this asset? use --force to download it again)";
        throw command_error(msg);
    }
    if (ctx.json()) {
        nlohmann::json out{{"id", o.id},
                           {"file", path},
                           {"bytes", t.done},
                           {"sha256", actual},
                           {"resumed_from", t.start}};
        std::cout << dump_json(out) << '\n';
    } else {
        std::cout << terminal_safe(path) << '\n';
        std::cerr << "kho: saved " << human_bytes(t.done)
                  << (t.start > 0 ? " (resumed at " + human_bytes(t.start) + ")" : "")
                  << ", SHA-256 verified\n";
    }
    return exit_ok;
}

}  // namespace kho::cli
