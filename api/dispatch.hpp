#pragma once
// From a parsed request to a response: decode the target, route, authenticate,
// apply the route's body limit, call the handler. Every failure becomes a
// problem+json response here; nothing escapes as an exception.

#include "api/http_message.hpp"
#include "api/router.hpp"

#include <boost/asio/awaitable.hpp>

namespace kho::api {

struct app;

struct dispatch_result {
    response resp;
    // The matched pattern (stored in the router, which outlives the request)
    // or "unmatched", for logs and metrics.
    std::string_view route = "unmatched";
    std::string user;  // the authenticated principal, if any
};

boost::asio::awaitable<dispatch_result> dispatch(app& a, const router& r, request& req);

}  // namespace kho::api
