#pragma once
// Incremental SHA-256 (OpenSSL EVP; uses SHA-NI where the CPU has it).
// Not thread-safe; one per stream.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace kho {

class sha256 {
  public:
    sha256();
    ~sha256();
    sha256(const sha256&) = delete;
    sha256& operator=(const sha256&) = delete;

    void update(const void* data, size_t size);
    void update(std::string_view data) { update(data.data(), data.size()); }
    // Finishes and returns the lower-case hex digest; the object is spent.
    std::string finish_hex();
    std::array<std::uint8_t, 32> finish();

    static std::string hex_of(std::string_view data);

  private:
    struct ctx_deleter {
        void operator()(void* p) const noexcept;
    };
    std::unique_ptr<void, ctx_deleter> ctx_;
};

std::string to_hex(const std::uint8_t* data, size_t size);
bool is_sha256_hex(std::string_view s) noexcept;

}  // namespace kho
