#pragma once
// The published library: for each asset, the newest version that is
// approved, inside its validity window and offered to the viewer.
//   GET /api/v1/published[?unit=CODE][&limit=&cursor=]
// Without `unit`, the caller's own view. With it, what that unit is offered
// (reviewers and admins for any unit, a unit member for their own): this is
// what `kho export --approved --unit` copies.

namespace kho::api {
class router;
void add_published_routes(router& r);
}  // namespace kho::api
