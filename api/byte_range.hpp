#pragma once
// Range requests (RFC 9110 §14). Pure functions: no I/O.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace kho::api {

struct byte_range {
    std::uint64_t first = 0;  // inclusive
    std::uint64_t last = 0;   // inclusive
    std::uint64_t length() const { return last - first + 1; }
    bool operator==(const byte_range&) const = default;
};

struct range_result {
    enum class kind {
        full,           // no usable Range header: send the whole representation (200)
        partial,        // send `ranges` (206; multipart/byteranges when more than one)
        unsatisfiable,  // 416 with Content-Range: bytes */<size>
        refused,        // too many or overlapping ranges: 416 as well
    };
    kind outcome = kind::full;
    std::vector<byte_range> ranges;  // sorted, overlapping/adjacent ranges coalesced
};

// Evaluates a Range header value against a representation of `size` bytes.
// - A header with a unit other than "bytes" or with invalid syntax is ignored
//   (kind::full), as RFC 9110 §14.2 allows.
// - "bytes=0-", "bytes=500-999", "bytes=-500" (suffix), several ranges
//   separated by commas with optional whitespace.
// - last >= size is clamped to size-1; a suffix longer than size means the
//   whole representation; "bytes=-0" is unsatisfiable.
// - Ranges whose first >= size are dropped; if none remain: unsatisfiable.
//   A zero-length representation can satisfy no range.
// - More than `max_ranges` ranges (Default: 16), or ranges that overlap,
//   are refused (kind::refused): many small or overlapping ranges are how a
//   client makes a server send a file many times over (RFC 9110 §14.2
//   allows refusing them). Adjacent ranges are coalesced and the result is
//   sorted by position.
range_result evaluate_range(std::string_view header, std::uint64_t size,
                            std::size_t max_ranges = 16);

}  // namespace kho::api
