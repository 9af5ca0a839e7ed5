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

// The form under which two names may be the same file once extracted:
// NFKC_Casefold (Unicode), so that names differing only in case ("Á.png",
// "á.png": one file on NTFS and APFS) or in normalization (NFD from macOS,
// NFC from Windows: one file on APFS and after libarchive, which stores
// names as NFC) compare equal. Meant for valid UTF-8 such as
// sanitize_file_name's output; ill-formed bytes compare as U+FFFD.
std::string file_name_key(std::string_view name);

}  // namespace kho
