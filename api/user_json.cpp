#include "api/user_json.hpp"

#include "api/app.hpp"
#include "core/user.hpp"
#include "storage/unit_store.hpp"

namespace kho::api {

nlohmann::json user_json(const app& a, const user& u) {
    auto j = to_api_json(u);
    if (!u.unit_code.empty())
        if (auto unit = a.units.get(u.unit_code)) j["unit_detail"] = to_api_json(*unit);
    return j;
}

}  // namespace kho::api
