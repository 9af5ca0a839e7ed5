#pragma once
// Usage reports for the ministry (admins and reviewers), as JSON or as CSV
// for Excel (UTF-8 with BOM; `format=csv` or `Accept: text/csv`). Periods
// are Vietnam days, `from` and `to` inclusive (default: the last 30 days).
//   GET /api/v1/reports/downloads?from=&to=&group_by=asset|unit|province|level|day|kit&limit=&province=
//       downloads started, completed and bytes per group, most downloaded first
//       (days in order, every day of the period); province and level are the
//       downloading unit's at the time; `province` narrows group_by=asset to
//       downloads by that province's units
//   GET /api/v1/reports/coverage?asset=&from=&to=&province=&level=
//       per province, which units downloaded (the material, or anything) and
//       which did not
//   GET /api/v1/reports/downloads/events?from=&to=&limit=&cursor=
//       the raw download events the counters are made of

namespace kho::api {
class router;
void add_report_routes(router& r);
}  // namespace kho::api
