#pragma once
// /healthz (the process answers), /readyz (recovery finished and not shutting
// down), /metrics (Prometheus text), /api/v1/openapi.json.

namespace kho::api {

class router;
void add_system_routes(router& r);

// The OpenAPI 3.1 document (api/openapi.json, embedded at build time).
extern const char* const openapi_document;

}  // namespace kho::api
