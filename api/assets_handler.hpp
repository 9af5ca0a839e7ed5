#pragma once
// /api/v1/assets: upload (raw or multipart/form-data, streamed), list,
// inspect, edit with If-Match, trash/restore/purge, versions, and downloads
// of originals.

namespace kho::api {

class router;
void add_asset_routes(router& r);

}  // namespace kho::api
