#include "api/units_handler.hpp"

#include "api/access.hpp"
#include "api/app.hpp"
#include "api/content_disposition.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "api/query.hpp"
#include "api/router.hpp"
#include "storage/unit_store.hpp"

namespace kho::api {
namespace {

using boost::asio::awaitable;
using json = nlohmann::json;

awaitable<response> list_units(app& a, request& req) {
    auto q = query_params::parse(req.query);
    if (!q) co_return problem_response(q.error(), req.path);
    auto limit = q->get_uint("limit", 1, 10000);
    if (!limit) co_return problem_response(limit.error(), req.path);
    storage::unit_filter f;
    f.parent = q->get("parent");
    f.province = q->get("province");
    f.query = q->get("q");
    if (auto l = q->get("level")) {
        auto level = parse_education_level(*l);
        if (!level) co_return problem_response(level.error(), req.path);
        f.level = *level;
    }
    auto cursor = q->get("cursor");
    std::size_t max = limit->value_or(1000);
    json items = json::array();
    std::optional<std::string> next;
    for (const auto& u : a.units.list(f)) {  // ordered by code
        if (cursor && u.code <= *cursor) continue;
        if (items.size() == max) {
            next = items.back().at("code").get<std::string>();
            break;
        }
        items.push_back(to_api_json(u));
    }
    co_return json_response(200, {{"items", std::move(items)},
                                  {"next_cursor", next ? json(*next) : json(nullptr)}});
}

result<unit> unit_from_json(const json& body) {
    if (auto f = only_fields(body, {"code", "name", "parent_code", "province", "level"}); !f)
        return f.error();
    unit u;
    for (auto [field, slot] : {std::pair{"code", &u.code}, std::pair{"name", &u.name},
                               std::pair{"parent_code", &u.parent_code},
                               std::pair{"province", &u.province}}) {
        auto s = string_field(body, field);
        if (!s) return s.error();
        *slot = s->value_or("");
    }
    auto level = string_field(body, "level");
    if (!level) return level.error();
    auto l = parse_education_level(level->value_or(""));
    if (!l) return l.error();
    u.level = *l;
    return validate(std::move(u));
}

awaitable<response> create_unit(app& a, request& req) {
    auto body = co_await read_json_object(a, req);
    if (!body) co_return problem_response(body.error(), req.path);
    auto u = unit_from_json(*body);
    if (!u) co_return problem_response(u.error(), req.path);
    auto created = co_await run_blocking(a, [&] { return a.units.create(*u, audit_who(req)); });
    if (!created) co_return problem_response(created.error(), req.path);
    auto r = json_response(201, to_api_json(*created));
    r.headers.set("Location", "/api/v1/units/" + created->code);
    co_return r;
}

awaitable<response> get_unit(app& a, request& req) {
    auto u = a.units.get(req.path_params.at(0));
    if (!u) co_return problem_response(errc::not_found, "no unit with code " + req.path_params.at(0),
                                       req.path);
    auto j = to_api_json(*u);
    j["ancestors"] = a.units.ancestors(u->code);
    co_return json_response(200, j);
}

awaitable<response> patch_unit(app& a, request& req) {
    const auto& code = req.path_params.at(0);
    if (!a.units.get(code))
        co_return problem_response(errc::not_found, "no unit with code " + code, req.path);
    auto body = co_await read_json_object(a, req);
    if (!body) co_return problem_response(body.error(), req.path);
    if (auto f = only_fields(*body, {"name", "parent_code", "province", "level"}); !f)
        co_return problem_response(f.error(), req.path);
    storage::unit_patch p;
    for (auto [field, slot] : {std::pair{"name", &p.name}, std::pair{"parent_code", &p.parent_code},
                               std::pair{"province", &p.province}}) {
        auto s = string_field(*body, field);
        if (!s) co_return problem_response(s.error(), req.path);
        *slot = *s;
    }
    auto level = string_field(*body, "level");
    if (!level) co_return problem_response(level.error(), req.path);
    if (*level) {
        auto l = parse_education_level(**level);
        if (!l) co_return problem_response(l.error(), req.path);
        p.level = *l;
    }
    auto updated =
        co_await run_blocking(a, [&] { return a.units.update(code, p, audit_who(req)); });
    if (!updated) co_return problem_response(updated.error(), req.path);
    co_return json_response(200, to_api_json(*updated));
}

awaitable<response> delete_unit(app& a, request& req) {
    const auto& code = req.path_params.at(0);
    auto removed = co_await run_blocking(a, [&] { return a.units.remove(code, audit_who(req)); });
    if (!removed) co_return problem_response(removed.error(), req.path);
    co_return no_content();
}

awaitable<response> import_units(app& a, request& req) {
    auto ct = req.headers.get("Content-Type").value_or("");
    if (!(ct.starts_with("text/csv") || ct.starts_with("application/csv")))
        co_return problem_response(errc::unsupported_media_type,
                                   "send the units as Content-Type: text/csv", req.path);
    auto body = co_await read_body(req, a.limits.max_document_bytes);
    if (!body) co_return problem_response(body.error(), req.path);
    auto report =
        co_await run_blocking(a, [&] { return a.units.import_csv(*body, audit_who(req)); });
    if (!report) co_return problem_response(report.error(), req.path);
    if (!report->errors.empty()) {
        auto r = problem_response(errc::unprocessable,
                                  "the file has " + std::to_string(report->errors.size()) +
                                      " errors; nothing was imported",
                                  req.path);
        auto j = json::parse(std::get<std::string>(r.body.at(0)), nullptr, false);
        json errors = json::array();
        for (const auto& e : report->errors)
            errors.push_back({{"line", e.line}, {"message", e.message}});
        j["errors"] = std::move(errors);
        r.set_body(j.dump(-1, ' ', false, json::error_handler_t::replace),
                   "application/problem+json");
        co_return r;
    }
    co_return json_response(200, {{"created", report->created},
                                  {"updated", report->updated},
                                  {"unchanged", report->unchanged}});
}

awaitable<response> export_units(app& a, request& req) {
    response r;
    r.set_body(a.units.export_csv(), "text/csv; charset=utf-8");
    r.headers.set("Content-Disposition", content_disposition("attachment", "đơn-vị.csv"));
    r.headers.set("Cache-Control", "no-store");
    (void)req;
    co_return r;
}

}  // namespace

void add_unit_routes(router& r) {
    r.add({"GET", "/api/v1/units", list_units, true, body_kind::none, action::unit_read});
    r.add({"POST", "/api/v1/units", create_unit, true, body_kind::json, action::unit_admin});
    r.add({"POST", "/api/v1/units/import", import_units, true, body_kind::document,
           action::unit_admin});
    r.add({"GET", "/api/v1/units/export", export_units, true, body_kind::none, action::unit_admin});
    r.add({"GET", "/api/v1/units/{code}", get_unit, true, body_kind::none, action::unit_read});
    r.add({"PATCH", "/api/v1/units/{code}", patch_unit, true, body_kind::json, action::unit_admin});
    r.add({"DELETE", "/api/v1/units/{code}", delete_unit, true, body_kind::none,
           action::unit_admin});
}

}  // namespace kho::api
