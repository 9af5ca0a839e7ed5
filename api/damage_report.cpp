#include "api/damage_report.hpp"

#include "api/app.hpp"
#include "storage/asset_store.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace kho::api {

void report_damaged_blob(app& a, const std::string& sha256_hex, const std::string& detail) {
    spdlog::error("download aborted: blob {} is damaged ({}); run `kho verify`, and upload the "
                  "original again to repair it",
                  sha256_hex, detail);
    // The next reader opens the file afresh: one restored from a backup is
    // a new file, and a descriptor kept open would still read the old one.
    a.blobs.forget(sha256_hex);
    boost::asio::post(a.blocking, [&a, sha256_hex, detail] {
        if (auto r = a.assets.damage().flag(sha256_hex, "download", detail); !r)
            spdlog::error("cannot record the damaged blob {}: {}", sha256_hex, r.error().detail);
    });
}

}  // namespace kho::api
