#pragma once
// Administering people (admin only):
//   GET    /api/v1/users                      ?role=&unit=&q=&limit=&cursor=
//   POST   /api/v1/users                      create (a generated first password is shown once)
//   GET    /api/v1/users/{id}
//   PATCH  /api/v1/users/{id}                 display_name, role, unit, disabled
//   POST   /api/v1/users/{id}/password        reset (ends the user's sessions)
//   GET    /api/v1/users/{id}/tokens          the user's sessions and tokens
//   DELETE /api/v1/users/{id}/tokens/{token}  revoke one

namespace kho::api {
class router;
void add_user_routes(router& r);
}  // namespace kho::api
