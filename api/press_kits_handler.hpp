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
//   GET    /api/v1/press-kits/{id}/items/{n}        one file of the kit
//   GET    /api/v1/press-kits/{id}/items/{n}/thumb  its thumbnail

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
// the embargo status in words, and the revision. `base_url` is where the
// kit is reached (/api/v1/press-kits/{id}, or a share link's
// /api/v1/links/{token}): the ZIP is at base/download, item n (1-based) at
// base/items/n and its thumbnail at base/items/n/thumb.
nlohmann::json press_kit_json(app& a, const press_kit& k, const std::vector<kit_file>& files,
                              bool staff, const std::string& base_url);

// One item of a kit (its file, or its thumbnail), for whoever may see the
// kit, whatever the item's own audience: putting it in a kit is the press
// decision. 404 for a position that is not an available item.
boost::asio::awaitable<response> serve_kit_item(app& a, request& req, const press_kit& kit,
                                                const std::string& position, bool thumb,
                                                const storage::download_subject& who);

// Serves the kit's ZIP and records the download (`who` says who: a user or
// a share link). Pass a named object: g++ 12 destroys a temporary bound to
// a by-value coroutine parameter twice.
boost::asio::awaitable<response> serve_kit_zip(app& a, request& req, const press_kit& kit,
                                               const storage::download_subject& who);

void add_press_kit_routes(router& r);

}  // namespace kho::api
