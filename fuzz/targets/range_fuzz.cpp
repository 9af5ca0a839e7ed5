// Range header evaluation (api/byte_range.hpp) against its contract: any
// header and representation size give one of the four outcomes, and a
// partial answer is a sorted list of disjoint, non-adjacent, in-bounds
// ranges, never more than max_ranges of them.
//
// Input: 1 byte choosing the size's scale, 8 bytes of size, then the header.

#include "api/byte_range.hpp"
#include "fuzz/fuzz_support.hpp"

using kho::api::evaluate_range;
using kho::api::range_result;

namespace {

// Small sizes hit the clamping and suffix edges; huge ones the overflow edges.
std::uint64_t pick_size(std::uint8_t scale, std::uint64_t raw) {
    switch (scale % 4) {
        case 0:
            return raw % 64;
        case 1:
            return raw % 100'000;
        case 2:
            return raw;
        default:
            return UINT64_MAX - raw % 4;
    }
}

bool starts_with_bytes_unit(std::string_view h) {
    while (!h.empty() && (h.front() == ' ' || h.front() == '\t')) h.remove_prefix(1);
    if (h.size() < 6) return false;
    for (std::size_t i = 0; i < 5; ++i)
        if ((h[i] | 0x20) != "bytes"[i]) return false;
    return h[5] == '=';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    kho::fuzz::fuzz_reader in(data, size);
    const std::uint8_t scale = in.byte();
    const std::uint64_t length = pick_size(scale, in.u64());
    const std::size_t max_ranges = 16;
    const std::string_view header = in.rest();

    const range_result r = evaluate_range(header, length, max_ranges);
    using kind = range_result::kind;

    if (!starts_with_bytes_unit(header)) KHO_FUZZ_CHECK(r.outcome == kind::full);
    if (r.outcome != kind::partial) {
        KHO_FUZZ_CHECK(r.ranges.empty());
        return 0;
    }
    KHO_FUZZ_CHECK(length > 0);
    KHO_FUZZ_CHECK(!r.ranges.empty());
    KHO_FUZZ_CHECK(r.ranges.size() <= max_ranges);
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < r.ranges.size(); ++i) {
        const auto& b = r.ranges[i];
        KHO_FUZZ_CHECK(b.first <= b.last);
        KHO_FUZZ_CHECK(b.last < length);
        KHO_FUZZ_CHECK(b.length() == b.last - b.first + 1);
        // Sorted, disjoint and not adjacent (adjacent ones are coalesced).
        if (i > 0) KHO_FUZZ_CHECK(b.first > r.ranges[i - 1].last + 1);
        total += b.length();
    }
    // Never more bytes than the representation has: no amplification.
    KHO_FUZZ_CHECK(total <= length);

    // The same question gets the same answer.
    const range_result again = evaluate_range(header, length, max_ranges);
    KHO_FUZZ_CHECK(again.outcome == r.outcome && again.ranges == r.ranges);
    return 0;
}
