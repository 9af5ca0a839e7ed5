#pragma once
// A ZIP writer for press-kit downloads that never builds the archive. Entry
// sizes and CRC-32s are known ahead (stored files' CRCs are cached by the
// caller), so the whole layout is computed up front and the archive is a list
// of body segments: generated headers (and small deflated texts) as strings,
// stored files as ranges of their open descriptors, sent with sendfile(2).
// That gives a Content-Length before the first byte, Range requests at any
// offset (slice_parts) and constant memory, with no temporary file.
//
// Format (APPNOTE 6.3.x): no data descriptors (sizes and CRC sit in the local
// header), UTF-8 names (general purpose bit 11), Unix rw-r--r-- attributes,
// DOS date/time in UTC plus an extended timestamp (0x5455). ZIP64 structures
// appear only when a size, an offset or the entry count needs them, so small
// archives stay classic. Deterministic: the same entries give the same bytes
// (for a given zlib; a zlib upgrade may change deflated entries).

#include "api/http_message.hpp"
#include "core/error.hpp"
#include "storage/unique_fd.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kho::api {

struct zip_entry {
    // UTF-8 path inside the archive, '/' between folders; from zip_entry_names.
    std::string name;
    // Unix seconds (UTC). DOS time is clamped to 1980..2107; the extended
    // timestamp is written when the value fits 0..2^31-1.
    std::int64_t modified = 0;
    // Exactly one source. `bytes`: small generated content, deflated (raw,
    // level 6) when that makes it smaller, else stored. `file`: a stored
    // file's bytes, always stored (media are already compressed); the segment
    // must lie within the file.
    std::optional<std::string> bytes;
    std::optional<file_segment> file;
    // Required for `file` entries (the caller computes and caches it);
    // ignored and computed here for `bytes` entries.
    std::uint32_t crc32 = 0;
};

struct zip_plan {
    std::vector<body_segment> parts;  // the whole archive, in order; no empty parts
    std::uint64_t size = 0;           // sum of the parts' lengths
};

// Lays out the archive, entries in the given order. Reads nothing from the
// files (one fstat each). Errors: invalid_parameter for an entry with neither
// or both sources, a null descriptor, an empty name or one over 65535 bytes,
// a name equal to an earlier one (ASCII case-insensitive), a file segment
// reaching past the end of its file.
result<zip_plan> plan_zip(std::vector<zip_entry> entries);

// The parts covering bytes [first, first + length) of the concatenation of
// `parts`: file segments narrowed, strings cut. Precondition:
// first + length <= total length (anything past the end is left out).
std::vector<body_segment> slice_parts(const std::vector<body_segment>& parts, std::uint64_t first,
                                      std::uint64_t length);

// CRC-32 (zlib's) of `length` bytes of `fd` from `offset`, read with pread in
// 1 MiB blocks. Errors: internal on a read error or when the file is shorter.
result<std::uint32_t> crc32_of_file(int fd, std::uint64_t offset, std::uint64_t length);
// The same over a stored blob's first `length` bytes, local or remote.
result<std::uint32_t> crc32_of_blob(const storage::blob_file& file, std::uint64_t length);

// Archive-safe, unique entry names, one per requested name, in order:
// - backslashes become '/'; empty, "." and ".." components (and components of
//   only dots and spaces) are dropped, so nothing escapes the extraction folder;
// - each remaining component goes through sanitize_file_name (valid UTF-8,
//   no control or bidi characters, at most 255 bytes); Vietnamese diacritics
//   are kept exactly as given; a name with no component left becomes "file";
// - duplicates (compared by kho::file_name_key: Unicode case-insensitive and
//   normalization-insensitive, as NTFS, APFS and libarchive see names; also
//   against folders of other names) get " (2)", " (3)", ... before the
//   extension: "a.png", "A.PNG" -> "a.png", "A (2).PNG"; "Áp.png" in NFC and
//   in NFD -> "Áp.png", "Áp (2).png".
std::vector<std::string> zip_entry_names(const std::vector<std::string>& requested);

}  // namespace kho::api
