#pragma once
// The closed list of file types kho accepts, keyed by the canonical media type
// that sniffing (media/type_sniffer) reports. Anything not listed is refused
// with 415 before it is stored.

#include <optional>
#include <string_view>

namespace kho {

enum class asset_kind { poster, infographic, video, podcast, document, other };

std::string_view to_string(asset_kind k) noexcept;
std::optional<asset_kind> parse_asset_kind(std::string_view s) noexcept;

enum class media_family { image, vector, document, video, audio };

struct media_type_info {
    std::string_view mime;       // canonical, e.g. "image/jpeg"
    std::string_view extension;  // without the dot, e.g. "jpg"
    media_family family;
};

// Looks up a canonical or alias media type (e.g. "audio/x-wav" -> "audio/wav").
// Returns nothing when the type is not allowed.
std::optional<media_type_info> find_allowed_media_type(std::string_view mime) noexcept;

// The kind an asset gets when the uploader does not say.
asset_kind default_kind_for(const media_type_info& t) noexcept;

}  // namespace kho
