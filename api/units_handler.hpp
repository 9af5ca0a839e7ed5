#pragma once
// The unit tree:
//   GET    /api/v1/units          ?parent=&province=&level=&q=&limit=&cursor=   (everyone)
//   POST   /api/v1/units          create                                       (admin)
//   GET    /api/v1/units/{code}                                                (everyone)
//   PATCH  /api/v1/units/{code}   name, parent_code, province, level           (admin)
//   DELETE /api/v1/units/{code}   only a leaf nobody belongs to                (admin)
//   POST   /api/v1/units/import   text/csv; all or nothing, 422 lists bad rows (admin)
//   GET    /api/v1/units/export   text/csv with BOM                            (admin)

namespace kho::api {
class router;
void add_unit_routes(router& r);
}  // namespace kho::api
