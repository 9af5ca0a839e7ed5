#include "server/first_admin.hpp"

#include "core/password.hpp"
#include "core/user.hpp"
#include "storage/token_store.hpp"
#include "storage/user_store.hpp"

namespace kho::server {

result<std::optional<first_admin>> ensure_first_admin(storage::user_store& users,
                                                      storage::token_store& tokens,
                                                      const std::optional<std::string>& password) {
    if (users.count() > 0) return std::optional<first_admin>{};
    first_admin out{"admin", std::nullopt};
    std::string pw;
    if (password) {
        if (auto p = check_password_policy(*password); !p)
            return make_error(errc::invalid_parameter, "KHO_ADMIN_PASSWORD: " + p.error().detail);
        pw = *password;
    } else {
        out.generated_password = generate_password();
        pw = *out.generated_password;
    }
    auto hash = hash_password(pw);
    if (!hash) return hash.error();
    user u;
    u.username = out.username;
    u.display_name = "Quản trị viên";
    u.role = role::admin;
    u.password_hash = std::move(*hash);
    u.must_change_password = !password.has_value();
    auto created = users.create(std::move(u), audit_context{"", "local"});
    if (!created) return created.error();
    if (auto a = tokens.assign_bootstrap(created->id); !a) return a.error();
    return std::optional<first_admin>{std::move(out)};
}

}  // namespace kho::server
