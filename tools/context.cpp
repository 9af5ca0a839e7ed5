#include "tools/context.hpp"

#include "tools/format.hpp"

#include <boost/beast/http/status.hpp>
#include <nlohmann/json.hpp>

namespace kho::cli {
namespace {

server_address checked_address(const std::string& url) {
    try {
        return parse_server_url(url);
    } catch (const std::invalid_argument& e) {
        throw usage_error(e.what());
    }
}

std::string reason_phrase(int status) {
    auto reason =
        boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
    return std::string(reason);
}

}  // namespace

context::context(const global_options& options, bool needs_token)
    : options_(options), client_(checked_address(options.url)) {
    if (needs_token && options_.token.empty())
        throw usage_error("this command needs an API token: pass --token or set KHO_TOKEN");
}

header_list context::auth(header_list extra) const {
    extra.emplace_back("Authorization", "Bearer " + options_.token);
    return extra;
}

std::string describe_failure(const http_response& r) {
    const std::string status = "HTTP " + std::to_string(r.status);
    auto body = nlohmann::json::parse(r.body, nullptr, false);
    if (body.is_object()) {
        std::string text;
        for (const char* key : {"detail", "title"}) {
            if (auto it = body.find(key);
                it != body.end() && it->is_string() && !it->get<std::string>().empty()) {
                text = it->get<std::string>();
                break;
            }
        }
        std::string code;
        if (auto it = body.find("code"); it != body.end() && it->is_string())
            code = it->get<std::string>();
        if (!text.empty())
            return terminal_safe(text) + " (" + (code.empty() ? "" : terminal_safe(code) + ", ") +
                   status + ")";
    }
    return status + " " + reason_phrase(r.status);
}

nlohmann::json parse_json_body(const http_response& r, std::string_view what) {
    auto body = nlohmann::json::parse(r.body, nullptr, false);
    if (body.is_discarded())
        throw command_error("the server's answer for " + std::string(what) + " is not JSON");
    return body;
}

std::string dump_json(const nlohmann::json& j, int indent) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace kho::cli
