#pragma once
// The routing table: method + path pattern ("/api/v1/assets/{id}") -> handler,
// with whether the route needs a token and how large a body it takes. The
// OpenAPI test compares this table with api/openapi.json.

#include "api/http_message.hpp"
#include "core/policy.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kho::api {

struct app;

using handler = std::function<boost::asio::awaitable<response>(app&, request&)>;

// upload: an original (max_upload_bytes); rendition: a remote worker's
// output (media_max_output).
enum class body_kind { none, json, upload, document, rendition };

struct route {
    std::string method;   // GET routes also answer HEAD
    std::string pattern;  // segments; "{name}" captures one segment
    handler fn;
    bool needs_auth = true;
    body_kind body = body_kind::none;
    // For routes whose permission does not depend on a particular resource,
    // dispatch asks the policy before the handler runs. Routes about one
    // asset, upload or credential leave it empty and ask in the handler,
    // once the facts are loaded.
    std::optional<kho::action> gate = std::nullopt;
};

struct route_match {
    const route* matched = nullptr;    // null: see allowed
    std::vector<std::string> params;   // captured segments, in order
    std::vector<std::string> allowed;  // methods for this path when the method did not match
};

class router {
  public:
    void add(route r);
    // `path` is already percent-decoded per segment.
    route_match match(std::string_view method, std::string_view path) const;
    const std::vector<route>& routes() const noexcept { return routes_; }

  private:
    std::vector<route> routes_;
    std::vector<std::vector<std::string>> segments_;  // routes_[i].pattern split once
};

// kho's complete routing table.
router make_router();

}  // namespace kho::api
