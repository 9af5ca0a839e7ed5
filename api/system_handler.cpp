#include "api/system_handler.hpp"

#include "api/app.hpp"
#include "api/problem.hpp"
#include "api/router.hpp"
#include "storage/asset_store.hpp"
#include "storage/usage_store.hpp"

namespace kho::api {
namespace {

using boost::asio::awaitable;

response text(int status, std::string body, std::string type = "text/plain; charset=utf-8") {
    response r;
    r.status = status;
    r.set_body(std::move(body), std::move(type));
    r.headers.set("Cache-Control", "no-store");
    return r;
}

awaitable<response> healthz(app&, request&) {
    co_return text(200, "ok\n");
}

awaitable<response> readyz(app& a, request& req) {
    if (a.stopping) co_return problem_response(errc::unavailable, "shutting down", req.path);
    if (!a.ready) co_return problem_response(errc::unavailable, "recovery is running", req.path);
    co_return text(200, "ready\n");
}

awaitable<response> metrics(app& a, request&) {
    auto st = a.assets.stats();
    co_return text(200, a.metrics.render({st.blob_count, st.blob_bytes, a.usage.lost()}),
                   "text/plain; version=0.0.4; charset=utf-8");
}

awaitable<response> openapi(app&, request&) {
    auto r = text(200, openapi_document, "application/json");
    r.headers.set("Cache-Control", "public, max-age=300");
    co_return r;
}

}  // namespace

void add_system_routes(router& r) {
    r.add({"GET", "/healthz", healthz, false});
    r.add({"GET", "/readyz", readyz, false});
    r.add({"GET", "/metrics", metrics, false});
    r.add({"GET", "/api/v1/openapi.json", openapi, false});
}

}  // namespace kho::api
