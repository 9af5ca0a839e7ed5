#include "server/blob_check.hpp"

#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xxh_x86dispatch.h>  // the widest vector unit this CPU has (AVX2, AVX-512)
#define KHO_XXH3_UPDATE XXH3_128bits_update_dispatch
#else
#define KHO_XXH3_UPDATE XXH3_128bits_update
#endif

#include <cstring>

namespace kho::server {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Nothing unless 64 hex digits.
std::optional<known_checksums::digest> parse_digest(std::string_view hex) {
    if (hex.size() != 64) return std::nullopt;
    known_checksums::digest d{};
    for (std::size_t i = 0; i < d.size(); ++i) {
        const int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        d[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    return d;
}

known_checksums::checksum to_checksum(const XXH128_hash_t& h) {
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, h);
    known_checksums::checksum out{};
    std::memcpy(out.data(), c.digest, out.size());
    return out;
}

}  // namespace

std::size_t known_checksums::digest_hash::operator()(const digest& d) const noexcept {
    std::size_t h;  // the digest is uniformly distributed already
    std::memcpy(&h, d.data(), sizeof h);
    return h;
}

known_checksums::known_checksums(std::size_t capacity)
    : per_shard_(std::max<std::size_t>(1, capacity / shard_count)) {}

known_checksums::shard& known_checksums::shard_of(const digest& d) const {
    return shards_[d[31] % shard_count];
}

std::optional<known_checksums::checksum> known_checksums::find(std::string_view sha256_hex) const {
    auto d = parse_digest(sha256_hex);
    if (!d) return std::nullopt;
    auto& s = shard_of(*d);
    std::lock_guard lock(s.mutex);
    auto it = s.values.find(*d);
    if (it == s.values.end()) return std::nullopt;
    return it->second;
}

void known_checksums::remember(std::string_view sha256_hex, const checksum& value) {
    auto d = parse_digest(sha256_hex);
    if (!d) return;
    auto& s = shard_of(*d);
    std::lock_guard lock(s.mutex);
    // Full: start the shard again (its blobs go through SHA-256 once more)
    // rather than keep recency for each lookup.
    if (s.values.size() >= per_shard_ && !s.values.contains(*d)) s.values.clear();
    s.values.insert_or_assign(*d, value);
}

std::size_t known_checksums::size() const {
    std::size_t n = 0;
    for (auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        n += s.values.size();
    }
    return n;
}

struct blob_check::xxh_state {
    XXH3_state_t* state = XXH3_createState();
    xxh_state() {
        if (state == nullptr) throw std::bad_alloc();
        XXH3_128bits_reset(state);
    }
    ~xxh_state() { XXH3_freeState(state); }
};

blob_check::blob_check(known_checksums& known, std::string sha256_hex)
    : known_(known),
      sha256_hex_(std::move(sha256_hex)),
      expected_(known.find(sha256_hex_)),
      xxh_(std::make_unique<xxh_state>()) {
    if (!expected_) sha_.emplace();
}

blob_check::~blob_check() = default;

void blob_check::update(const void* data, std::size_t size) {
    KHO_XXH3_UPDATE(xxh_->state, data, size);
    if (sha_) sha_->update(data, size);
}

std::optional<std::string> blob_check::mismatch() {
    const auto got = to_checksum(XXH3_128bits_digest(xxh_->state));
    if (expected_) {
        if (got == *expected_) return std::nullopt;
        return "the bytes' XXH3-128 is " + to_hex(got.data(), got.size()) +
               ", not that of the verified blob";
    }
    if (auto sha = sha_->finish_hex(); sha != sha256_hex_) return "the bytes hash to " + sha;
    known_.remember(sha256_hex_, got);
    return std::nullopt;
}

}  // namespace kho::server
