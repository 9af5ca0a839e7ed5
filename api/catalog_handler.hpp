#pragma once
// The catalog: what the caller may see, searched with Vietnamese folding.
//   GET /api/v1/catalog?q=&kind=&campaign=&tag=&level=&from=&to=&state=&mine=&limit=&cursor=
// Each item is an asset with the version the caller is shown (for a unit or
// a journalist, the approved one offered to them) and the files they can
// download with their sizes; the page carries facet counts and the total.
//   POST /api/v1/admin/reindex   rebuilds the search index (admin; `kho reindex`)

#include <nlohmann/json_fwd.hpp>

namespace kho {
struct asset_version;
struct ulid;
}  // namespace kho

namespace kho::api {

struct app;
class router;

// The files of a version a person picks from, labelled in Vietnamese and
// English: the original ("Bản in gốc"), the web image, the 720p video, the
// podcast MP3/M4A... each with its size, type and URL. Only renditions that
// exist are listed.
nlohmann::json offered_files(const app& a, const ulid& asset, const asset_version& v);

void add_catalog_routes(router& r);

}  // namespace kho::api
