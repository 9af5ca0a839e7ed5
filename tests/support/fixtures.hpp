#pragma once
// Small files built in memory for API tests: just enough structure for
// libmagic to recognize them (the media pipeline tests use real encoders).

#include <cstdint>
#include <string>

namespace kho::test {

// PNG signature and IHDR chunk for a width x height RGB image, then `extra`
// deterministic bytes so that different seeds give different blobs.
inline std::string fake_png(std::uint32_t seed = 1, std::size_t extra = 256) {
    std::string s("\x89PNG\r\n\x1a\n", 8);
    s += std::string("\x00\x00\x00\x0dIHDR", 8);
    auto be32 = [&](std::uint32_t v) {
        for (int shift = 24; shift >= 0; shift -= 8) s += static_cast<char>((v >> shift) & 0xff);
    };
    be32(640);
    be32(480);
    s += std::string("\x08\x02\x00\x00\x00", 5);
    be32(0x12345678);
    std::uint32_t x = seed * 2654435761u + 1;
    for (std::size_t i = 0; i < extra; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        s += static_cast<char>(x & 0xff);
    }
    return s;
}

}  // namespace kho::test
