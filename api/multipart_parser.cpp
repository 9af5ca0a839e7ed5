// <memory> first: multipart_parser.hpp uses std::shared_ptr without including
// it (libstdc++ 12's <functional> does not pull it in). Remove once the header
// includes it itself.
#include <memory>

#include "api/multipart_parser.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kho::api {

namespace {

bool is_ows(char c) noexcept {
    return c == ' ' || c == '\t';
}

char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool iequals_ascii(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

std::string to_lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

bool is_alnum(unsigned char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// RFC 9110 tchar: the characters of a header name, a media type or an
// unquoted parameter.
bool is_tchar(unsigned char c) noexcept {
    return is_alnum(c) ||
           std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// RFC 2046 bchars (including the space, which may not end a boundary).
bool is_bchar(unsigned char c) noexcept {
    return is_alnum(c) ||
           std::string_view("'()+_,-./:=? ").find(static_cast<char>(c)) != std::string_view::npos;
}

// Control characters other than HTAB never belong in a header value; NUL and
// friends in a field name or file name are a classic smuggling vector.
bool is_ctl(unsigned char c) noexcept {
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::size_t skip_ows(std::string_view s, std::size_t i) noexcept {
    while (i < s.size() && is_ows(s[i])) ++i;
    return i;
}

std::size_t token_end(std::string_view s, std::size_t i) noexcept {
    while (i < s.size() && is_tchar(static_cast<unsigned char>(s[i]))) ++i;
    return i;
}

error bad_request(std::string detail) {
    return make_error(errc::bad_request, std::move(detail));
}

result<void> validate_boundary(std::string_view b) {
    if (b.empty() || b.size() > 70)
        return bad_request("multipart boundary must be 1 to 70 characters long");
    for (char c : b)
        if (!is_bchar(static_cast<unsigned char>(c)))
            return bad_request("multipart boundary contains a character not allowed by RFC 2046");
    if (b.back() == ' ') return bad_request("multipart boundary must not end with a space");
    return ok();
}

struct parameter {
    std::string name;  // lower case
    std::string value;
};

// Parses `*( OWS ";" OWS name "=" value )` as it follows a media type or a
// disposition type. Values are tokens or quoted-strings (backslash escapes
// resolved). `what` names the header in error messages.
result<std::vector<parameter>> parse_parameters(std::string_view s, std::string_view what) {
    std::vector<parameter> out;
    std::size_t i = 0;
    for (;;) {
        i = skip_ows(s, i);
        if (i == s.size()) return out;
        if (s[i] != ';')
            return bad_request(std::string(what) + ": expected ';' before a parameter");
        i = skip_ows(s, i + 1);
        // Empty parameters ("a;;b", a trailing ';') mean nothing; some clients send them.
        if (i == s.size() || s[i] == ';') continue;

        const std::size_t name_end = token_end(s, i);
        if (name_end == i) return bad_request(std::string(what) + ": malformed parameter name");
        parameter p;
        p.name = to_lower_ascii(s.substr(i, name_end - i));
        // RFC 9110 has no whitespace around '=', but tolerating it costs nothing
        // and some hand-written clients put it there.
        i = skip_ows(s, name_end);
        if (i == s.size() || s[i] != '=')
            return bad_request(std::string(what) + ": parameter '" + p.name + "' has no value");
        i = skip_ows(s, i + 1);

        if (i < s.size() && s[i] == '"') {
            ++i;
            bool closed = false;
            while (i < s.size()) {
                char c = s[i];
                if (c == '"') {
                    closed = true;
                    ++i;
                    break;
                }
                if (c == '\\') {
                    if (i + 1 == s.size()) break;
                    c = s[i + 1];
                    i += 2;
                } else {
                    ++i;
                }
                if (is_ctl(static_cast<unsigned char>(c)))
                    return bad_request(std::string(what) + ": control character in parameter '" +
                                       p.name + "'");
                p.value.push_back(c);
            }
            if (!closed)
                return bad_request(std::string(what) +
                                   ": unterminated quoted string in parameter '" + p.name + "'");
        } else {
            const std::size_t value_end = token_end(s, i);
            if (value_end == i)
                return bad_request(std::string(what) + ": parameter '" + p.name +
                                   "' has an empty or malformed value");
            p.value.assign(s.substr(i, value_end - i));
            i = value_end;
        }

        // A repeated parameter is ambiguous (which name or boundary wins?);
        // different components picking differently is how smuggling starts.
        for (const auto& q : out)
            if (q.name == p.name)
                return bad_request(std::string(what) + ": duplicate parameter '" + p.name + "'");
        out.push_back(std::move(p));
    }
}

const parameter* find_parameter(const std::vector<parameter>& params, std::string_view name) {
    for (const auto& p : params)
        if (p.name == name) return &p;
    return nullptr;
}

// RFC 8187 ext-value: charset "'" [ language ] "'" value-chars. UTF-8 is passed
// through as bytes; ISO-8859-1 (which RFC 8187 also requires recipients to
// understand) is converted to UTF-8. The result is not checked for UTF-8
// validity here: file names are sanitized later by kho::sanitize_file_name,
// exactly like names that came from a plain filename= parameter.
result<std::string> decode_ext_value(std::string_view v) {
    const std::size_t q1 = v.find('\'');
    const std::size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
    if (q2 == std::string_view::npos)
        return bad_request(
            "part Content-Disposition: filename* is not of the form charset'lang'value");
    const std::string_view charset = v.substr(0, q1);
    const std::string_view encoded = v.substr(q2 + 1);

    std::string bytes;
    bytes.reserve(encoded.size());
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        if (encoded[i] != '%') {
            bytes.push_back(encoded[i]);
            continue;
        }
        const int hi = i + 2 < encoded.size() ? hex_value(encoded[i + 1]) : -1;
        const int lo = i + 2 < encoded.size() ? hex_value(encoded[i + 2]) : -1;
        if (hi < 0 || lo < 0)
            return bad_request("part Content-Disposition: malformed percent-encoding in filename*");
        bytes.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }

    if (iequals_ascii(charset, "UTF-8")) return bytes;
    if (iequals_ascii(charset, "ISO-8859-1")) {
        std::string utf8;
        utf8.reserve(bytes.size() * 2);
        for (char ch : bytes) {
            const auto c = static_cast<unsigned char>(ch);
            if (c < 0x80) {
                utf8.push_back(ch);
            } else {
                utf8.push_back(static_cast<char>(0xC0 | (c >> 6)));
                utf8.push_back(static_cast<char>(0x80 | (c & 0x3F)));
            }
        }
        return utf8;
    }
    return bad_request("part Content-Disposition: unsupported charset '" + std::string(charset) +
                       "' in filename*");
}

result<multipart_part_info> parse_content_disposition(std::string_view value) {
    const std::size_t type_end = token_end(value, 0);
    if (type_end == 0 || !iequals_ascii(value.substr(0, type_end), "form-data"))
        return bad_request("part Content-Disposition must be form-data");
    auto params = parse_parameters(value.substr(type_end), "part Content-Disposition");
    if (!params) return params.error();

    multipart_part_info info;
    const parameter* name = find_parameter(*params, "name");
    if (!name) return bad_request("part Content-Disposition has no name parameter");
    info.name = name->value;

    // filename* wins over filename (RFC 6266 section 4.3): a client that sends
    // both means the plain one as a fallback for old recipients.
    if (const parameter* ext = find_parameter(*params, "filename*")) {
        auto decoded = decode_ext_value(ext->value);
        if (!decoded) return decoded.error();
        info.filename = std::move(*decoded);
    } else if (const parameter* plain = find_parameter(*params, "filename")) {
        info.filename = plain->value;
    }
    return info;
}

enum class phase {
    preamble,        // before the first delimiter; bytes are discarded
    after_boundary,  // "--boundary" matched: expecting "--", padding or CRLF
    close_dash,      // first '-' of the closing "--" seen
    padding,         // transport padding (SP / HTAB) after a boundary
    boundary_lf,     // CR after a boundary line seen, expecting LF
    headers,         // inside a part's header block
    body,            // inside a part's body
    epilogue,        // after "--boundary--"; bytes are discarded
    failed,
};

}  // namespace

struct multipart_parser::state {
    // "\r\n--" + boundary. It holds exactly one CR, at index 0; the scanner
    // relies on that (see scan()).
    std::string delimiter;
    multipart_callbacks cb;
    multipart_limits limits;

    phase ph = phase::preamble;
    // How many leading bytes of `delimiter` the most recent input ended with.
    // They are not kept anywhere: they are known to equal delimiter[0, matched)
    // and are released from there when the match breaks. The body starts as
    // if preceded by CRLF, so a delimiter at the very start is recognised.
    std::size_t matched = 2;
    bool part_open = false;
    std::size_t parts = 0;

    // Current part's header block.
    std::size_t header_bytes = 0;
    std::string line;
    bool line_cr = false;
    std::optional<std::string> disposition;
    std::optional<std::string> content_type;

    error failure;

    result<void> feed(std::string_view chunk);
    result<void> run(std::string_view chunk);
    result<void> scan(std::string_view chunk, std::size_t& i);
    result<void> deliver(std::string_view data);
    result<void> end_part();
    result<void> begin_headers();
    result<void> header_byte(char c);
    result<void> header_line();
    result<void> end_headers();
};

result<void> multipart_parser::state::feed(std::string_view chunk) {
    if (ph == phase::failed) return failure;
    auto r = run(chunk);
    if (!r) {
        failure = r.error();
        ph = phase::failed;
    }
    return r;
}

result<void> multipart_parser::state::run(std::string_view chunk) {
    std::size_t i = 0;
    while (i < chunk.size()) {
        switch (ph) {
            case phase::preamble:
            case phase::body: {
                auto r = scan(chunk, i);
                if (!r) return r;
                break;
            }
            case phase::after_boundary: {
                const char c = chunk[i++];
                if (c == '-')
                    ph = phase::close_dash;
                else if (is_ows(c))
                    ph = phase::padding;
                else if (c == '\r')
                    ph = phase::boundary_lf;
                else
                    return bad_request("unexpected character after a multipart boundary");
                break;
            }
            case phase::close_dash: {
                if (chunk[i++] != '-') return bad_request("malformed closing multipart boundary");
                auto r = end_part();
                if (!r) return r;
                ph = phase::epilogue;
                break;
            }
            case phase::padding: {
                const char c = chunk[i++];
                if (c == '\r')
                    ph = phase::boundary_lf;
                else if (!is_ows(c))
                    return bad_request("unexpected character after a multipart boundary");
                break;
            }
            case phase::boundary_lf: {
                if (chunk[i++] != '\n')
                    return bad_request("multipart boundary line does not end with CRLF");
                auto r = end_part();
                if (!r) return r;
                r = begin_headers();
                if (!r) return r;
                break;
            }
            case phase::headers: {
                auto r = header_byte(chunk[i++]);
                if (!r) return r;
                break;
            }
            case phase::epilogue:
                return ok();
            case phase::failed:
                return failure;
        }
    }
    return ok();
}

// Looks for the delimiter from chunk[i]; in the body everything before it is
// delivered, in the preamble it is dropped. Returns with `i` past the
// delimiter (phase after_boundary) or at the end of the chunk, having kept
// back only a possible delimiter prefix (at most delimiter.size() bytes).
//
// Because '\r' occurs in the delimiter only at index 0, a broken partial
// match never contains the start of another match, so no KMP-style fallback
// is needed: the held bytes are plain data and the search restarts at the
// byte that broke the match.
result<void> multipart_parser::state::scan(std::string_view chunk, std::size_t& i) {
    const std::string_view delim = delimiter;

    if (matched > 0) {
        while (i < chunk.size() && matched < delim.size() && chunk[i] == delim[matched]) {
            ++i;
            ++matched;
        }
        if (matched == delim.size()) {
            matched = 0;
            ph = phase::after_boundary;
            return ok();
        }
        if (i == chunk.size()) return ok();  // still a candidate: wait for more input
        auto r = deliver(delim.substr(0, matched));
        matched = 0;
        if (!r) return r;
    }

    // Scan in bulk so a body is delivered in large slices of the caller's
    // chunk rather than byte by byte.
    const std::size_t run_start = i;
    std::size_t pos = i;
    for (;;) {
        pos = chunk.find('\r', pos);
        if (pos == std::string_view::npos) {
            i = chunk.size();
            return deliver(chunk.substr(run_start));
        }
        const std::size_t avail = std::min(delim.size(), chunk.size() - pos);
        if (chunk.substr(pos, avail) == delim.substr(0, avail)) {
            auto r = deliver(chunk.substr(run_start, pos - run_start));
            if (!r) return r;
            if (avail == delim.size()) {
                i = pos + avail;
                ph = phase::after_boundary;
            } else {
                // The chunk ends inside what may be a delimiter.
                i = chunk.size();
                matched = avail;
            }
            return ok();
        }
        ++pos;
    }
}

result<void> multipart_parser::state::deliver(std::string_view data) {
    if (ph != phase::body || data.empty() || !cb.on_part_data) return ok();
    return cb.on_part_data(data);
}

result<void> multipart_parser::state::end_part() {
    if (!part_open) return ok();
    part_open = false;
    if (!cb.on_part_end) return ok();
    return cb.on_part_end();
}

result<void> multipart_parser::state::begin_headers() {
    if (++parts > limits.max_parts)
        return bad_request("too many parts in multipart body (limit " +
                           std::to_string(limits.max_parts) + ")");
    ph = phase::headers;
    header_bytes = 0;
    line.clear();
    line_cr = false;
    disposition.reset();
    content_type.reset();
    return ok();
}

result<void> multipart_parser::state::header_byte(char c) {
    // Counted before anything is buffered so `line` can never outgrow the limit.
    if (++header_bytes > limits.max_header_bytes)
        return bad_request("part headers too large (limit " +
                           std::to_string(limits.max_header_bytes) + " bytes)");
    if (line_cr) {
        if (c != '\n') return bad_request("bare CR in part headers");
        line_cr = false;
        auto r = line.empty() ? end_headers() : header_line();
        line.clear();
        return r;
    }
    if (c == '\r') {
        line_cr = true;
    } else if (c == '\n') {
        // Accepting bare LF would let this parser and a stricter one in front
        // of it disagree on where the headers end.
        return bad_request("bare LF in part headers (lines must end with CRLF)");
    } else {
        line.push_back(c);
    }
    return ok();
}

result<void> multipart_parser::state::header_line() {
    if (is_ows(line.front()))
        return bad_request("obsolete line folding in part headers is not allowed");
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) return bad_request("malformed part header line (no ':')");
    const std::string_view name = std::string_view(line).substr(0, colon);
    if (name.empty() || token_end(name, 0) != name.size())
        return bad_request("malformed part header name");
    const std::string_view value = trim_ows(std::string_view(line).substr(colon + 1));
    for (char c : value)
        if (is_ctl(static_cast<unsigned char>(c)))
            return bad_request("control character in part header value");

    // Other headers (Content-Transfer-Encoding, custom ones) carry nothing a
    // form field needs; RFC 7578 says to ignore them.
    if (iequals_ascii(name, "Content-Disposition")) {
        if (disposition) return bad_request("duplicate Content-Disposition header in part");
        disposition.emplace(value);
    } else if (iequals_ascii(name, "Content-Type")) {
        if (content_type) return bad_request("duplicate Content-Type header in part");
        content_type.emplace(value);
    }
    return ok();
}

result<void> multipart_parser::state::end_headers() {
    if (!disposition) return bad_request("part has no Content-Disposition header");
    auto info = parse_content_disposition(*disposition);
    if (!info) return info.error();
    info->content_type = content_type.value_or(std::string());
    if (cb.on_part_begin) {
        auto r = cb.on_part_begin(*info);
        if (!r) return r;
    }
    part_open = true;
    ph = phase::body;
    matched = 0;
    return ok();
}

multipart_parser::multipart_parser(std::string boundary, multipart_callbacks cb,
                                   multipart_limits limits)
    : state_(std::make_shared<state>()) {
    state_->cb = std::move(cb);
    state_->limits = limits;
    // An invalid boundary (e.g. one containing CR) would break the scanner's
    // assumptions, and the constructor cannot report errors: the parser
    // starts failed instead and feed() says why.
    if (auto v = validate_boundary(boundary); !v) {
        state_->failure = v.error();
        state_->ph = phase::failed;
    }
    state_->delimiter = "\r\n--" + boundary;
}

result<void> multipart_parser::feed(std::string_view chunk) {
    return state_->feed(chunk);
}

result<void> multipart_parser::finish() {
    state& s = *state_;
    if (s.ph == phase::failed) return s.failure;
    if (s.ph == phase::epilogue) return ok();
    s.failure =
        bad_request(s.ph == phase::preamble ? "multipart body contains no boundary"
                                            : "multipart body ended before the closing boundary");
    s.ph = phase::failed;
    return s.failure;
}

bool multipart_parser::done() const noexcept {
    return state_->ph == phase::epilogue;
}

result<std::string> multipart_parser::boundary_from_content_type(std::string_view content_type) {
    const std::string_view s = trim_ows(content_type);
    const std::size_t type_end = token_end(s, 0);
    const std::size_t subtype_end =
        type_end < s.size() && s[type_end] == '/' ? token_end(s, type_end + 1) : type_end;
    if (type_end == 0 || subtype_end == type_end ||
        !iequals_ascii(s.substr(0, type_end), "multipart") ||
        !iequals_ascii(s.substr(type_end + 1, subtype_end - type_end - 1), "form-data"))
        return bad_request("Content-Type must be multipart/form-data");

    auto params = parse_parameters(s.substr(subtype_end), "Content-Type");
    if (!params) return params.error();
    const parameter* boundary = find_parameter(*params, "boundary");
    if (!boundary) return bad_request("multipart/form-data Content-Type has no boundary parameter");
    if (auto v = validate_boundary(boundary->value); !v) return v.error();
    return boundary->value;
}

}  // namespace kho::api
