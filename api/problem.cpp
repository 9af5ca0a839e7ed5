#include "api/problem.hpp"

#include <nlohmann/json.hpp>

namespace kho::api {

int http_status(errc code) noexcept {
    switch (code) {
        case errc::bad_request:
            return 400;
        case errc::invalid_parameter:
            return 400;
        case errc::unauthorized:
            return 401;
        case errc::forbidden:
        case errc::password_change_required:
            return 403;
        case errc::not_found:
            return 404;
        case errc::method_not_allowed:
            return 405;
        case errc::conflict:
            return 409;
        case errc::gone:
            return 410;
        case errc::precondition_failed:
            return 412;
        case errc::payload_too_large:
            return 413;
        case errc::unsupported_media_type:
            return 415;
        case errc::range_not_satisfiable:
            return 416;
        case errc::unprocessable:
            return 422;
        case errc::precondition_required:
            return 428;
        case errc::too_many_requests:
            return 429;
        case errc::header_too_large:
            return 431;
        case errc::checksum_mismatch:
            return 460;
        case errc::internal:
            return 500;
        case errc::unavailable:
            return 503;
        case errc::insufficient_storage:
            return 507;
    }
    return 500;
}

std::string_view reason_phrase(int status) noexcept {
    switch (status) {
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 204:
            return "No Content";
        case 206:
            return "Partial Content";
        case 304:
            return "Not Modified";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 409:
            return "Conflict";
        case 410:
            return "Gone";
        case 411:
            return "Length Required";
        case 412:
            return "Precondition Failed";
        case 413:
            return "Content Too Large";
        case 415:
            return "Unsupported Media Type";
        case 416:
            return "Range Not Satisfiable";
        case 422:
            return "Unprocessable Content";
        case 428:
            return "Precondition Required";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 460:
            return "Checksum Mismatch";
        case 500:
            return "Internal Server Error";
        case 503:
            return "Service Unavailable";
        case 507:
            return "Insufficient Storage";
        default:
            return "Unknown";
    }
}

response problem_response(const error& e, std::string_view instance, const nlohmann::json& extra) {
    response r;
    r.status = http_status(e.code);
    nlohmann::json body{{"type", "https://kho.invalid/problems/" + std::string(to_string(e.code))},
                        {"title", reason_phrase(r.status)},
                        {"status", r.status},
                        {"code", to_string(e.code)},
                        {"detail", e.detail}};
    if (!instance.empty()) body["instance"] = std::string(instance);
    if (extra.is_object())
        for (const auto& [k, v] : extra.items()) body[k] = v;
    // Error text may echo client input: replace invalid UTF-8 rather than throw.
    r.set_body(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
               "application/problem+json");
    // An error describes this moment (not released yet, revoked, gone):
    // 404 and 410 are cacheable by default, so say they are not.
    r.headers.set("Cache-Control", "no-store");
    return r;
}

response problem_response(const error& e, std::string_view instance) {
    return problem_response(e, instance, nlohmann::json());
}

response problem_response(errc code, std::string detail, std::string_view instance) {
    return problem_response(error{code, std::move(detail)}, instance);
}

}  // namespace kho::api
