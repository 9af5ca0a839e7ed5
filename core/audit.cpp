#include "core/audit.hpp"

namespace kho {
namespace {

using json = nlohmann::json;

// The fields shared by the stored record and the API view; the time differs
// (an integer in storage, RFC 3339 in the API) and is added by each.
json audit_fields(const audit_entry& e) {
    return json{{"id", e.id},
                {"actor", e.actor},
                {"action", e.action},
                {"target", e.target},
                {"client_address", e.client_address},
                {"comment", e.comment},
                {"detail", e.detail}};
}

}  // namespace

std::string encode_record(const audit_entry& e) {
    json j = audit_fields(e);
    j["at"] = e.at;
    // An audit entry may quote what a client sent (a user name that failed to
    // log in): never refuse to store it over an ill-formed byte.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

result<audit_entry> decode_audit_record(std::string_view bytes) {
    try {
        auto j = json::parse(bytes);
        audit_entry e;
        e.id = j.at("id").get<std::string>();
        e.at = j.at("at").get<unix_ms>();
        e.actor = j.at("actor").get<std::string>();
        e.action = j.at("action").get<std::string>();
        e.target = j.at("target").get<std::string>();
        e.client_address = j.at("client_address").get<std::string>();
        e.comment = j.at("comment").get<std::string>();
        e.detail = j.at("detail");
        return e;
    } catch (const json::exception& ex) {
        return make_error(errc::internal, std::string("corrupt audit record: ") + ex.what());
    }
}

json to_api_json(const audit_entry& e) {
    json j = audit_fields(e);
    j["at"] = format_rfc3339(e.at);
    if (e.actor.empty()) j["actor"] = nullptr;
    if (e.comment.empty()) j["comment"] = nullptr;
    return j;
}

}  // namespace kho
