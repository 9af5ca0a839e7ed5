#include "storage/key_codec.hpp"

namespace kho::storage {

std::string encode_counter(std::int64_t v) {
    std::string out(8, '\0');
    auto u = static_cast<std::uint64_t>(v);
    for (size_t i = 0; i < 8; ++i) out[i] = static_cast<char>((u >> (8 * i)) & 0xff);
    return out;
}

std::int64_t decode_counter(std::string_view bytes) {
    if (bytes.size() != 8) return 0;
    std::uint64_t u = 0;
    for (size_t i = 0; i < 8; ++i)
        u |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(bytes[i])) << (8 * i);
    return static_cast<std::int64_t>(u);
}

std::string encode_counters(const std::vector<std::int64_t>& v) {
    std::string out;
    out.reserve(8 * v.size());
    for (auto x : v) out += encode_counter(x);
    return out;
}

std::vector<std::int64_t> decode_counters(std::string_view bytes) {
    std::vector<std::int64_t> v;
    for (std::size_t i = 0; i + 8 <= bytes.size(); i += 8) v.push_back(decode_counter(bytes.substr(i, 8)));
    return v;
}

std::string prefix_successor(std::string_view prefix) {
    std::string s(prefix);
    while (!s.empty()) {
        auto& last = reinterpret_cast<unsigned char&>(s.back());
        if (last != 0xff) {
            ++last;
            return s;
        }
        s.pop_back();
    }
    return s;
}

}  // namespace kho::storage
