#pragma once
// Key encoding for RocksDB: every integer in a key is big-endian so that the
// byte-wise comparator orders keys numerically. Strings inside composite keys
// are terminated by 0x00 (valid UTF-8 text never contains it).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kho::storage {

inline void append_u32_be(std::string& key, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) key += static_cast<char>((v >> shift) & 0xff);
}

inline void append_u64_be(std::string& key, std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) key += static_cast<char>((v >> shift) & 0xff);
}

inline std::uint32_t read_u32_be(std::string_view bytes) {
    std::uint32_t v = 0;
    for (size_t i = 0; i < 4 && i < bytes.size(); ++i)
        v = (v << 8) | static_cast<std::uint8_t>(bytes[i]);
    return v;
}

inline std::uint64_t read_u64_be(std::string_view bytes) {
    std::uint64_t v = 0;
    for (size_t i = 0; i < 8 && i < bytes.size(); ++i)
        v = (v << 8) | static_cast<std::uint8_t>(bytes[i]);
    return v;
}

// Counter values (merge operands and results) are 8-byte little-endian int64.
std::string encode_counter(std::int64_t v);
std::int64_t decode_counter(std::string_view bytes);
// Several counters in one value (usage counters): n × 8 bytes, element-wise
// added by the merge operator. A trailing partial group is ignored.
std::string encode_counters(const std::vector<std::int64_t>& v);
std::vector<std::int64_t> decode_counters(std::string_view bytes);

// The smallest key greater than every key starting with `prefix`
// (for iterate_upper_bound and reverse seeks). Empty when none exists.
std::string prefix_successor(std::string_view prefix);

}  // namespace kho::storage
