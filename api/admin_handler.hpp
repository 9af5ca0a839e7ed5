#pragma once
// /api/v1/admin: store maintenance for administrators (the `kho gc` and
// `kho verify` commands call these).

namespace kho::api {

class router;
void add_admin_routes(router& r);

}  // namespace kho::api
