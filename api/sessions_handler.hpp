#pragma once
// Signing in and out, one's own account, and personal API tokens:
//   POST   /api/v1/sessions           sign in (user name + password) -> session
//   DELETE /api/v1/sessions/current   sign out
//   GET    /api/v1/me                 the caller's account
//   POST   /api/v1/me/password        change one's password (ends other sessions)
//   GET    /api/v1/tokens             one's sessions and API tokens
//   POST   /api/v1/tokens             a new API token (shown once)
//   DELETE /api/v1/tokens/{id}        revoke one

namespace kho::api {
class router;
void add_session_routes(router& r);
}  // namespace kho::api
