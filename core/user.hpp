#pragma once
// People who sign in to kho, and their roles.

#include "core/clock.hpp"
#include "core/error.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kho {

// `worker`: a machine account for remote media workers (kho-worker
// --server); it may take and finish media jobs and manage its own
// credentials, nothing else.
enum class role { admin, reviewer, designer, unit_member, journalist, worker };

std::string_view to_string(role r) noexcept;
result<role> parse_role(std::string_view s);
const std::vector<role>& all_roles();

struct user {
    std::string id;            // ULID text; never changes
    std::string username;      // sign-in name: lower case [a-z0-9._@-], 3-64 bytes
    std::string display_name;  // "Nguyễn Thị Hồng Nhung"
    kho::role role = kho::role::unit_member;
    std::string unit_code;  // the unit the user belongs to (may be empty for admins, journalists)
    bool disabled = false;
    bool must_change_password = false;
    std::string password_hash;  // argon2id, libsodium's encoded string
    unix_ms created_at = 0;
    unix_ms updated_at = 0;
    unix_ms password_changed_at = 0;
};

// Lower-cases and checks a user name: 3-64 bytes of [a-z0-9._@-], starting
// with a letter or digit. errc::invalid_parameter otherwise.
result<std::string> normalize_username(std::string_view s);

// Trims and checks a display name: 1-200 bytes of valid UTF-8 without
// control characters. errc::invalid_parameter otherwise.
result<std::string> normalize_display_name(std::string_view s);

std::string encode_record(const user& u);
result<user> decode_user_record(std::string_view bytes);
// Never includes the password hash.
nlohmann::json to_api_json(const user& u);

}  // namespace kho
