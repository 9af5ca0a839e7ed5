#pragma once
// The one table that maps kho error codes to HTTP status codes, and the
// application/problem+json (RFC 9457) body every error response carries:
//   {"type": "https://kho.invalid/problems/not_found", "title": "Not Found",
//    "status": 404, "code": "not_found", "detail": "...", "instance": "/api/v1/..."}

#include "api/http_message.hpp"
#include "core/error.hpp"

#include <nlohmann/json_fwd.hpp>

namespace kho::api {

int http_status(errc code) noexcept;
std::string_view reason_phrase(int status) noexcept;

response problem_response(const error& e, std::string_view instance = {});
response problem_response(errc code, std::string detail, std::string_view instance = {});
// With extension members (RFC 9457 §3.2), e.g. a share link's "reason".
response problem_response(const error& e, std::string_view instance, const nlohmann::json& extra);

}  // namespace kho::api
