#pragma once
// JSON in and out for handlers: read a request body as one JSON object, and
// answer with JSON.

#include "api/http_message.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace kho::api {

struct app;

// Reads the body (up to the JSON limit) and parses it as a JSON object. An
// empty body is an empty object when `empty_ok`. Not JSON, or not an object:
// errc::bad_request.
boost::asio::awaitable<result<nlohmann::json>> read_json_object(app& a, request& req,
                                                                bool empty_ok = false);

// errc::invalid_parameter naming the first member not in `known`.
result<void> only_fields(const nlohmann::json& body, std::initializer_list<std::string_view> known);

// A string member: nothing when absent, errc::invalid_parameter when not a string.
result<std::optional<std::string>> string_field(const nlohmann::json& body, std::string_view name);
result<std::optional<bool>> bool_field(const nlohmann::json& body, std::string_view name);

// 200/201 JSON, not cached (answers about accounts and credentials).
response json_response(int status, const nlohmann::json& body);

// 204 No Content.
response no_content();

}  // namespace kho::api
