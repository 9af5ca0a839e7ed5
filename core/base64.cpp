#include "core/base64.hpp"

#include <cstdint>

namespace kho {
namespace {

constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value_of_common(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return -1;
}

constexpr char k_url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int base64url_value(char c) {
    if (c == '-') return 62;
    if (c == '_') return 63;
    if (c == '+' || c == '/') return -1;
    return c == '=' ? -1 : base64_value_of_common(c);
}

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

}  // namespace

result<std::string> decode_base64(std::string_view text) {
    if (text.size() % 4 != 0) return make_error(errc::bad_request, "invalid base64");
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (size_t i = 0; i < text.size(); i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            char c = text[i + static_cast<size_t>(k)];
            if (c == '=' && i + 4 == text.size() && k >= 2) {
                v[k] = 0;
                ++pad;
                continue;
            }
            if (pad > 0) return make_error(errc::bad_request, "invalid base64");
            v[k] = base64_value(c);
            if (v[k] < 0) return make_error(errc::bad_request, "invalid base64");
        }
        std::uint32_t n =
            (static_cast<std::uint32_t>(v[0]) << 18) | (static_cast<std::uint32_t>(v[1]) << 12) |
            (static_cast<std::uint32_t>(v[2]) << 6) | static_cast<std::uint32_t>(v[3]);
        out += static_cast<char>((n >> 16) & 0xff);
        if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
        if (pad < 1) out += static_cast<char>(n & 0xff);
    }
    return out;
}

std::string encode_base64(std::string_view bytes) {
    std::string out;
    size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t n = (static_cast<std::uint8_t>(bytes[i]) << 16) |
                          (static_cast<std::uint8_t>(bytes[i + 1]) << 8) |
                          static_cast<std::uint8_t>(bytes[i + 2]);
        for (int shift = 18; shift >= 0; shift -= 6) out += k_alphabet[(n >> shift) & 0x3f];
    }
    if (size_t rest = bytes.size() - i; rest > 0) {
        std::uint32_t n = static_cast<std::uint8_t>(bytes[i]) << 16;
        if (rest == 2) n |= static_cast<std::uint8_t>(bytes[i + 1]) << 8;
        out += k_alphabet[(n >> 18) & 0x3f];
        out += k_alphabet[(n >> 12) & 0x3f];
        out += rest == 2 ? k_alphabet[(n >> 6) & 0x3f] : '=';
        out += '=';
    }
    return out;
}

std::string encode_base64url(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char ch : bytes) {
        acc = (acc << 8) | static_cast<std::uint8_t>(ch);
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += k_url_alphabet[(acc >> bits) & 0x3f];
        }
    }
    if (bits > 0) out += k_url_alphabet[(acc << (6 - bits)) & 0x3f];
    return out;
}

result<std::string> decode_base64url(std::string_view text) {
    if (text.size() % 4 == 1) return make_error(errc::bad_request, "invalid base64url");
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        int v = base64url_value(c);
        if (v < 0) return make_error(errc::bad_request, "invalid base64url");
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    if ((acc & ((1u << bits) - 1)) != 0) return make_error(errc::bad_request, "invalid base64url");
    return out;
}

}  // namespace kho
