// The low-level SHA256_* functions are deprecated in OpenSSL 3 in favour of
// EVP, which cannot export its state; they remain supported.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "core/resumable_sha256.hpp"

#include "core/sha256.hpp"

#include <openssl/sha.h>

#include <cstring>

namespace kho {

static_assert(sizeof(SHA256_CTX) <= 112, "SHA256_CTX grew");

resumable_sha256::resumable_sha256() {
    std::memset(ctx_, 0, sizeof ctx_);
    SHA256_Init(reinterpret_cast<SHA256_CTX*>(ctx_));
}

bool resumable_sha256::restore(std::string_view state, resumable_sha256& out) {
    if (state.size() != sizeof(SHA256_CTX)) return false;
    std::memcpy(out.ctx_, state.data(), state.size());
    return reinterpret_cast<SHA256_CTX*>(out.ctx_)->num < SHA256_CBLOCK;
}

void resumable_sha256::update(std::string_view data) {
    SHA256_Update(reinterpret_cast<SHA256_CTX*>(ctx_), data.data(), data.size());
}

std::string resumable_sha256::state() const {
    return std::string(reinterpret_cast<const char*>(ctx_), sizeof(SHA256_CTX));
}

std::string resumable_sha256::finish_hex() const {
    SHA256_CTX copy;
    std::memcpy(&copy, ctx_, sizeof copy);
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256_Final(md, &copy);
    return to_hex(md, sizeof md);
}

}  // namespace kho
