#pragma once
// A user as the API shows it: the account (never its password hash) with
// its unit spelled out.

#include <nlohmann/json.hpp>

namespace kho {
struct user;
}

namespace kho::api {

struct app;

nlohmann::json user_json(const app& a, const user& u);

}  // namespace kho::api
