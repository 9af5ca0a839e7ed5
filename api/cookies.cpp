#include "api/cookies.hpp"

#include "api/app.hpp"

namespace kho::api {

std::optional<std::string_view> cookie_value(const request& req, std::string_view name) {
    for (auto header : req.headers.get_all("Cookie")) {
        while (!header.empty()) {
            auto end = header.find(';');
            auto pair = header.substr(0, end);
            while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
            if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=')
                return pair.substr(name.size() + 1);
            if (end == std::string_view::npos) break;
            header.remove_prefix(end + 1);
        }
    }
    return std::nullopt;
}

bool over_tls(const app& a, const request& req) {
    if (a.limits.secure_cookies) return true;
    auto proto = req.headers.get("X-Forwarded-Proto");
    return proto && iequals(*proto, "https");
}

}  // namespace kho::api
