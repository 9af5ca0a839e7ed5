#pragma once
// The first start of an empty kho: the first admin account. Its password
// comes from KHO_ADMIN_PASSWORD when set; otherwise one is generated, printed
// once, and must be changed at the first sign-in. The bootstrap API token
// becomes that admin's API token.

#include "core/error.hpp"

#include <optional>
#include <string>

namespace kho::storage {
class token_store;
class user_store;
}  // namespace kho::storage

namespace kho::server {

struct first_admin {
    std::string username;
    std::optional<std::string> generated_password;  // to print once
};

// Creates the admin when no user exists yet; nothing otherwise.
result<std::optional<first_admin>> ensure_first_admin(storage::user_store& users,
                                                      storage::token_store& tokens,
                                                      const std::optional<std::string>& password);

}  // namespace kho::server
