#pragma once
// Start-up recovery: after a crash the data directory may hold temporary
// upload files and blobs whose metadata was never committed. Temporary files
// are removed; unreferenced blobs are only reported (kho gc removes them);
// nothing referenced is ever touched.

#include <cstddef>
#include <cstdint>

namespace kho::storage {

class asset_store;
class blob_store;

struct recovery_report {
    std::size_t temp_files_removed = 0;
    std::size_t blobs_seen = 0;
    std::size_t unreferenced_blobs = 0;
    std::uint64_t unreferenced_bytes = 0;
};

recovery_report recover(blob_store& blobs, const asset_store& assets);

}  // namespace kho::storage
