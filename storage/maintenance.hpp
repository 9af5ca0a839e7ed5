#pragma once
// Store-wide maintenance: garbage collection of unreferenced blobs and
// expired uploads, and verification that every referenced blob is present and
// still hashes to its name. Both are safe while the server serves requests:
// gc removes a blob only under the same lock that uploads take to reference
// one, and verify only reads.

#include "storage/asset_store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kho::storage {

class blob_store;
class upload_store;

struct gc_report {
    bool dry_run = false;
    std::size_t unreferenced_blobs = 0;  // found (and removed unless dry_run)
    std::uint64_t unreferenced_bytes = 0;
    std::size_t expired_uploads = 0;  // removed (0 in a dry run)
};

gc_report collect_garbage(asset_store& assets, blob_store& blobs, upload_store& uploads,
                          bool dry_run);

struct verify_problem {
    std::string sha256;
    // "missing", "corrupt" (hash), "size", or "unreadable" (a read failed:
    // an I/O error or an object store that is away; not recorded as damage)
    std::string problem;
    // "<asset id> v<n>" for every version using it, "<asset id> v<n> <name>"
    // for every rendition.
    std::vector<std::string> where;
};

struct verify_report {
    std::size_t versions = 0;
    std::size_t renditions = 0;
    std::size_t blobs_checked = 0;
    std::uint64_t bytes_checked = 0;
    std::vector<verify_problem> problems;
    reference_audit references;  // reference counts against the records
    bool ok() const { return problems.empty() && references.consistent(); }
};

// Re-hashes every referenced blob (originals and renditions), reading at
// most `max_bytes_per_second` (0: unlimited) so that the server stays
// responsive, and checks the reference counts. A missing or corrupt blob is
// recorded in the asset store's damage registry; a blob recorded there that
// is intact now leaves it.
verify_report verify_store(asset_store& assets, const blob_store& blobs,
                           std::uint64_t max_bytes_per_second);

}  // namespace kho::storage
