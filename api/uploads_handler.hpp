#pragma once
// /api/v1/uploads: resumable uploads speaking tus 1.0 (core protocol plus the
// creation, creation-with-upload, creation-defer-length, expiration,
// checksum, termination and concatenation extensions), so that tus-js-client
// and Uppy work unchanged. A finished upload becomes an asset, or a new
// version of the asset named by the `asset_id` metadata key, through the same
// sniffing, limits and deduplication as a direct upload.

namespace kho::api {

class router;
void add_upload_routes(router& r);

}  // namespace kho::api
