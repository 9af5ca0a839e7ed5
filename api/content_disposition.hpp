#pragma once
// Content-Disposition for downloads (RFC 6266 with RFC 8187/5987 encoding).
// Keeps Vietnamese names intact for every current browser via filename*,
// with an ASCII fallback (diacritics folded: "Áp phích.png" -> "Ap phich.png")
// for old clients.

#include <string>
#include <string_view>

namespace kho::api {

// disposition: "attachment" or "inline". The name is sanitized first (no
// path, no control characters; see core/file_name.hpp). Example:
//   attachment; filename="Ap phich Nghi quyet 71.png";
//   filename*=UTF-8''%C3%81p%20ph%C3%ADch%20Ngh%E1%BB%8B%20quy%E1%BA%BFt%2071.png
// The fallback contains only printable ASCII without '"', '\\', '%' ... (those
// become '_'); filename* percent-encodes everything outside RFC 8187's
// attr-char set. When the name is pure safe ASCII, filename* is still sent
// (identical content) so clients behave the same everywhere.
std::string content_disposition(std::string_view disposition, std::string_view file_name);

}  // namespace kho::api
