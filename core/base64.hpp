#pragma once
// RFC 4648 base64 with padding (the standard alphabet, as tus and HTTP use).

#include "core/error.hpp"

#include <string>
#include <string_view>

namespace kho {

// errc::bad_request on anything that is not canonical padded base64.
result<std::string> decode_base64(std::string_view text);
std::string encode_base64(std::string_view bytes);

// RFC 4648 §5 base64url without padding (URL-safe: [A-Za-z0-9_-]), as share
// link tokens use it. Decoding accepts only the canonical form (no length of
// 1 mod 4, no nonzero unused bits), so one text never carries the bytes of
// another: errc::bad_request otherwise.
std::string encode_base64url(std::string_view bytes);
result<std::string> decode_base64url(std::string_view text);

}  // namespace kho
