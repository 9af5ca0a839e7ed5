#pragma once
// The asset model: a logical material with metadata and numbered versions.
// Each version points at one immutable original blob by SHA-256.

#include "core/audience.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/media_types.hpp"
#include "core/ulid.hpp"
#include "core/workflow.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kho {

struct asset_version {
    std::uint32_t number = 0;  // 1, 2, 3... per asset
    std::string sha256;        // lower-case hex of the original
    std::uint64_t size = 0;
    std::string content_type;  // sniffed, canonical
    std::string file_name;     // sanitized, as uploaded
    std::string uploaded_by;   // principal id
    unix_ms created_at = 0;

    // Review (core/workflow.hpp). A new version starts as a draft.
    version_state state = version_state::draft;
    std::string submitted_by;
    unix_ms submitted_at = 0;
    std::string reviewed_by;  // who approved, rejected or archived it last
    unix_ms reviewed_at = 0;
    std::string review_comment;
    kho::audience audience;  // set by approval
    validity_window window;  // set by approval

    // What the media job learnt from the original (JSON object: width,
    // height, colour space, pages, duration, codecs...); empty until then.
    std::string media_info;
};

// The editable part of an asset.
struct asset_metadata {
    std::string title;
    std::string description;
    std::vector<std::string> tags;
    asset_kind kind = asset_kind::other;
    std::string campaign;
    std::string language = "vi";
};

struct asset {
    ulid id;
    asset_metadata meta;
    std::uint64_t revision = 1;  // bumped by every change; the PATCH If-Match value
    std::uint32_t version_count = 0;
    std::string created_by;
    unix_ms created_at = 0;
    unix_ms updated_at = 0;
    std::optional<unix_ms> deleted_at;  // set while in the trash
};

// A partial metadata update (PATCH): only present fields change.
struct asset_metadata_patch {
    std::optional<std::string> title;
    std::optional<std::string> description;
    std::optional<std::vector<std::string>> tags;
    std::optional<asset_kind> kind;
    std::optional<std::string> campaign;
    std::optional<std::string> language;
};

// Limits that keep metadata sane; checked by validate().
struct metadata_limits {
    size_t max_title_bytes = 500;          // Default: 500
    size_t max_description_bytes = 20000;  // Default: 20000
    size_t max_tags = 64;                  // Default: 64
    size_t max_tag_bytes = 100;            // Default: 100
    size_t max_campaign_bytes = 200;       // Default: 200
};

// Trims, de-duplicates tags and checks every field (valid UTF-8, no control
// characters, lengths). Returns the cleaned metadata or errc::invalid_parameter.
result<asset_metadata> validate(asset_metadata m, const metadata_limits& limits = {});

// Applies a patch and validates the result.
result<asset_metadata> apply_patch(const asset_metadata& current, const asset_metadata_patch& p,
                                   const metadata_limits& limits = {});

// Parses a PATCH body. Unknown fields and wrong types are errc::invalid_parameter.
result<asset_metadata_patch> parse_metadata_patch(const nlohmann::json& body);

// Storage codecs (compact JSON, integers for times).
std::string encode_record(const asset& a);
std::string encode_record(const asset_version& v);
result<asset> decode_asset_record(std::string_view bytes);
result<asset_version> decode_version_record(std::string_view bytes);

// API representations (RFC 3339 times, ids as strings).
nlohmann::json to_api_json(const asset& a);
nlohmann::json to_api_json(const asset_version& v);

}  // namespace kho
