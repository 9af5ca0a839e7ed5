#pragma once
// Comment threads on asset versions: reviewers and designers talk about a
// version before it is approved. Key in `comments` (docs/storage.md):
// asset id (16 raw bytes) + version (u32 BE) + comment id (16 raw ULID bytes).
//
// Thread safety: all member functions may be called concurrently.

#include "core/audit.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ulid.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace kho::storage {

class database;
class audit_log;

struct comment {
    std::string id;
    std::string author;
    std::string text;
    unix_ms at = 0;
};

nlohmann::json to_api_json(const comment& c);

class comment_store {
  public:
    comment_store(database& db, audit_log& audit, kho::clock clk = {});

    // Oldest first (a thread reads top-down). At most `limit`.
    result<std::vector<comment>> list(const ulid& asset, std::uint32_t version,
                                      std::size_t limit = 1000) const;
    // `text`: 1-10000 bytes of UTF-8 (errc::invalid_parameter otherwise).
    // Audited as "comment.added".
    result<comment> add(const ulid& asset, std::uint32_t version, std::string text,
                        const audit_context& who);
    // Removes a purged asset's threads.
    void remove_all(const ulid& asset);

  private:
    database& db_;
    audit_log& audit_;
    kho::clock clock_;
    ulid_generator ids_;
};

}  // namespace kho::storage
