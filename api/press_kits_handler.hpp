#pragma once
// Press kits (reviewers and admins prepare them; everyone else sees a kit
// only between its embargo and its expiry, and before that it does not
// exist for them):
//   POST   /api/v1/press-kits              create (items must be approved)
//   GET    /api/v1/press-kits              list (staff: all, with status)
//   GET    /api/v1/press-kits/{id}         the kit: release (Markdown and safe HTML),
//                                          items with captions, credits and sizes, ZIP size
//   PATCH  /api/v1/press-kits/{id}         If-Match: "r<revision>" optional
//   DELETE /api/v1/press-kits/{id}
//   GET    /api/v1/press-kits/{id}/download   the ZIP (Content-Length, ETag, Range)

#include "api/http_message.hpp"
#include "core/press_kit.hpp"
#include "storage/usage_store.hpp"

#include <nlohmann/json_fwd.hpp>

#include <boost/asio/awaitable.hpp>

#include <vector>

namespace kho::api {

struct app;
class router;
struct kit_file;

// The kit as the API shows it; staff also see withdrawn items (and why),
// the embargo status in words, and the revision.
nlohmann::json press_kit_json(app& a, const press_kit& k, const std::vector<kit_file>& files,
                              bool staff, const std::string& download_url);

// Serves the kit's ZIP and records the download (`who` says who: a user or
// a share link). Pass a named object: g++ 12 destroys a temporary bound to
// a by-value coroutine parameter twice.
boost::asio::awaitable<response> serve_kit_zip(app& a, request& req, const press_kit& kit,
                                               const storage::download_subject& who);

void add_press_kit_routes(router& r);

}  // namespace kho::api
