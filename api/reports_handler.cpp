#include "api/reports_handler.hpp"

#include "api/app.hpp"
#include "api/content_disposition.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "api/query.hpp"
#include "api/router.hpp"
#include "core/csv.hpp"
#include "storage/asset_store.hpp"
#include "storage/unit_store.hpp"
#include "storage/usage_store.hpp"

#include <algorithm>
#include <map>

namespace kho::api {
namespace {

using boost::asio::awaitable;
using json = nlohmann::json;
using storage::usage_counts;

constexpr std::int32_t k_max_days = 3660;

std::string_view level_label(std::string_view code) {
    static const std::map<std::string_view, std::string_view> labels = {
        {"preschool", "Mầm non"},          {"primary", "Tiểu học"},
        {"lower_secondary", "THCS"},       {"upper_secondary", "THPT"},
        {"continuing", "GDTX"},            {"vocational", "Giáo dục nghề nghiệp"},
        {"higher", "Đại học"},             {"", "Không có cấp học"}};
    auto it = labels.find(code);
    return it == labels.end() ? code : it->second;
}

struct period {
    std::int32_t from = 0;  // Vietnam days, inclusive
    std::int32_t to = 0;
};

result<period> period_param(const app& a, const query_params& q) {
    const auto today = storage::vietnam_day(a.clock.now());
    period p{today - 29, today};
    auto day_of = [](std::string_view key, const std::string& s) -> result<std::int32_t> {
        auto t = parse_date_at_offset(s, vietnam_utc_offset_minutes);
        if (!t)
            return make_error(errc::invalid_parameter,
                              std::string(key) + " must be a date YYYY-MM-DD, not \"" + s + "\"");
        return storage::vietnam_day(*t);
    };
    if (auto to = q.get("to")) {
        auto d = day_of("to", *to);
        if (!d) return d.error();
        p.to = *d;
        p.from = p.to - 29;
    }
    if (auto from = q.get("from")) {
        auto d = day_of("from", *from);
        if (!d) return d.error();
        p.from = *d;
    }
    if (p.from > p.to) return make_error(errc::invalid_parameter, "from is later than to");
    if (p.to - p.from >= k_max_days)
        return make_error(errc::invalid_parameter, "a report covers at most 3660 days");
    return p;
}

bool wants_csv(const request& req, const query_params& q) {
    if (auto f = q.get("format")) return *f == "csv";
    auto accept = req.headers.get("Accept");
    return accept && accept->find("text/csv") != std::string_view::npos;
}

result<void> check_format(const query_params& q) {
    if (auto f = q.get("format"); f && *f != "csv" && *f != "json")
        return make_error(errc::invalid_parameter, "format must be json or csv");
    return {};
}

response csv_response(std::string body, const std::string& file_name) {
    response r;
    r.set_body(std::move(body), "text/csv; charset=utf-8");
    r.headers.set("Content-Disposition", content_disposition("attachment", file_name));
    r.headers.set("Cache-Control", "no-store");
    return r;
}

json counts_json(const usage_counts& c) {
    return {{"downloads", c.downloads}, {"complete", c.complete}, {"bytes", c.bytes}};
}

struct report_row {
    std::string key;
    std::string label;
    std::string province;  // unit rows
    std::string level;     // unit rows
    usage_counts counts;
};

// GET /api/v1/reports/downloads
awaitable<response> downloads(app& a, request& req) {
    auto q = query_params::parse(req.query);
    if (!q) co_return problem_response(q.error(), req.path);
    if (auto f = check_format(*q); !f) co_return problem_response(f.error(), req.path);
    auto p = period_param(a, *q);
    if (!p) co_return problem_response(p.error(), req.path);
    auto limit = q->get_uint("limit", 1, 100000);
    if (!limit) co_return problem_response(limit.error(), req.path);
    const std::string group = q->get("group_by").value_or("asset");
    static const std::vector<std::string> groups{"asset", "unit", "province", "level", "day", "kit"};
    if (std::find(groups.begin(), groups.end(), group) == groups.end())
        co_return problem_response(errc::invalid_parameter,
                                   "group_by must be asset, unit, province, level, day or kit",
                                   req.path);

    // Province and level are the unit's when it downloaded (kept in the
    // counters), not where the unit sits today.
    const auto province = q->get("province");
    if (province && group != "asset")
        co_return problem_response(errc::invalid_parameter, "province narrows group_by=asset only",
                                   req.path);
    const char family = group == "asset" ? (province ? 'y' : 'a')
                        : group == "kit"      ? 'k'
                        : group == "province" ? 'p'
                        : group == "level"    ? 'l'
                                              : 'u';
    const std::string only = province ? *province + '\0' : std::string();
    auto counters =
        co_await run_blocking(a, [&] { return a.usage.counters(family, p->from, p->to, only); });
    if (!counters) co_return problem_response(counters.error(), req.path);

    std::map<std::string, report_row> rows;
    usage_counts totals;
    for (const auto& c : *counters) {
        totals += c.counts;
        std::string key;
        key = group == "day" ? storage::format_day(c.day) : c.key;
        auto& row = rows[key];
        row.key = key;
        row.counts += c.counts;
    }
    if (group == "day")  // every day of the period, downloads or not
        for (auto d = p->from; d <= p->to; ++d) {
            auto key = storage::format_day(d);
            rows[key].key = key;
        }

    std::vector<report_row> ordered;
    for (auto& [key, row] : rows) {
        if (group == "asset") {
            auto id = ulid::parse(key);
            auto rec = id ? a.assets.get(*id) : result<asset>(make_error(errc::not_found, ""));
            row.label = rec ? rec->meta.title : "(đã xoá)";
        } else if (group == "unit") {
            if (auto u = a.units.get(key)) {
                row.label = u->name;
                row.province = u->province;
                row.level = std::string(to_string(u->level));
            } else {
                row.label = key.empty() ? "Không thuộc đơn vị (báo chí, liên kết chia sẻ)" : "(đã xoá)";
            }
        } else if (group == "province") {
            row.label = key.empty() ? "Không thuộc tỉnh, thành phố nào" : key;
        } else if (group == "level") {
            row.label = std::string(level_label(key));
        } else {
            row.label = key;
        }
        ordered.push_back(std::move(row));
    }
    if (group != "day")
        std::stable_sort(ordered.begin(), ordered.end(), [](const auto& x, const auto& y) {
            return x.counts.downloads > y.counts.downloads;
        });
    if (auto n = limit->value_or(0); n && ordered.size() > n) ordered.resize(n);

    const auto from_s = storage::format_day(p->from), to_s = storage::format_day(p->to);
    if (wants_csv(req, *q)) {
        std::string out(csv_bom);
        append_csv_row(out, {"Mã", "Tên", "Tỉnh/thành phố", "Cấp học", "Lượt tải", "Tải trọn vẹn",
                             "Dung lượng (byte)"});
        for (const auto& r : ordered)
            append_csv_row(out, {r.key, r.label, r.province, r.level,
                                 std::to_string(r.counts.downloads),
                                 std::to_string(r.counts.complete), std::to_string(r.counts.bytes)});
        co_return csv_response(std::move(out),
                               "lượt-tải-theo-" + group + "-" + from_s + "-" + to_s + ".csv");
    }
    json items = json::array();
    for (const auto& r : ordered) {
        auto j = counts_json(r.counts);
        j["key"] = r.key;
        j["label"] = r.label;
        if (group == "unit") {
            j["province"] = r.province;
            j["level"] = r.level;
        }
        items.push_back(std::move(j));
    }
    co_return json_response(200, {{"from", from_s},
                                  {"to", to_s},
                                  {"group_by", group},
                                  {"totals", counts_json(totals)},
                                  {"items", std::move(items)}});
}

// GET /api/v1/reports/coverage
awaitable<response> coverage(app& a, request& req) {
    auto q = query_params::parse(req.query);
    if (!q) co_return problem_response(q.error(), req.path);
    if (auto f = check_format(*q); !f) co_return problem_response(f.error(), req.path);
    auto p = period_param(a, *q);
    if (!p) co_return problem_response(p.error(), req.path);
    std::optional<asset> material;
    if (auto s = q->get("asset")) {
        auto id = ulid::parse(*s);
        if (!id) co_return problem_response(errc::invalid_parameter, "asset is not an asset id", req.path);
        auto rec = a.assets.get(*id);
        if (!rec) co_return problem_response(errc::not_found, "no asset with id " + *s, req.path);
        material = std::move(*rec);
    }
    storage::unit_filter filter;
    if (auto level = q->get("level")) {
        auto l = parse_education_level(*level);
        if (!l) co_return problem_response(l.error(), req.path);
        filter.level = *l;
    }
    filter.province = q->get("province");

    auto counters = co_await run_blocking(a, [&] {
        return material ? a.usage.counters('x', p->from, p->to, material->id.to_string())
                        : a.usage.counters('u', p->from, p->to);
    });
    if (!counters) co_return problem_response(counters.error(), req.path);
    std::map<std::string, usage_counts> by_unit;
    for (const auto& c : *counters) by_unit[material ? c.unit : c.key] += c.counts;

    struct province_cov {
        std::vector<const unit*> downloaded, not_downloaded;
    };
    auto units = a.units.list(filter);
    std::map<std::string, province_cov> provinces;
    std::size_t units_downloaded = 0, units_total = 0;
    for (const auto& u : units) {
        if (u.parent_code.empty()) continue;  // the Ministry itself
        ++units_total;
        auto& cov = provinces[u.province];
        auto it = by_unit.find(u.code);
        if (it != by_unit.end() && it->second.downloads > 0) {
            cov.downloaded.push_back(&u);
            ++units_downloaded;
        } else {
            cov.not_downloaded.push_back(&u);
        }
    }

    const auto from_s = storage::format_day(p->from), to_s = storage::format_day(p->to);
    if (wants_csv(req, *q)) {
        std::string out(csv_bom);
        append_csv_row(out, {"Tỉnh/thành phố", "Mã đơn vị", "Tên đơn vị", "Cấp học", "Đã tải",
                             "Lượt tải", "Dung lượng (byte)"});
        for (const auto& [province, cov] : provinces) {
            for (const unit* u : cov.downloaded) {
                const auto& c = by_unit[u->code];
                append_csv_row(out, {province, u->code, u->name, to_string(u->level), "có",
                                     std::to_string(c.downloads), std::to_string(c.bytes)});
            }
            for (const unit* u : cov.not_downloaded)
                append_csv_row(out, {province, u->code, u->name, to_string(u->level), "chưa", "0", "0"});
        }
        co_return csv_response(std::move(out), "độ-phủ-" + from_s + "-" + to_s + ".csv");
    }
    auto unit_json = [&](const unit* u) {
        json j{{"code", u->code}, {"name", u->name}, {"level", to_string(u->level)}};
        if (auto it = by_unit.find(u->code); it != by_unit.end()) {
            j["downloads"] = it->second.downloads;
            j["bytes"] = it->second.bytes;
        }
        return j;
    };
    json list = json::array();
    std::size_t provinces_downloaded = 0;
    for (const auto& [province, cov] : provinces) {
        json done = json::array(), missing = json::array();
        for (const unit* u : cov.downloaded) done.push_back(unit_json(u));
        for (const unit* u : cov.not_downloaded) missing.push_back(unit_json(u));
        if (!cov.downloaded.empty()) ++provinces_downloaded;
        list.push_back({{"province", province},
                        {"units", cov.downloaded.size() + cov.not_downloaded.size()},
                        {"units_downloaded", cov.downloaded.size()},
                        {"downloaded", std::move(done)},
                        {"not_downloaded", std::move(missing)}});
    }
    json body{{"from", from_s},
              {"to", to_s},
              {"asset", material ? json{{"id", material->id.to_string()}, {"title", material->meta.title}}
                                 : json(nullptr)},
              {"units_total", units_total},
              {"units_downloaded", units_downloaded},
              {"provinces_total", provinces.size()},
              {"provinces_downloaded", provinces_downloaded},
              {"provinces", std::move(list)}};
    co_return json_response(200, body);
}

// GET /api/v1/reports/downloads/events
awaitable<response> events(app& a, request& req) {
    auto q = query_params::parse(req.query);
    if (!q) co_return problem_response(q.error(), req.path);
    if (auto f = check_format(*q); !f) co_return problem_response(f.error(), req.path);
    auto p = period_param(a, *q);
    if (!p) co_return problem_response(p.error(), req.path);
    auto limit = q->get_uint("limit", 1, 10000);
    if (!limit) co_return problem_response(limit.error(), req.path);
    auto page = co_await run_blocking(a, [&] {
        return a.usage.events(storage::vietnam_day_start(p->from), storage::vietnam_day_start(p->to + 1),
                              q->get("cursor"), limit->value_or(1000));
    });
    if (!page) co_return problem_response(page.error(), req.path);
    if (wants_csv(req, *q)) {
        std::string out(csv_bom);
        append_csv_row(out, {"id", "started_at", "asset", "version", "file", "kit", "unit",
                             "province", "level", "user", "link", "bytes_sent", "size", "complete",
                             "requests"});
        for (const auto& e : page->items) {
            const auto& s = e.subject;
            append_csv_row(out, {e.id.to_string(), format_rfc3339(e.started_at), s.asset,
                                 std::to_string(s.version), s.file, s.kit, s.unit, s.province, s.level,
                                 s.user, s.link, std::to_string(e.bytes_sent), std::to_string(s.size),
                                 e.complete ? "true" : "false", std::to_string(e.requests)});
        }
        auto r = csv_response(std::move(out), "sự-kiện-tải-" + storage::format_day(p->from) + "-" +
                                                  storage::format_day(p->to) + ".csv");
        if (page->next_cursor) r.headers.set("X-Next-Cursor", *page->next_cursor);
        co_return r;
    }
    json items = json::array();
    for (const auto& e : page->items) {
        const auto& s = e.subject;
        items.push_back({{"id", e.id.to_string()},
                         {"started_at", format_rfc3339(e.started_at)},
                         {"last_at", format_rfc3339(e.last_at)},
                         {"asset", s.asset},
                         {"version", s.version},
                         {"file", s.file},
                         {"kit", s.kit},
                         {"unit", s.unit},
                         {"province", s.province},
                         {"level", s.level},
                         {"user", s.user},
                         {"link", s.link},
                         {"bytes_sent", e.bytes_sent},
                         {"size", s.size},
                         {"complete", e.complete},
                         {"requests", e.requests}});
    }
    co_return json_response(200, {{"items", std::move(items)},
                                  {"next_cursor", page->next_cursor ? json(*page->next_cursor)
                                                                    : json(nullptr)}});
}

}  // namespace

void add_report_routes(router& r) {
    r.add({"GET", "/api/v1/reports/downloads", downloads, true, body_kind::none, action::usage_report});
    r.add({"GET", "/api/v1/reports/downloads/events", events, true, body_kind::none,
           action::usage_report});
    r.add({"GET", "/api/v1/reports/coverage", coverage, true, body_kind::none, action::usage_report});
}

}  // namespace kho::api
