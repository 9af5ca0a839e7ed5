#include "api/json_body.hpp"

#include "api/app.hpp"

#include <algorithm>

namespace kho::api {

boost::asio::awaitable<result<nlohmann::json>> read_json_object(app& a, request& req,
                                                                bool empty_ok) {
    auto body = co_await read_body(req, a.limits.max_json_bytes);
    if (!body) co_return body.error();
    using out = result<nlohmann::json>;
    if (body->empty() && empty_ok)
        co_return out(boost::system::in_place_value, nlohmann::json::object());
    auto j = nlohmann::json::parse(*body, nullptr, false);
    if (j.is_discarded()) co_return make_error(errc::bad_request, "the body is not valid JSON");
    if (!j.is_object()) co_return make_error(errc::bad_request, "the body must be a JSON object");
    co_return out(boost::system::in_place_value, std::move(j));
}

result<void> only_fields(const nlohmann::json& body,
                         std::initializer_list<std::string_view> known) {
    for (const auto& [k, v] : body.items()) {
        (void)v;
        if (std::find(known.begin(), known.end(), k) == known.end())
            return make_error(errc::invalid_parameter, "unknown field: " + k);
    }
    return ok();
}

result<std::optional<std::string>> string_field(const nlohmann::json& body, std::string_view name) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) return std::optional<std::string>{};
    if (!it->is_string())
        return make_error(errc::invalid_parameter, std::string(name) + " must be a string");
    return std::optional<std::string>{it->get<std::string>()};
}

result<std::optional<bool>> bool_field(const nlohmann::json& body, std::string_view name) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) return std::optional<bool>{};
    if (!it->is_boolean())
        return make_error(errc::invalid_parameter, std::string(name) + " must be true or false");
    return std::optional<bool>{it->get<bool>()};
}

response json_response(int status, const nlohmann::json& body) {
    response r;
    r.status = status;
    r.set_body(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
               "application/json");
    r.headers.set("Cache-Control", "no-store");
    return r;
}

response no_content() {
    response r;
    r.status = 204;
    return r;
}

}  // namespace kho::api
