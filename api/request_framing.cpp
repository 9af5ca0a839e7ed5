#include "api/request_framing.hpp"

#include <algorithm>
#include <cctype>

namespace kho::api {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

}  // namespace

std::optional<std::size_t> header_block_end(std::string_view bytes) {
    for (std::size_t i = bytes.find('\n'); i != std::string_view::npos; i = bytes.find('\n', i + 1)) {
        // "\n\n" or "\n\r\n": the line that ends here is followed by an empty one.
        if (i + 1 < bytes.size() && bytes[i + 1] == '\n') return i + 2;
        if (i + 2 < bytes.size() && bytes[i + 1] == '\r' && bytes[i + 2] == '\n') return i + 3;
    }
    return std::nullopt;
}

std::optional<std::string> framing_problem(std::string_view block) {
    // Lines, each of which must end in CRLF.
    std::size_t content_length = 0, host = 0, transfer_encoding = 0;
    bool first = true;
    bool http10 = false;
    std::size_t at = 0;
    while (at < block.size()) {
        auto lf = block.find('\n', at);
        if (lf == std::string_view::npos) break;
        if (lf == at || block[lf - 1] != '\r') return "a line ends in a bare LF instead of CRLF";
        auto line = block.substr(at, lf - 1 - at);
        at = lf + 1;
        if (line.empty()) break;  // the blank line
        if (first) {
            first = false;
            if (line.size() >= 8 && line.substr(line.size() - 8) == "HTTP/1.0") http10 = true;
            continue;
        }
        if (line.front() == ' ' || line.front() == '\t')
            return "a header field is folded onto the next line (obs-fold)";
        auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;  // Beast refuses it
        auto name = line.substr(0, colon);
        if (iequals(name, "content-length")) ++content_length;
        else if (iequals(name, "host")) ++host;
        else if (iequals(name, "transfer-encoding")) ++transfer_encoding;
    }
    if (content_length > 1) return "Content-Length is given more than once";
    if (http10 && transfer_encoding > 0) return "Transfer-Encoding in an HTTP/1.0 request";
    if (!http10 && host != 1)
        return host == 0 ? "an HTTP/1.1 request needs a Host header"
                         : "the Host header is given more than once";
    return std::nullopt;
}

}  // namespace kho::api
