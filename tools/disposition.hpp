#pragma once
// The file name a download's Content-Disposition header proposes (RFC 6266),
// made safe to create in the current directory.
//
// filename* (RFC 8187, UTF-8 or ISO-8859-1, percent-decoded with Boost.URL)
// wins over filename (a quoted string or token). The result always went
// through kho::sanitize_file_name: no directory part, no control or bidi
// characters, never "." or "..". nullopt when the header names no file.

#include <optional>
#include <string>
#include <string_view>

namespace kho::cli {

std::optional<std::string> disposition_file_name(std::string_view header);

}  // namespace kho::cli
