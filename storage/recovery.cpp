#include "storage/recovery.hpp"

#include "storage/asset_store.hpp"
#include "storage/blob_store.hpp"

namespace kho::storage {

std::size_t remove_temporary_files(blob_store& blobs) {
    return blobs.clean_tmp();
}

recovery_report scan_blobs(const blob_store& blobs, const asset_store& assets) {
    recovery_report report;
    blobs.for_each([&](const blob_info& b) {
        ++report.blobs_seen;
        if (assets.ref_count(b.sha256) <= 0) {
            ++report.unreferenced_blobs;
            report.unreferenced_bytes += b.size;
        }
    });
    return report;
}

}  // namespace kho::storage
