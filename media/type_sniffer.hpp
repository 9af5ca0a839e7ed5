#pragma once
// Decides a file's type from its first bytes with libmagic, never from the
// name or the client's Content-Type. Thread-safe (one magic cookie per thread).

#include "core/error.hpp"
#include "core/media_types.hpp"

#include <string>
#include <string_view>

namespace kho::media {

// How many leading bytes sniff() wants to see. Default: 64 KiB.
inline constexpr std::size_t sniff_bytes = 64 * 1024;

// libmagic's raw MIME type for these bytes, e.g. "image/jpeg", "text/html".
std::string magic_mime(std::string_view head);

// The allowed media type for these bytes, or errc::unsupported_media_type
// naming what was found.
result<media_type_info> sniff(std::string_view head);

}  // namespace kho::media
