// kho gc, kho verify, kho reindex and kho migrate-blobs: /api/v1/admin/gc,
// /verify, /reindex and /blob-migration.

#include "tools/api_target.hpp"
#include "tools/commands.hpp"
#include "tools/format.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>
#include <thread>

namespace kho::cli {

int run_gc(const global_options& g, const gc_options& o) {
    context ctx(g, true);
    query_list q;
    if (o.dry_run) q.emplace_back("dry_run", "true");
    auto r = ctx.client().request("POST", api_target(ctx.server(), {"api", "v1", "admin", "gc"}, q),
                                  ctx.auth());
    if (r.status != 200) throw command_error("gc: " + describe_failure(r));
    auto j = parse_json_body(r, "the gc report");
    if (ctx.json()) {
        std::cout << dump_json(j) << '\n';
        return exit_ok;
    }
    auto blobs = j.value("unreferenced_blobs", 0);
    auto bytes = j.value("unreferenced_bytes", std::uint64_t{0});
    std::cout << (o.dry_run ? "would remove " : "removed ") << blobs << " unreferenced blob"
              << (blobs == 1 ? "" : "s") << " (" << human_bytes(bytes) << ")";
    if (!o.dry_run) std::cout << " and " << j.value("expired_uploads", 0) << " expired uploads";
    std::cout << '\n';
    return exit_ok;
}

int run_reindex(const global_options& g) {
    context ctx(g, true);
    auto r = ctx.client().request("POST", api_target(ctx.server(), {"api", "v1", "admin", "reindex"}, {}),
                                  ctx.auth());
    if (r.status != 200) throw command_error("reindex: " + describe_failure(r));
    auto j = parse_json_body(r, "the reindex report");
    if (ctx.json())
        std::cout << dump_json(j) << '\n';
    else
        std::cout << "indexed " << j.value("indexed_assets", 0) << " assets\n";
    return exit_ok;
}

int run_migrate_blobs(const global_options& g, const migrate_blobs_options& o) {
    context ctx(g, true);
    const auto target = api_target(ctx.server(), {"api", "v1", "admin", "blob-migration"}, {});
    auto r = ctx.client().request("POST", target, ctx.auth());
    if (r.status != 202) throw command_error("migrate-blobs: " + describe_failure(r));
    auto j = parse_json_body(r, "the migration status");
    std::string last;
    while (!o.no_wait && j.value("state", "") == "running") {
        auto line = std::to_string(j.value("moved", 0) + j.value("already_in_bucket", 0)) + " of " +
                    std::to_string(j.value("total", 0)) + " blobs moved (" +
                    human_bytes(j.value("bytes", std::uint64_t{0})) + ")";
        if (!ctx.json() && line != last) std::cerr << line << '\n';
        last = line;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        auto s = ctx.client().request("GET", target, ctx.auth());
        if (s.status != 200) throw command_error("migrate-blobs: " + describe_failure(s));
        j = parse_json_body(s, "the migration status");
    }
    const bool good = j.value("state", "") != "failed";
    if (ctx.json()) {
        std::cout << dump_json(j) << '\n';
        return good ? exit_ok : exit_failure;
    }
    std::cout << j.value("state", "?") << ": " << j.value("moved", 0) << " blobs sent ("
              << human_bytes(j.value("bytes", std::uint64_t{0})) << "), "
              << j.value("already_in_bucket", 0) << " already in the bucket, " << j.value("failed", 0)
              << " failed\n";
    for (const auto& e : j.value("errors", nlohmann::json::array()))
        std::cout << "  " << terminal_safe(e.get<std::string>()) << '\n';
    return good ? exit_ok : exit_failure;
}

int run_verify(const global_options& g, const verify_options& o) {
    context ctx(g, true);
    query_list q{{"max_mb_per_second", std::to_string(o.max_mb_per_second)}};
    auto r = ctx.client().request(
        "POST", api_target(ctx.server(), {"api", "v1", "admin", "verify"}, q), ctx.auth());
    if (r.status != 200) throw command_error("verify: " + describe_failure(r));
    auto j = parse_json_body(r, "the verify report");
    const bool healthy = j.value("ok", false);
    if (ctx.json()) {
        std::cout << dump_json(j) << '\n';
        return healthy ? exit_ok : exit_failure;
    }
    std::cout << "checked " << j.value("blobs_checked", 0) << " blobs ("
              << human_bytes(j.value("bytes_checked", std::uint64_t{0})) << ") for "
              << j.value("versions", 0) << " versions and " << j.value("renditions", 0)
              << " renditions\n";
    for (const auto& p : j.value("problems", nlohmann::json::array())) {
        std::cout << p.value("problem", "?") << "  " << p.value("sha256", "?") << "  used by";
        for (const auto& v : p.value("versions", nlohmann::json::array()))
            std::cout << ' ' << terminal_safe(v.get<std::string>());
        std::cout << '\n';
    }
    const auto refs = j.value("references", nlohmann::json::object());
    for (const auto& m : refs.value("mismatches", nlohmann::json::array()))
        std::cout << "reference count  " << m.value("sha256", "?") << "  recorded "
                  << m.value("recorded", 0) << ", used " << m.value("actual", 0) << '\n';
    if (refs.value("recorded_blob_count", 0) != refs.value("referenced_blobs", 0))
        std::cout << "blob statistics  " << refs.value("recorded_blob_count", 0)
                  << " blobs recorded, " << refs.value("referenced_blobs", 0) << " in use\n";
    std::cout << (healthy ? "everything is intact\n" : "PROBLEMS FOUND\n");
    return healthy ? exit_ok : exit_failure;
}

}  // namespace kho::cli
