#pragma once
// Cookies kho sets and reads: the session cookie and share links' unlock
// cookies.

#include "api/http_message.hpp"

#include <optional>
#include <string_view>

namespace kho::api {

struct app;

// The value of cookie `name` in the request's Cookie headers, if any.
std::optional<std::string_view> cookie_value(const request& req, std::string_view name);

// Whether the client reached kho over TLS (so cookies get Secure): always
// with --secure-cookies, else when a proxy says X-Forwarded-Proto: https.
bool over_tls(const app& a, const request& req);

}  // namespace kho::api
