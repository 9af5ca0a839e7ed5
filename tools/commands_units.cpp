// kho units import / export / list: the unit tree over /api/v1/units, plus
// the listing and table helpers the people commands share.

#include "tools/api_target.hpp"
#include "tools/commands.hpp"
#include "tools/file_io.hpp"
#include "tools/format.hpp"

#include "core/unit.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <optional>

namespace kho::cli {
namespace {

using json = nlohmann::json;

constexpr std::size_t k_max_name_chars = 60;  // longer unit names are cut in the table

std::string str(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return {};
    return terminal_safe(it->get<std::string>());
}

std::string or_dash(std::string s) {
    return s.empty() ? "-" : s;
}

// Characters as a terminal shows them: code points, except combining marks
// (U+0300..U+036F, as in decomposed Vietnamese), which take no column.
std::size_t display_width(std::string_view s) {
    std::size_t width = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if ((c & 0xC0) == 0x80) continue;  // continuation byte
        if (i + 1 < s.size()) {
            const auto next = static_cast<unsigned char>(s[i + 1]);
            if ((c == 0xCC && next >= 0x80) || (c == 0xCD && next <= 0xAF)) continue;
        }
        ++width;
    }
    return width;
}

// Writes a piece of the export to standard output; a closed pipe is an error.
void write_stdout(std::string_view data) {
    std::cout.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!std::cout) throw command_error("cannot write the units to standard output");
}

}  // namespace

const std::vector<std::string>& education_levels() {
    static const std::vector<std::string> levels = [] {
        std::vector<std::string> out;
        for (auto l : all_education_levels()) out.emplace_back(to_string(l));
        return out;
    }();
    return levels;
}

void for_each_listed(context& ctx, std::initializer_list<std::string_view> segments,
                     const query_list& query, std::string_view what,
                     const std::function<bool(const json&)>& on_item) {
    std::string cursor;
    for (;;) {
        query_list q = query;
        if (!cursor.empty()) q.emplace_back("cursor", cursor);
        auto r = ctx.client().request("GET", api_target(ctx.server(), segments, q), ctx.auth());
        if (r.status != 200) throw command_error(std::string(what) + ": " + describe_failure(r));
        auto body = parse_json_body(r, what);
        auto items = body.is_object() ? body.find("items") : body.end();
        if (!body.is_object() || items == body.end() || !items->is_array())
            throw command_error("the server's answer for " + std::string(what) + " has no items");
        for (const auto& item : *items)
            if (!on_item(item)) return;
        auto next = body.find("next_cursor");
        if (next == body.end() || !next->is_string() || next->get<std::string>().empty()) return;
        cursor = next->get<std::string>();
    }
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows) {
        if (widths.size() < row.size()) widths.resize(row.size(), 0);
        for (std::size_t c = 0; c < row.size(); ++c)
            widths[c] = std::max(widths[c], display_width(row[c]));
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            line += row[c];
            if (c + 1 == row.size()) break;
            line.append(widths[c] - display_width(row[c]) + 2, ' ');
        }
        std::cout << line << '\n';
    }
}

int run_units_import(const global_options& g, const units_import_options& o) {
    context ctx(g, true);
    input_file file(o.file);
    auto r = ctx.client().upload(
        "POST", api_target(ctx.server(), {"api", "v1", "units", "import"}),
        ctx.auth({{"Content-Type", "text/csv; charset=utf-8"}}), file.size(),
        [&](char* buf, std::size_t cap) {
            const auto n = file.read(buf, cap);
            if (n == 0) throw command_error(o.file + " became shorter while it was being sent");
            return n;
        });
    const std::string name = terminal_safe(o.file);
    if (r.status == 422) {
        auto problem = json::parse(r.body, nullptr, false);
        auto errors = problem.is_object() ? problem.find("errors") : problem.end();
        if (problem.is_object() && errors != problem.end() && errors->is_array()) {
            if (ctx.json()) {
                std::cout << dump_json(problem) << '\n';
                return exit_failure;
            }
            for (const auto& e : *errors) {
                auto line = e.is_object() ? e.find("line") : e.end();
                std::cerr << "line "
                          << (line != e.end() && line->is_number_unsigned()
                                  ? std::to_string(line->get<std::uint64_t>())
                                  : "?")
                          << ": " << (e.is_object() ? str(e, "message") : "") << '\n';
            }
        }
    }
    if (r.status != 200) throw command_error(name + ": " + describe_failure(r));
    auto report = parse_json_body(r, "the import");
    if (ctx.json()) {
        std::cout << dump_json(report) << '\n';
        return exit_ok;
    }
    std::cout << name << ": " << report.value("created", 0) << " created, "
              << report.value("updated", 0) << " updated, " << report.value("unchanged", 0)
              << " unchanged\n";
    return exit_ok;
}

int run_units_export(const global_options& g, const units_export_options& o) {
    context ctx(g, true);
    std::optional<output_file> out;
    std::uint64_t bytes = 0;
    http_response r;
    try {
        r = ctx.client().download(api_target(ctx.server(), {"api", "v1", "units", "export"}),
                                  ctx.auth(), [&](const http_response& h) -> body_sink {
                                      if (h.status != 200) return {};  // an error document
                                      if (!o.output.empty())
                                          out.emplace(o.output, output_file::mode::truncate);
                                      return [&](std::string_view d) {
                                          if (out)
                                              out->write(d);
                                          else
                                              write_stdout(d);
                                          bytes += d.size();
                                      };
                                  });
    } catch (const transport_error& e) {
        if (!out) throw;
        throw transport_error(std::string(e.what()) + "; " + terminal_safe(o.output) +
                              " is incomplete");
    }
    if (r.status != 200) throw command_error("exporting units: " + describe_failure(r));
    if (!out) {
        std::cout.flush();
        if (!std::cout) throw command_error("cannot write the units to standard output");
        return exit_ok;
    }
    out.reset();
    if (ctx.json())
        std::cout << dump_json(json{{"file", o.output}, {"bytes", bytes}}) << '\n';
    else
        std::cerr << "kho: wrote " << human_bytes(bytes) << " to " << terminal_safe(o.output)
                  << '\n';
    return exit_ok;
}

int run_units_list(const global_options& g, const units_list_options& o) {
    context ctx(g, true);
    query_list q{{"limit", "1000"}};
    if (!o.parent.empty()) q.emplace_back("parent", o.parent);
    if (!o.province.empty()) q.emplace_back("province", o.province);
    if (!o.level.empty()) q.emplace_back("level", o.level);
    if (!o.query.empty()) q.emplace_back("q", o.query);
    json all = json::array();
    std::vector<std::vector<std::string>> rows{{"CODE", "NAME", "PARENT", "PROVINCE", "LEVEL"}};
    for_each_listed(ctx, {"api", "v1", "units"}, q, "listing units", [&](const json& u) {
        if (ctx.json())
            all.push_back(u);
        else
            rows.push_back({str(u, "code"), truncate_chars(str(u, "name"), k_max_name_chars),
                            or_dash(str(u, "parent_code")), or_dash(str(u, "province")),
                            or_dash(str(u, "level"))});
        return true;
    });
    if (ctx.json())
        std::cout << dump_json(all) << '\n';
    else if (rows.size() == 1)
        std::cerr << "no units match\n";
    else
        print_table(rows);
    return exit_ok;
}

}  // namespace kho::cli
