// The raw header checks the session applies before Beast parses a request.

#include "api/request_framing.hpp"

#include <catch2/catch.hpp>

using kho::api::framing_problem;
using kho::api::header_block_end;

TEST_CASE("framing: the header block ends at the first empty line, CRLF or bare LF", "[framing]") {
    CHECK(header_block_end("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody") == 27u);
    CHECK(header_block_end("GET / HTTP/1.1\nHost: a\n\nbody") == 24u);
    CHECK_FALSE(header_block_end("GET / HTTP/1.1\r\nHost: a\r\n").has_value());
    CHECK_FALSE(header_block_end("GET / HTTP/1.1\r\nHost: a\r\n\r").has_value());
    CHECK_FALSE(header_block_end("").has_value());
}

TEST_CASE("framing: well-formed requests pass", "[framing]") {
    CHECK_FALSE(framing_problem("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    CHECK_FALSE(framing_problem("GET / HTTP/1.1\r\nhOsT: a\r\nContent-Length: 0\r\n\r\n"));
    CHECK_FALSE(framing_problem("GET / HTTP/1.0\r\n\r\n"));
    CHECK_FALSE(framing_problem("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"));
}

TEST_CASE("framing: each smuggling vector is named", "[framing]") {
    auto why = [](std::string_view block) { return framing_problem(block).value_or(""); };
    CHECK(why("GET / HTTP/1.1\nHost: a\r\n\r\n").find("bare LF") != std::string::npos);
    CHECK(why("GET / HTTP/1.1\r\nHost: a\n\r\n").find("bare LF") != std::string::npos);
    CHECK(why("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n").find("obs-fold") != std::string::npos);
    CHECK(why("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\t2\r\n\r\n").find("obs-fold") != std::string::npos);
    CHECK(why("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nCONTENT-LENGTH: 1\r\n\r\n")
              .find("Content-Length") != std::string::npos);
    CHECK(why("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n").find("HTTP/1.0") != std::string::npos);
    CHECK(why("GET / HTTP/1.1\r\n\r\n").find("Host") != std::string::npos);
    CHECK(why("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n").find("Host") != std::string::npos);
}
