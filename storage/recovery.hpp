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
    std::size_t blobs_seen = 0;
    std::size_t unreferenced_blobs = 0;
    std::uint64_t unreferenced_bytes = 0;
};

// Removes temporary files (fast; must run before the server accepts uploads).
std::size_t remove_temporary_files(blob_store& blobs);

// Counts blobs and unreferenced blobs (reads the whole blob directory: run it
// in the background on a large store).
recovery_report scan_blobs(const blob_store& blobs, const asset_store& assets);

}  // namespace kho::storage
