#pragma once
// Conditional requests (RFC 9110 §13) and HTTP dates. Pure functions.

#include "api/http_message.hpp"

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace kho::api {

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string format_http_date(std::int64_t unix_seconds);
// Accepts IMF-fixdate and the two obsolete formats (RFC 850, asctime), as a
// recipient must. Nothing on malformed input.
std::optional<std::int64_t> parse_http_date(std::string_view text);

// The validators of the selected representation.
struct validators {
    std::string etag;                // strong entity-tag including quotes: "\"abc\""
    std::int64_t last_modified = 0;  // unix seconds
};

enum class precondition {
    proceed,              // evaluate Range (if any) and answer normally
    not_modified,         // 304 (GET/HEAD only)
    precondition_failed,  // 412
};

// RFC 9110 §13.2.2 order: If-Match, else If-Unmodified-Since; If-None-Match,
// else If-Modified-Since (the latter only for GET/HEAD). Strong comparison
// for If-Match, weak for If-None-Match. "*" matches any current
// representation.
precondition evaluate_preconditions(const header_list& h, std::string_view method,
                                    const validators& v);

// If-Range (RFC 9110 §13.1.5): true when a Range header may be honoured.
// An entity-tag must match strongly; a date must equal Last-Modified exactly.
// True when the header is absent.
bool if_range_allows(const header_list& h, const validators& v);

// The revision named by a revision entity-tag, as kho gives them for
// editable records: "\"r<revision>\"" or "\"r<revision>-<digest>\"" (the
// digest covers the rest of the representation; If-Match checks the
// revision). Nothing for any other value.
std::optional<std::uint64_t> revision_of_etag(std::string_view etag);

}  // namespace kho::api
