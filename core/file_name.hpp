#pragma once
// File names that came from a client. Kept as the user wrote them (Vietnamese
// diacritics included) but made safe to store, to put in a header and to use
// as an archive entry: no directory part, no control characters, valid UTF-8,
// at most 255 bytes, never empty, never "." or "..".

#include <string>
#include <string_view>

namespace kho {

std::string sanitize_file_name(std::string_view name);

// The file name's extension in lower case without the dot ("" when none).
std::string file_extension(std::string_view name);

}  // namespace kho
