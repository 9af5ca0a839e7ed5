// kho download: streams an original to a file, resumes a shorter existing
// file with Range + If-Range, and verifies the SHA-256 against the ETag.

#include "core/sha256.hpp"
#include "tools/api_target.hpp"
#include "tools/commands.hpp"
#include "tools/disposition.hpp"
#include "tools/download_file.hpp"
#include "tools/file_io.hpp"
#include "tools/format.hpp"

#include "core/file_name.hpp"

#include <nlohmann/json.hpp>

#include <iostream>

namespace kho::cli {
namespace {

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

    // 3. Transfer and verify.
    const auto got = download_file(
        ctx, {.target = target,
              .path = path,
              .resume_from = offset,
              .if_range = etag,
              .what = o.id,
              .label = path,
              .interrupted_advice = ": run the same command to resume",
              .resumed_mismatch_advice = " (the partial file was not from this asset? use --force "
                                         "to download it again)"});
    if (ctx.json()) {
        nlohmann::json out{{"id", o.id},
                           {"file", path},
                           {"bytes", got.start + got.bytes},
                           {"sha256", got.sha256},
                           {"resumed_from", got.start}};
        std::cout << dump_json(out) << '\n';
    } else {
        std::cout << terminal_safe(path) << '\n';
        std::cerr << "kho: saved " << human_bytes(got.start + got.bytes)
                  << (got.start > 0 ? " (resumed at " + human_bytes(got.start) + ")" : "")
                  << ", SHA-256 verified\n";
    }
    return exit_ok;
}

}  // namespace kho::cli
