#pragma once
// Streaming multipart/form-data parser (RFC 7578 over RFC 2046). Bytes are fed
// in chunks of any size as they arrive; the parser calls back with part
// headers and part data. It never buffers a part's body: memory use is
// bounded by the header limit plus the boundary length, whatever the file size.

#include "core/error.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kho::api {

struct multipart_part_info {
    std::string name;                     // from Content-Disposition: form-data; name="..."
    std::optional<std::string> filename;  // from filename= (or filename*=UTF-8''...), decoded
    std::string content_type;             // the part's Content-Type, "" when absent
};

struct multipart_callbacks {
    // A part's headers were parsed. Return an error to stop parsing.
    std::function<result<void>(const multipart_part_info&)> on_part_begin;
    // A piece of the current part's body (any size, possibly empty never).
    std::function<result<void>(std::string_view)> on_part_data;
    // The current part ended.
    std::function<result<void>()> on_part_end;
};

struct multipart_limits {
    std::size_t max_header_bytes = 16 * 1024;  // Default: 16 KiB per part's headers
    std::size_t max_parts = 64;                // Default: 64
};

class multipart_parser {
  public:
    // `boundary` comes from the Content-Type parameter (without the leading "--").
    multipart_parser(std::string boundary, multipart_callbacks cb, multipart_limits limits = {});

    // Feeds the next chunk. Returns the first error from a callback or a
    // syntax error (errc::bad_request with a precise detail). After an error
    // the parser stays failed.
    result<void> feed(std::string_view chunk);

    // Call at the end of the body: errc::bad_request if the closing delimiter
    // ("--boundary--") was not seen. Bytes after the closing delimiter
    // (epilogue) and before the first delimiter (preamble) are ignored.
    result<void> finish();

    bool done() const noexcept;

    // Extracts the boundary parameter from a Content-Type header value such as
    // `multipart/form-data; boundary="abc"`. errc::bad_request when the type
    // is not multipart/form-data or the boundary is missing or invalid
    // (RFC 2046: 1 to 70 characters from its bchars set).
    static result<std::string> boundary_from_content_type(std::string_view content_type);

  private:
    struct state;
    std::shared_ptr<state> state_;
};

}  // namespace kho::api
