#pragma once
// Checks of a request's raw header block that Beast's parser is lenient
// about, each a known request-smuggling or desynchronisation vector when
// kho sits behind a proxy that reads the same bytes differently
// (RFC 9112 §2.2, §3.2, §5.2, §6.1, §6.3):
// - a bare LF as a line ending;
// - obs-fold (a header line continued on the next line);
// - Content-Length given more than once (even with equal values);
// - an HTTP/1.1 request without exactly one Host;
// - Transfer-Encoding in an HTTP/1.0 request.
// Such a request gets 400 and its connection is closed.

#include <optional>
#include <string>
#include <string_view>

namespace kho::api {

// Where the header block ends in `bytes` (one past its blank line), or
// nothing when it is not complete yet. A blank line of bare LFs counts as
// an end too, so that such a request is refused instead of waited for.
std::optional<std::size_t> header_block_end(std::string_view bytes);

// Why `block` (a request line plus header fields, up to and including the
// blank line) must be refused, or nothing when it is acceptable.
std::optional<std::string> framing_problem(std::string_view block);

}  // namespace kho::api
