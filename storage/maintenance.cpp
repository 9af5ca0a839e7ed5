#include "storage/maintenance.hpp"

#include "core/resumable_sha256.hpp"
#include "core/sha256.hpp"
#include "storage/asset_store.hpp"
#include "storage/blob_store.hpp"
#include "storage/upload_store.hpp"

#include <unistd.h>

#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <map>
#include <thread>

namespace kho::storage {

namespace {

// Digests of resumable uploads that are complete but not an asset yet: the
// server stopped between moving the file into the blob store and the
// commit, and the next request about the upload commits from that blob.
std::set<std::string> awaited_blobs(const upload_store& uploads) {
    std::set<std::string> out;
    for (const auto& u : uploads.all()) {
        if (u.asset_id || !u.length || u.offset != *u.length ||
            u.concat == upload_record::concat_kind::partial)
            continue;
        resumable_sha256 hash;
        if (u.offset == 0 || resumable_sha256::restore(u.hash_state, hash))
            out.insert(hash.finish_hex());
    }
    return out;
}

}  // namespace

gc_report collect_garbage(asset_store& assets, blob_store& blobs, upload_store& uploads,
                          bool dry_run) {
    gc_report report;
    report.dry_run = dry_run;
    std::vector<blob_info> all;
    blobs.for_each([&](const blob_info& b) { all.push_back(b); });
    const auto awaited = awaited_blobs(uploads);
    for (const auto& b : all) {
        if (awaited.count(b.sha256)) continue;
        if (assets.remove_if_unreferenced(b.sha256, dry_run)) {
            ++report.unreferenced_blobs;
            report.unreferenced_bytes += b.size;
        }
    }
    if (!dry_run) report.expired_uploads = uploads.sweep();
    return report;
}

namespace {

// Re-hashes one blob; the problem found, if any.
std::optional<std::string> check_blob(const blob_store& blobs, const std::string& sha,
                                      std::uint64_t size, std::vector<char>& buf,
                                      verify_report& report,
                                      const std::function<void()>& pace) {
    blobs.forget(sha);  // read the file as it is now, not a descriptor kept open
    auto file = blobs.open_read(sha);
    if (!file) {
        if (file.error().code == errc::not_found) return "missing";
        return "unreadable";  // an I/O error, or the object store is away
    }
    ++report.blobs_checked;
    if (file->size != size) return "size";
    kho::sha256 h;
    auto in = open_stream(*file, 0, file->size);
    if (!in) return "unreadable";
    for (;;) {
        auto n = (*in)->read(buf.data(), buf.size());
        if (!n) return "unreadable";
        if (*n == 0) break;
        h.update(buf.data(), *n);
        report.bytes_checked += *n;
        pace();
    }
    if (h.finish_hex() != sha) return "corrupt";
    return std::nullopt;
}

}  // namespace

verify_report verify_store(asset_store& assets, const blob_store& blobs,
                           std::uint64_t max_bytes_per_second) {
    verify_report report;
    std::map<std::string, std::pair<std::uint64_t, std::vector<std::string>>> referenced;
    assets.for_each_version([&](const ulid& id, const asset_version& v) {
        ++report.versions;
        auto& entry = referenced[v.sha256];
        entry.first = v.size;
        entry.second.push_back(id.to_string() + " v" + std::to_string(v.number));
    });
    assets.for_each_rendition([&](const ulid& id, std::uint32_t n, const rendition& r) {
        ++report.renditions;
        auto& entry = referenced[r.sha256];
        entry.first = r.size;
        entry.second.push_back(id.to_string() + " v" + std::to_string(n) + " " + r.name);
    });
    std::vector<char> buf(1 << 20);
    auto started = std::chrono::steady_clock::now();
    auto pace = [&] {
        if (max_bytes_per_second == 0) return;
        // Stay under the rate: sleep when ahead of it.
        auto due = started + std::chrono::duration<double>(static_cast<double>(report.bytes_checked) /
                                                           static_cast<double>(max_bytes_per_second));
        std::this_thread::sleep_until(due);
    };
    auto& damage = assets.damage();
    for (const auto& [sha, entry] : referenced) {
        const auto& [size, where] = entry;
        auto problem = check_blob(blobs, sha, size, buf, report, pace);
        if (!problem) {
            (void)damage.clear(sha);
            continue;
        }
        report.problems.push_back({sha, *problem, where});
        // Unreadable may pass (a store that is away): reported, not recorded.
        if (*problem != "unreadable" && !damage.damaged(sha))
            (void)damage.flag(sha, "verify",
                              *problem == "missing" ? "the file is missing"
                              : *problem == "size"  ? "the file has the wrong size"
                                                    : "the bytes no longer hash to the digest");
    }
    // Counted after the re-hash: a long verify of a busy server compares
    // the counts as they are at its end, from one snapshot.
    report.references = assets.audit_references();
    return report;
}

}  // namespace kho::storage
