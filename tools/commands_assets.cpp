// kho ls and kho show: reading the catalogue.

#include "tools/api_target.hpp"
#include "tools/commands.hpp"
#include "tools/format.hpp"

#include "core/media_types.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace kho::cli {
namespace {

using json = nlohmann::json;

constexpr std::uint64_t k_max_page = 200;  // the server's limit per page

std::string str(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return {};
    return terminal_safe(it->get<std::string>());
}

std::string num(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_unsigned()) return "?";
    return std::to_string(it->get<std::uint64_t>());
}

std::string pad(std::string s, std::size_t width) {
    if (s.size() < width) s.append(width - s.size(), ' ');
    return s;
}

std::string pad_left(std::string s, std::size_t width) {
    if (s.size() < width) s.insert(0, width - s.size(), ' ');
    return s;
}

void print_row(const std::string& id, const std::string& kind, const std::string& versions,
               const std::string& title) {
    // Ids and kinds are ASCII, so byte widths are column widths; the title
    // comes last and needs no padding.
    std::cout << pad(id, 26) << "  " << pad(kind, 11) << "  " << pad_left(versions, 8) << "  "
              << title << '\n';
}

}  // namespace

const std::vector<std::string>& asset_kinds() {
    static const std::vector<std::string> kinds = [] {
        std::vector<std::string> out;
        for (auto k : {asset_kind::poster, asset_kind::infographic, asset_kind::video,
                       asset_kind::podcast, asset_kind::document, asset_kind::other})
            out.emplace_back(to_string(k));
        return out;
    }();
    return kinds;
}

int run_list(const global_options& g, const list_options& o) {
    context ctx(g, true);
    json all = json::array();
    std::uint64_t count = 0;
    std::string cursor;
    bool header_printed = false;
    for (;;) {
        query_list q;
        if (!o.kind.empty()) q.emplace_back("kind", o.kind);
        if (!o.tag.empty()) q.emplace_back("tag", o.tag);
        if (!o.campaign.empty()) q.emplace_back("campaign", o.campaign);
        if (o.trash) q.emplace_back("trashed", "true");
        const auto page = o.limit ? std::min(k_max_page, o.limit - count) : k_max_page;
        q.emplace_back("limit", std::to_string(page));
        if (!cursor.empty()) q.emplace_back("cursor", cursor);
        auto r = ctx.client().request("GET", api_target(ctx.server(), {"api", "v1", "assets"}, q),
                                      ctx.auth());
        if (r.status != 200) throw command_error("listing assets: " + describe_failure(r));
        auto body = parse_json_body(r, "the asset list");
        auto items = body.find("items");
        if (!body.is_object() || items == body.end() || !items->is_array())
            throw command_error("the server's asset list has no items");
        for (const auto& item : *items) {
            if (o.limit && count == o.limit) break;
            ++count;
            if (ctx.json()) {
                all.push_back(item);
                continue;
            }
            if (!header_printed) {
                print_row("ID", "KIND", "VERSIONS", "TITLE");
                header_printed = true;
            }
            print_row(str(item, "id"), str(item, "kind"), num(item, "version_count"),
                      str(item, "title"));
        }
        auto next = body.find("next_cursor");
        if ((o.limit && count >= o.limit) || next == body.end() || !next->is_string() ||
            next->get<std::string>().empty())
            break;
        cursor = next->get<std::string>();
    }
    if (ctx.json())
        std::cout << dump_json(all) << '\n';
    else if (count == 0)
        std::cerr << (o.trash ? "the trash is empty\n" : "no assets match\n");
    return exit_ok;
}

int run_show(const global_options& g, const show_options& o) {
    context ctx(g, true);
    auto r = ctx.client().request("GET", api_target(ctx.server(), {"api", "v1", "assets", o.id}),
                                  ctx.auth());
    if (r.status != 200) throw command_error(terminal_safe(o.id) + ": " + describe_failure(r));
    auto a = parse_json_body(r, "the asset");
    if (ctx.json()) {
        std::cout << dump_json(a) << '\n';
        return exit_ok;
    }
    auto line = [](const char* label, const std::string& value) {
        if (!value.empty()) std::cout << pad(label, 13) << value << '\n';
    };
    std::string tags;
    if (auto t = a.find("tags"); t != a.end() && t->is_array())
        for (const auto& tag : *t)
            if (tag.is_string())
                tags += (tags.empty() ? "" : ", ") + terminal_safe(tag.get<std::string>());
    line("id", str(a, "id"));
    line("title", str(a, "title"));
    line("kind", str(a, "kind"));
    line("description", str(a, "description"));
    line("tags", tags);
    line("campaign", str(a, "campaign"));
    line("language", str(a, "language"));
    line("revision", num(a, "revision"));
    line("created", str(a, "created_at") + " by " + str(a, "created_by"));
    line("updated", str(a, "updated_at"));
    line("in trash", str(a, "deleted_at").empty() ? "" : "since " + str(a, "deleted_at"));
    auto versions = a.find("versions");
    if (versions == a.end() || !versions->is_array()) return exit_ok;
    std::cout << "versions\n";
    for (const auto& v : *versions) {
        const auto size = v.find("size");
        const std::string size_text = size != v.end() && size->is_number_unsigned()
                                          ? human_bytes(size->get<std::uint64_t>())
                                          : "?";
        std::cout << "  " << pad_left(num(v, "number"), 3) << "  " << pad_left(size_text, 10)
                  << "  " << pad(str(v, "content_type"), 16) << "  " << str(v, "created_at") << "  "
                  << str(v, "file_name") << '\n'
                  << "       sha256 " << str(v, "sha256") << "  by " << str(v, "uploaded_by")
                  << '\n';
    }
    return exit_ok;
}

}  // namespace kho::cli
