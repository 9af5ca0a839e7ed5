#pragma once
// Renditions and the media jobs that make them:
//   GET  /api/v1/assets/{id}/renditions                 of the newest version the caller may see
//   GET  /api/v1/assets/{id}/renditions/{name}          (the file; ETag, conditional, Range)
//   GET  /api/v1/assets/{id}/versions/{n}/renditions
//   GET  /api/v1/assets/{id}/versions/{n}/renditions/{name}
//   GET  /api/v1/jobs                                   ?state=&asset=&limit=&cursor= (admin)
//   POST /api/v1/jobs/{id}/retry                        a failed job again (admin)

#include "core/asset.hpp"
#include "core/job.hpp"
#include "core/ulid.hpp"

#include <nlohmann/json.hpp>

namespace kho::api {

struct app;
class router;

// A version as the API shows it: its record plus its renditions, each with
// the state of the job that makes it (pending, running, done, failed and
// why).
nlohmann::json version_json(const app& a, const ulid& asset, const asset_version& v);

// "poster (web).webp": the original's name with the rendition's name and
// extension, as downloads and ZIP entries call it.
std::string rendition_file_name(const asset_version& v, const rendition& r);

void add_rendition_routes(router& r);

}  // namespace kho::api
