#pragma once
// One entry of the append-only audit log: who did what to which thing, when,
// from where, and why.

#include "core/clock.hpp"
#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace kho {

struct audit_entry {
    std::string id;              // ULID, assigned when stored; orders entries by time
    unix_ms at = 0;              // assigned when stored
    std::string actor;           // user id; "" for an anonymous attempt (failed login)
    std::string action;          // dotted verb: "version.approved", "session.login_failed"
    std::string target;          // what it acted on: "asset:<id>/v2", "user:<id>", "unit:<code>"
    std::string client_address;  // the request's peer address
    std::string comment;         // the reviewer's reason, etc.
    nlohmann::json detail = nlohmann::json::object();  // action-specific facts
};

// Who is acting, carried from the request into the services that audit.
struct audit_context {
    std::string actor;
    std::string client_address;
};

std::string encode_record(const audit_entry& e);
result<audit_entry> decode_audit_record(std::string_view bytes);
nlohmann::json to_api_json(const audit_entry& e);

}  // namespace kho
