#pragma once
// The review workflow over HTTP:
//   POST /api/v1/assets/{id}/versions/{n}/submit|approve|reject|revise|archive
//   GET  /api/v1/assets/{id}/versions/{n}/comments
//   POST /api/v1/assets/{id}/versions/{n}/comments
//   GET  /api/v1/reviews                       the review queue, oldest first
//   GET  /api/v1/audit                         the audit log (admin)

namespace kho::api {
class router;
void add_review_routes(router& r);
}  // namespace kho::api
