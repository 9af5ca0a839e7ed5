#pragma once
// Opens the blob store the configuration names: the local directory, or an
// S3 bucket (with the local directory kept as a read fallback while
// `kho migrate-blobs` moves it into the bucket).

#include "core/error.hpp"
#include "server/config.hpp"
#include "storage/blob_store.hpp"
#include "storage/s3_client.hpp"

#include <memory>

namespace kho::server {

// The S3 settings of `cfg`, with the keys read from the credentials file
// (refused when group- or world-readable) or KHO_S3_ACCESS_KEY and
// KHO_S3_SECRET_KEY.
result<storage::s3_config> s3_settings(const server_config& cfg);

result<std::unique_ptr<storage::blob_store>> open_blob_store(const server_config& cfg);

}  // namespace kho::server
