#include "api/admin_handler.hpp"

#include "api/app.hpp"
#include "api/problem.hpp"
#include "api/query.hpp"
#include "api/router.hpp"
#include "storage/asset_store.hpp"
#include "storage/maintenance.hpp"
#include "storage/migrating_blob_store.hpp"

#include <nlohmann/json.hpp>

namespace kho::api {
namespace {

using boost::asio::awaitable;
using json = nlohmann::json;

response json_response(const json& body) {
    response r;
    r.set_body(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
    r.headers.set("Cache-Control", "no-store");
    return r;
}

// POST /api/v1/admin/gc[?dry_run=true]
awaitable<response> gc(app& a, request& req) {
    auto q = query_params::parse(req.query);
    if (!q) co_return problem_response(q.error(), req.path);
    auto dry = q->get_bool("dry_run");
    if (!dry) co_return problem_response(dry.error(), req.path);
    auto report = co_await run_blocking(a, [&] {
        return storage::collect_garbage(a.assets, a.blobs, a.uploads, dry->value_or(false));
    });
    co_return json_response({{"dry_run", report.dry_run},
                             {"unreferenced_blobs", report.unreferenced_blobs},
                             {"unreferenced_bytes", report.unreferenced_bytes},
                             {"expired_uploads", report.expired_uploads}});
}

// POST /api/v1/admin/verify[?max_mb_per_second=N] (default 200, 0 = unlimited)
awaitable<response> verify(app& a, request& req) {
    auto q = query_params::parse(req.query);
    if (!q) co_return problem_response(q.error(), req.path);
    auto rate = q->get_uint("max_mb_per_second", 0, 100000);
    if (!rate) co_return problem_response(rate.error(), req.path);
    std::uint64_t bytes_per_second = rate->value_or(200) * 1000 * 1000;
    auto report = co_await run_blocking(
        a, [&] { return storage::verify_store(a.assets, a.blobs, bytes_per_second); });
    json problems = json::array();
    for (const auto& p : report.problems)
        problems.push_back({{"sha256", p.sha256}, {"problem", p.problem}, {"versions", p.where}});
    const auto& refs = report.references;
    json mismatches = json::array();
    for (const auto& m : refs.mismatches)
        mismatches.push_back({{"sha256", m.sha256}, {"recorded", m.recorded}, {"actual", m.actual}});
    json damaged = json::array();
    for (const auto& d : a.assets.damage().list())
        damaged.push_back({{"sha256", d.sha256},
                           {"found_by", d.found_by},
                           {"detail", d.detail},
                           {"at", format_rfc3339(d.at)}});
    co_return json_response(
        {{"ok", report.ok()},
         {"versions", report.versions},
         {"renditions", report.renditions},
         {"blobs_checked", report.blobs_checked},
         {"bytes_checked", report.bytes_checked},
         {"problems", std::move(problems)},
         {"references",
          {{"consistent", refs.consistent()},
           {"referenced_blobs", refs.referenced_blobs},
           {"referenced_bytes", refs.referenced_bytes},
           {"recorded_blob_count", refs.recorded_blob_count},
           {"recorded_blob_bytes", refs.recorded_blob_bytes},
           {"mismatches", std::move(mismatches)}}},
         {"damaged", std::move(damaged)}});
}

// POST /api/v1/admin/backup {"destination": "/absolute/path"}
awaitable<response> backup(app& a, request& req) {
    auto body = co_await read_body(req, a.limits.max_json_bytes);
    if (!body) co_return problem_response(body.error(), req.path);
    auto j = json::parse(*body, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        co_return problem_response(errc::bad_request, "the body must be a JSON object", req.path);
    if (!j.contains("destination") || !j["destination"].is_string())
        co_return problem_response(errc::invalid_parameter,
                                   "destination (an absolute path on the server) is required",
                                   req.path);
    std::filesystem::path dest = j["destination"].get<std::string>();
    if (!a.backup)
        co_return problem_response(errc::unavailable, "backups are not available", req.path);
    auto done = co_await run_blocking(a, [&] { return a.backup(dest); });
    if (!done) co_return problem_response(done.error(), req.path);
    co_return json_response({{"destination", done->destination.string()},
                             {"created_at", format_rfc3339(done->created_at)},
                             {"blobs", done->blobs_total},
                             {"blobs_copied", done->blobs_copied},
                             {"bytes_copied", done->bytes_copied}});
}

json migration_json(const storage::migration_status& s) {
    return {{"state", s.state},
            {"total", s.total},
            {"moved", s.moved},
            {"already_in_bucket", s.already},
            {"bytes", s.bytes},
            {"failed", s.failed},
            {"errors", s.errors},
            {"started_at", s.started_at ? json(format_rfc3339(s.started_at)) : json(nullptr)},
            {"finished_at", s.finished_at ? json(format_rfc3339(s.finished_at)) : json(nullptr)}};
}

storage::migrating_blob_store* migrating(app& a) {
    return dynamic_cast<storage::migrating_blob_store*>(&a.blobs);
}

// POST /api/v1/admin/blob-migration: starts moving the local blobs into
// the S3 bucket (202); GET: how far it got.
awaitable<response> start_migration(app& a, request& req) {
    auto* store = migrating(a);
    if (!store)
        co_return problem_response(errc::conflict,
                                   "this server keeps its blobs on local disk: start kho-server with "
                                   "--blob-store s3 (and the --s3-* settings) first, then migrate",
                                   req.path);
    if (auto started = store->start_migration(a.clock); !started)
        co_return problem_response(started.error(), req.path);
    auto r = json_response(migration_json(store->status()));
    r.status = 202;
    r.headers.set("Location", "/api/v1/admin/blob-migration");
    co_return r;
}

awaitable<response> migration_status(app& a, request& req) {
    auto* store = migrating(a);
    if (!store)
        co_return problem_response(errc::conflict, "this server keeps its blobs on local disk",
                                   req.path);
    co_return json_response(migration_json(store->status()));
}

}  // namespace

void add_admin_routes(router& r) {
    r.add({"POST", "/api/v1/admin/blob-migration", start_migration, true, body_kind::none,
           action::maintenance});
    r.add({"GET", "/api/v1/admin/blob-migration", migration_status, true, body_kind::none,
           action::maintenance});
    r.add({"POST", "/api/v1/admin/gc", gc, true, body_kind::none, action::maintenance});
    r.add({"POST", "/api/v1/admin/verify", verify, true, body_kind::none, action::maintenance});
    r.add({"POST", "/api/v1/admin/backup", backup, true, body_kind::json, action::maintenance});
}

}  // namespace kho::api
