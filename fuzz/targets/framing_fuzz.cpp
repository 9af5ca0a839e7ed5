// Raw request header checks (api/request_framing.hpp). header_block_end
// must find the first blank line (CRLF or bare LF) and nothing else;
// framing_problem must refuse every block that has a bare LF, an obs-fold,
// a repeated Content-Length, Transfer-Encoding in HTTP/1.0, or (in HTTP/1.1)
// not exactly one Host. The oracle below checks accepted blocks line by line.
//
// Input: the raw bytes of a request head.

#include "api/request_framing.hpp"
#include "fuzz/fuzz_support.hpp"

#include <cctype>

using kho::api::framing_problem;
using kho::api::header_block_end;

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// The end of the first line that is empty (after "\n" or "\r\n"), by
// brute force.
std::optional<std::size_t> first_blank_line_end(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\n') continue;
        if (i + 1 < s.size() && s[i + 1] == '\n') return i + 2;
        if (i + 2 < s.size() && s[i + 1] == '\r' && s[i + 2] == '\n') return i + 3;
    }
    return std::nullopt;
}

// What an accepted block must look like, up to its blank line.
void check_accepted(std::string_view block) {
    std::size_t content_length = 0, host = 0, transfer_encoding = 0;
    bool http10 = false, first = true;
    std::size_t at = 0;
    while (at < block.size()) {
        auto lf = block.find('\n', at);
        if (lf == std::string_view::npos) break;
        KHO_FUZZ_CHECK(lf > at && block[lf - 1] == '\r');  // no bare LF
        auto line = block.substr(at, lf - 1 - at);
        at = lf + 1;
        if (line.empty()) break;
        if (first) {
            first = false;
            http10 = line.ends_with("HTTP/1.0");
            continue;
        }
        KHO_FUZZ_CHECK(line.front() != ' ' && line.front() != '\t');  // no obs-fold
        auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        auto name = line.substr(0, colon);
        content_length += iequals(name, "Content-Length");
        host += iequals(name, "Host");
        transfer_encoding += iequals(name, "Transfer-Encoding");
    }
    KHO_FUZZ_CHECK(content_length <= 1);
    if (http10)
        KHO_FUZZ_CHECK(transfer_encoding == 0);
    else
        KHO_FUZZ_CHECK(host == 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);

    const auto end = header_block_end(bytes);
    KHO_FUZZ_CHECK(end == first_blank_line_end(bytes));
    if (end) KHO_FUZZ_CHECK(*end <= bytes.size() && bytes[*end - 1] == '\n');

    // As the session calls it: on the complete block, and also on whatever
    // arrived (the check must not read past what it is given).
    const std::string_view block = end ? bytes.substr(0, *end) : bytes;
    const auto problem = framing_problem(block);
    if (!problem)
        check_accepted(block);
    else
        KHO_FUZZ_CHECK(!problem->empty() && !kho::fuzz::has_ascii_control(*problem));
    return 0;
}
