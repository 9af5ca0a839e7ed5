#include "api/published_handler.hpp"

#include "api/access.hpp"
#include "api/app.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "api/query.hpp"
#include "api/renditions_handler.hpp"
#include "api/router.hpp"
#include "storage/asset_store.hpp"
#include "storage/unit_store.hpp"

namespace kho::api {
namespace {

using boost::asio::awaitable;
using json = nlohmann::json;

awaitable<response> list_published(app& a, request& req) {
    auto q = query_params::parse(req.query);
    if (!q) co_return problem_response(q.error(), req.path);
    auto limit = q->get_uint("limit", 1, 200);
    if (!limit) co_return problem_response(limit.error(), req.path);
    actor viewer = req.principal->actor;
    if (auto code = q->get("unit")) {
        resource on;
        on.unit = *code;
        if (auto allowed = check(a, req, action::published_for_unit, on); !allowed)
            co_return problem_response(allowed.error(), req.path);
        auto u = a.units.get(*code);
        if (!u) co_return problem_response(errc::not_found, "no unit with code " + *code, req.path);
        viewer = actor{"", role::unit_member,
                       unit_position{u->code, u->province, u->level, a.units.ancestors(u->code)},
                       false};
    }
    const auto now = a.clock.now();
    auto page = a.assets.list(storage::asset_filter{}, q->get("cursor"), limit->value_or(50));
    if (!page) co_return problem_response(page.error(), req.path);
    json items = json::array();
    for (const auto& item : page->items) {
        auto versions = a.assets.list_versions(item.id);
        if (!versions) continue;
        auto facts = facts_of(item, *versions);
        const asset_version* offered = nullptr;
        for (std::size_t i = 0; i < versions->size(); ++i) {
            const auto& v = facts.versions[i];
            if (v.state == version_state::approved && v.window.contains(now) &&
                can_see_version(viewer, facts, v, now))
                offered = &(*versions)[i];
        }
        if (!offered) continue;
        auto j = to_api_json(item);
        j["version"] = version_json(a, item.id, *offered);
        items.push_back(std::move(j));
    }
    co_return json_response(200, {{"items", std::move(items)},
                                  {"next_cursor", page->next_cursor ? json(*page->next_cursor)
                                                                    : json(nullptr)}});
}

}  // namespace

void add_published_routes(router& r) {
    r.add({"GET", "/api/v1/published", list_published, true, body_kind::none, action::asset_list});
}

}  // namespace kho::api
