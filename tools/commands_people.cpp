// kho users ... (accounts, admin only) and kho tokens ... (the caller's own
// API tokens): /api/v1/users and /api/v1/tokens.
//
// Secrets the server shows once (an initial or reset password, a new token)
// go to stdout on a labelled line, with a reminder on stderr; they are never
// written anywhere else.

#include "tools/api_target.hpp"
#include "tools/commands.hpp"
#include "tools/format.hpp"

#include "core/user.hpp"

#include <nlohmann/json.hpp>

#include <iostream>

namespace kho::cli {
namespace {

using json = nlohmann::json;

constexpr const char* k_page_size = "1000";  // the server's limit per page of users

std::string str(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return {};
    return terminal_safe(it->get<std::string>());
}

bool flag(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_boolean() && it->get<bool>();
}

std::string or_dash(std::string s) {
    return s.empty() ? "-" : s;
}

std::string pad(std::string s, std::size_t width) {
    if (s.size() < width) s.append(width - s.size(), ' ');
    return s;
}

void print_field(const char* label, const std::string& value) {
    std::cout << pad(label, 18) << value << '\n';
}

// A secret shown once: labelled on stdout so that it can be copied or piped.
void print_secret(const char* label, const std::string& secret, const std::string& note) {
    print_field(label, terminal_safe(secret));
    std::cerr << "kho: the " << label << " is shown only this once" << note << '\n';
}

void print_user(const json& u) {
    std::string unit = str(u, "unit");
    if (auto d = u.find("unit_detail"); d != u.end() && d->is_object() && !str(*d, "name").empty())
        unit += " (" + str(*d, "name") + ")";
    print_field("user", str(u, "username"));
    print_field("id", str(u, "id"));
    print_field("name", str(u, "display_name"));
    print_field("role", str(u, "role"));
    print_field("unit", or_dash(unit));
    print_field("disabled", flag(u, "disabled") ? "yes" : "no");
}

// The password for --password-stdin: the first line of standard input,
// without its line end (so `echo ... |` and a terminal both work).
std::string read_password() {
    std::string line;
    std::getline(std::cin, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) throw usage_error("--password-stdin: standard input has no password");
    return line;
}

// User names are lower case on the server (it folds what it is given).
std::string ascii_lower(std::string s) {
    for (auto& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

// The id of the account named `username`: a search, then the exact match.
std::string find_user_id(context& ctx, const std::string& username) {
    const std::string wanted = ascii_lower(username);
    std::string id;
    for_each_listed(ctx, {"api", "v1", "users"}, {{"q", wanted}, {"limit", k_page_size}},
                    "looking up " + terminal_safe(username), [&](const json& u) {
                        if (!u.is_object() || u.value("username", json()) != wanted) return true;
                        id = str(u, "id");
                        return false;
                    });
    if (id.empty()) throw command_error("no user is named " + terminal_safe(username));
    return id;
}

json patch_user(context& ctx, const std::string& username, const json& patch) {
    const std::string id = find_user_id(ctx, username);
    auto r = ctx.client().request("PATCH", api_target(ctx.server(), {"api", "v1", "users", id}),
                                  ctx.auth({{"Content-Type", "application/json"}}), patch.dump());
    if (r.status != 200) throw command_error(terminal_safe(username) + ": " + describe_failure(r));
    return parse_json_body(r, "the user");
}

}  // namespace

const std::vector<std::string>& user_roles() {
    static const std::vector<std::string> roles = [] {
        std::vector<std::string> out;
        for (auto r : all_roles()) out.emplace_back(to_string(r));
        return out;
    }();
    return roles;
}

int run_user_add(const global_options& g, const user_add_options& o) {
    context ctx(g, true);
    json body{{"username", o.username}, {"display_name", o.display_name}, {"role", o.role}};
    if (!o.unit.empty()) body["unit"] = o.unit;
    if (o.password_stdin) body["password"] = read_password();
    auto r = ctx.client().request("POST", api_target(ctx.server(), {"api", "v1", "users"}),
                                  ctx.auth({{"Content-Type", "application/json"}}), body.dump());
    if (r.status != 201)
        throw command_error(terminal_safe(o.username) + ": " + describe_failure(r));
    auto u = parse_json_body(r, "the new user");
    if (ctx.json()) {
        std::cout << dump_json(u) << '\n';
        return exit_ok;
    }
    print_user(u);
    if (auto pw = str(u, "initial_password"); !pw.empty())
        print_secret("initial password", pw,
                     flag(u, "must_change_password")
                         ? "; the user must change it at the first sign-in"
                         : "");
    return exit_ok;
}

int run_user_list(const global_options& g, const user_list_options& o) {
    context ctx(g, true);
    query_list q{{"limit", k_page_size}};
    if (!o.role.empty()) q.emplace_back("role", o.role);
    if (!o.unit.empty()) q.emplace_back("unit", o.unit);
    if (!o.query.empty()) q.emplace_back("q", o.query);
    json all = json::array();
    std::vector<std::vector<std::string>> rows{
        {"USERNAME", "DISPLAY NAME", "ROLE", "UNIT", "DISABLED"}};
    for_each_listed(ctx, {"api", "v1", "users"}, q, "listing users", [&](const json& u) {
        if (ctx.json())
            all.push_back(u);
        else
            rows.push_back({str(u, "username"), str(u, "display_name"), str(u, "role"),
                            or_dash(str(u, "unit")), flag(u, "disabled") ? "yes" : "no"});
        return true;
    });
    if (ctx.json())
        std::cout << dump_json(all) << '\n';
    else if (rows.size() == 1)
        std::cerr << "no users match\n";
    else
        print_table(rows);
    return exit_ok;
}

int run_user_enable(const global_options& g, const user_enable_options& o) {
    context ctx(g, true);
    auto u = patch_user(ctx, o.username, json{{"disabled", o.disabled}});
    if (ctx.json()) {
        std::cout << dump_json(u) << '\n';
        return exit_ok;
    }
    std::cout << (o.disabled ? "disabled " : "enabled ") << str(u, "username")
              << (o.disabled ? "; their sessions and API tokens no longer work" : "") << '\n';
    return exit_ok;
}

int run_user_reset_password(const global_options& g, const user_password_options& o) {
    context ctx(g, true);
    json body = json::object();
    if (o.password_stdin) body["password"] = read_password();
    const std::string id = find_user_id(ctx, o.username);
    auto r = ctx.client().request("POST",
                                  api_target(ctx.server(), {"api", "v1", "users", id, "password"}),
                                  ctx.auth({{"Content-Type", "application/json"}}), body.dump());
    if (r.status != 200)
        throw command_error(terminal_safe(o.username) + ": " + describe_failure(r));
    auto u = parse_json_body(r, "the password reset");
    if (ctx.json()) {
        std::cout << dump_json(u) << '\n';
        return exit_ok;
    }
    std::cout << "reset the password of " << str(u, "username") << "; their sessions have ended\n";
    if (auto pw = str(u, "password"); !pw.empty())
        print_secret("new password", pw, "; the user must change it at the next sign-in");
    return exit_ok;
}

int run_user_set_role(const global_options& g, const user_role_options& o) {
    context ctx(g, true);
    json patch{{"role", o.role}};
    if (!o.unit.empty()) patch["unit"] = o.unit;
    auto u = patch_user(ctx, o.username, patch);
    if (ctx.json()) {
        std::cout << dump_json(u) << '\n';
        return exit_ok;
    }
    print_user(u);
    return exit_ok;
}

int run_token_create(const global_options& g, const token_create_options& o) {
    context ctx(g, true);
    json body{{"label", o.label}};
    if (!o.expires.empty()) body["expires_at"] = o.expires;
    auto r = ctx.client().request("POST", api_target(ctx.server(), {"api", "v1", "tokens"}),
                                  ctx.auth({{"Content-Type", "application/json"}}), body.dump());
    if (r.status != 201) throw command_error("creating a token: " + describe_failure(r));
    auto t = parse_json_body(r, "the new token");
    if (ctx.json()) {
        std::cout << dump_json(t) << '\n';
        return exit_ok;
    }
    print_field("id", str(t, "id"));
    print_field("label", str(t, "label"));
    print_field("expires", str(t, "expires_at").empty() ? "never" : str(t, "expires_at"));
    print_secret("token", str(t, "token"), "; store it where the program that uses it can read it");
    return exit_ok;
}

int run_token_list(const global_options& g) {
    context ctx(g, true);
    auto r =
        ctx.client().request("GET", api_target(ctx.server(), {"api", "v1", "tokens"}), ctx.auth());
    if (r.status != 200) throw command_error("listing tokens: " + describe_failure(r));
    auto body = parse_json_body(r, "the token list");
    auto items = body.is_object() ? body.find("items") : body.end();
    if (!body.is_object() || items == body.end() || !items->is_array())
        throw command_error("the server's token list has no items");
    if (ctx.json()) {
        std::cout << dump_json(*items) << '\n';
        return exit_ok;
    }
    std::vector<std::vector<std::string>> rows{{"ID", "KIND", "CREATED", "EXPIRES", "LABEL"}};
    for (const auto& t : *items) {
        std::string label = str(t, "label");
        if (flag(t, "current")) label += label.empty() ? "(this one)" : " (this one)";
        rows.push_back({str(t, "id"), str(t, "kind"), str(t, "created_at"),
                        str(t, "expires_at").empty() ? "never" : str(t, "expires_at"), label});
    }
    print_table(rows);
    return exit_ok;
}

int run_token_revoke(const global_options& g, const token_revoke_options& o) {
    context ctx(g, true);
    auto r = ctx.client().request("DELETE", api_target(ctx.server(), {"api", "v1", "tokens", o.id}),
                                  ctx.auth());
    if (r.status != 204) throw command_error(terminal_safe(o.id) + ": " + describe_failure(r));
    if (ctx.json())
        std::cout << dump_json(json{{"id", o.id}, {"revoked", true}}) << '\n';
    else
        std::cout << "revoked " << terminal_safe(o.id) << '\n';
    return exit_ok;
}

}  // namespace kho::cli
