// kho status: GET /readyz and /metrics.

#include "tools/api_target.hpp"
#include "tools/commands.hpp"
#include "tools/format.hpp"

#include <nlohmann/json.hpp>

#include <iostream>

namespace kho::cli {

int run_status(const global_options& g) {
    context ctx(g, false);
    auto ready = ctx.client().request("GET", api_target(ctx.server(), {"readyz"}));
    const bool is_ready = ready.status == 200;
    auto metrics = ctx.client().request("GET", api_target(ctx.server(), {"metrics"}));
    if (metrics.status != 200)
        throw command_error("reading /metrics: " + describe_failure(metrics));
    const auto blobs = metric_value(metrics.body, "kho_blobs");
    const auto bytes = metric_value(metrics.body, "kho_blob_bytes");

    if (ctx.json()) {
        nlohmann::json out{
            {"url", g.url},
            {"ready", is_ready},
            {"blobs", blobs ? nlohmann::json(*blobs) : nlohmann::json(nullptr)},
            {"blob_bytes", bytes ? nlohmann::json(*bytes) : nlohmann::json(nullptr)}};
        if (!is_ready) out["detail"] = describe_failure(ready);
        std::cout << dump_json(out) << '\n';
    } else {
        std::cout << "server  " << terminal_safe(g.url) << '\n'
                  << "ready   " << (is_ready ? "yes" : "no: " + describe_failure(ready)) << '\n'
                  << "blobs   " << (blobs ? std::to_string(*blobs) : "unknown") << '\n'
                  << "stored  "
                  << (bytes ? human_bytes(*bytes) + " (" + std::to_string(*bytes) + " bytes)"
                            : "unknown")
                  << '\n';
    }
    return is_ready ? exit_ok : exit_failure;
}

}  // namespace kho::cli
