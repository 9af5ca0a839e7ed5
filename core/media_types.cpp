#include "core/media_types.hpp"

#include <array>
#include <utility>

namespace kho {
namespace {

constexpr std::array<media_type_info, 19> k_allowed{{
    {"image/jpeg", "jpg", media_family::image},
    {"image/png", "png", media_family::image},
    {"image/webp", "webp", media_family::image},
    {"image/tiff", "tif", media_family::image},
    {"image/gif", "gif", media_family::image},
    {"image/avif", "avif", media_family::image},
    {"image/heic", "heic", media_family::image},
    {"image/svg+xml", "svg", media_family::vector},
    {"application/pdf", "pdf", media_family::document},
    {"video/mp4", "mp4", media_family::video},
    {"video/quicktime", "mov", media_family::video},
    {"video/webm", "webm", media_family::video},
    {"video/x-matroska", "mkv", media_family::video},
    {"audio/mpeg", "mp3", media_family::audio},
    {"audio/mp4", "m4a", media_family::audio},
    {"audio/aac", "aac", media_family::audio},  // raw ADTS AAC, not in an MP4 box
    {"audio/wav", "wav", media_family::audio},
    {"audio/ogg", "ogg", media_family::audio},
    {"audio/flac", "flac", media_family::audio},
}};

// libmagic and browsers use several names for some of these.
constexpr std::array<std::pair<std::string_view, std::string_view>, 13> k_aliases{{
    {"image/heif", "image/heic"},
    {"image/heic-sequence", "image/heic"},
    {"image/svg", "image/svg+xml"},
    {"audio/x-m4a", "audio/mp4"},
    {"audio/x-hx-aac-adts", "audio/aac"},
    {"audio/x-wav", "audio/wav"},
    {"audio/vnd.wave", "audio/wav"},
    {"audio/x-flac", "audio/flac"},
    {"application/ogg", "audio/ogg"},
    {"audio/opus", "audio/ogg"},
    {"video/x-m4v", "video/mp4"},
    {"audio/x-mp3", "audio/mpeg"},
    {"audio/mp3", "audio/mpeg"},
}};

}  // namespace

std::string_view to_string(asset_kind k) noexcept {
    switch (k) {
        case asset_kind::poster:
            return "poster";
        case asset_kind::infographic:
            return "infographic";
        case asset_kind::video:
            return "video";
        case asset_kind::podcast:
            return "podcast";
        case asset_kind::document:
            return "document";
        case asset_kind::other:
            return "other";
    }
    return "other";
}

std::optional<asset_kind> parse_asset_kind(std::string_view s) noexcept {
    for (auto k : {asset_kind::poster, asset_kind::infographic, asset_kind::video,
                   asset_kind::podcast, asset_kind::document, asset_kind::other})
        if (to_string(k) == s) return k;
    return std::nullopt;
}

std::optional<media_type_info> find_allowed_media_type(std::string_view mime) noexcept {
    for (const auto& [alias, canonical] : k_aliases)
        if (alias == mime) mime = canonical;
    for (const auto& t : k_allowed)
        if (t.mime == mime) return t;
    return std::nullopt;
}

asset_kind default_kind_for(const media_type_info& t) noexcept {
    switch (t.family) {
        case media_family::image:
            return asset_kind::poster;
        case media_family::vector:
            return asset_kind::infographic;
        case media_family::document:
            return asset_kind::document;
        case media_family::video:
            return asset_kind::video;
        case media_family::audio:
            return asset_kind::podcast;
    }
    return asset_kind::other;
}

}  // namespace kho
