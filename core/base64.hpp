#pragma once
// RFC 4648 base64 with padding (the standard alphabet, as tus and HTTP use).

#include "core/error.hpp"

#include <string>
#include <string_view>

namespace kho {

// errc::bad_request on anything that is not canonical padded base64.
result<std::string> decode_base64(std::string_view text);
std::string encode_base64(std::string_view bytes);

}  // namespace kho
