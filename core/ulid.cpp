#include "core/ulid.hpp"

#include <openssl/rand.h>

namespace kho {
namespace {

constexpr char k_alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int decode_char(char c) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    switch (c) {
        case 'O':
            return 0;
        case 'I':
        case 'L':
            return 1;
        default:
            break;
    }
    for (int i = 0; i < 32; ++i)
        if (k_alphabet[i] == c) return i;
    return -1;
}

}  // namespace

std::string ulid::to_string() const {
    // 128 bits -> 26 chars of 5 bits; the first char carries only 3 bits.
    std::string out(26, '0');
    unsigned __int128 v = 0;
    for (auto b : bytes) v = (v << 8) | b;
    for (int i = 25; i >= 0; --i) {
        out[static_cast<size_t>(i)] = k_alphabet[static_cast<int>(v & 0x1f)];
        v >>= 5;
    }
    return out;
}

std::uint64_t ulid::unix_ms() const {
    std::uint64_t ms = 0;
    for (int i = 0; i < 6; ++i) ms = (ms << 8) | bytes[static_cast<size_t>(i)];
    return ms;
}

result<ulid> ulid::parse(std::string_view text) {
    if (text.size() != 26) return make_error(errc::bad_request, "an id has 26 characters");
    unsigned __int128 v = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        int d = decode_char(text[i]);
        if (d < 0) return make_error(errc::bad_request, "an id uses Crockford base32 characters");
        if (i == 0 && d > 7) return make_error(errc::bad_request, "id out of range");
        v = (v << 5) | static_cast<unsigned>(d);
    }
    ulid id;
    for (int i = 15; i >= 0; --i) {
        id.bytes[static_cast<size_t>(i)] = static_cast<std::uint8_t>(v & 0xff);
        v >>= 8;
    }
    return id;
}

result<ulid> ulid::from_raw(std::string_view raw) {
    if (raw.size() != 16) return make_error(errc::internal, "raw id must be 16 bytes");
    ulid id;
    for (size_t i = 0; i < 16; ++i) id.bytes[i] = static_cast<std::uint8_t>(raw[i]);
    return id;
}

ulid ulid_generator::next(std::chrono::system_clock::time_point now) {
    auto ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
    std::lock_guard lock(mutex_);
    ulid id;
    if (ms <= last_.unix_ms() && last_.unix_ms() != 0) {
        // Same (or earlier: clock stepped back) millisecond: increment the
        // previous id so order is kept.
        id = last_;
        for (int i = 15; i >= 6; --i) {
            if (++id.bytes[static_cast<size_t>(i)] != 0) break;
        }
    } else {
        for (int i = 5; i >= 0; --i) {
            id.bytes[static_cast<size_t>(i)] = static_cast<std::uint8_t>(ms & 0xff);
            ms >>= 8;
        }
        RAND_bytes(id.bytes.data() + 6, 10);
        id.bytes[6] &= 0x7f;  // leave headroom for in-millisecond increments
    }
    last_ = id;
    return id;
}

}  // namespace kho
