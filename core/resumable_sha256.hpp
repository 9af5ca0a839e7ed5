#pragma once
// SHA-256 whose intermediate state can be saved and restored, so that a
// resumable upload knows its digest at completion without reading the file
// again, even across a server restart. (OpenSSL's EVP contexts cannot be
// serialized; the SHA256_CTX struct, a plain block of words, can.)

#include <string>
#include <string_view>

namespace kho {

class resumable_sha256 {
  public:
    resumable_sha256();
    // Restores a state produced by state(); nothing when it is malformed.
    static bool restore(std::string_view state, resumable_sha256& out);

    void update(std::string_view data);
    std::string state() const;       // opaque bytes
    std::string finish_hex() const;  // the digest so far; the object stays usable

  private:
    alignas(8) unsigned char ctx_[112];
};

}  // namespace kho
