#include "storage/recovery.hpp"

#include "storage/asset_store.hpp"
#include "storage/blob_store.hpp"

namespace kho::storage {

recovery_report recover(blob_store& blobs, const asset_store& assets) {
    recovery_report report;
    report.temp_files_removed = blobs.clean_tmp();
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
