// <memory> first: multipart_parser.hpp uses std::shared_ptr without including it.
#include <memory>

#include "api/multipart_parser.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using kho::errc;
using kho::api::multipart_callbacks;
using kho::api::multipart_limits;
using kho::api::multipart_parser;
using kho::api::multipart_part_info;
using namespace std::string_literals;

namespace {

struct recorded_part {
    std::string name;
    std::optional<std::string> filename;
    std::string content_type;
    std::string data;  // all on_part_data pieces joined: piece sizes depend on the split
    bool ended = false;

    bool operator==(const recorded_part&) const = default;
};

// Records the callbacks and notes anything that breaks the callback protocol
// (data outside a part, empty data, end without begin) instead of asserting
// inside the callback, which would cost a Catch assertion per data piece.
struct recorder {
    std::vector<recorded_part> parts;
    std::size_t data_calls = 0;
    bool protocol_violation = false;

    multipart_callbacks callbacks() {
        multipart_callbacks cb;
        cb.on_part_begin = [this](const multipart_part_info& info) -> kho::result<void> {
            if (!parts.empty() && !parts.back().ended) protocol_violation = true;
            parts.push_back({info.name, info.filename, info.content_type, {}, false});
            return kho::ok();
        };
        cb.on_part_data = [this](std::string_view data) -> kho::result<void> {
            ++data_calls;
            if (data.empty() || parts.empty() || parts.back().ended)
                protocol_violation = true;
            else
                parts.back().data.append(data);
            return kho::ok();
        };
        cb.on_part_end = [this]() -> kho::result<void> {
            if (parts.empty() || parts.back().ended)
                protocol_violation = true;
            else
                parts.back().ended = true;
            return kho::ok();
        };
        return cb;
    }
};

struct outcome {
    std::vector<recorded_part> parts;
    std::optional<kho::error> error;
    bool done = false;
    bool protocol_violation = false;
};

// Feeds `body` cut at the given ascending offsets, then calls finish() unless
// a feed failed.
outcome parse_cut(std::string_view body, const std::string& boundary,
                  const std::vector<std::size_t>& cuts, multipart_limits limits = {}) {
    recorder rec;
    multipart_parser parser(boundary, rec.callbacks(), limits);
    outcome out;
    std::size_t from = 0;
    auto step = [&](std::size_t to) {
        if (out.error) return;
        auto r = parser.feed(body.substr(from, to - from));
        if (!r) out.error = r.error();
        from = to;
    };
    for (std::size_t cut : cuts) step(cut);
    step(body.size());
    if (!out.error) {
        auto r = parser.finish();
        if (!r) out.error = r.error();
    }
    out.parts = rec.parts;
    out.done = parser.done();
    out.protocol_violation = rec.protocol_violation;
    return out;
}

outcome parse_whole(std::string_view body, const std::string& boundary,
                    multipart_limits limits = {}) {
    return parse_cut(body, boundary, {}, limits);
}

outcome parse_bytewise(std::string_view body, const std::string& boundary,
                       multipart_limits limits = {}) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < body.size(); ++i) cuts.push_back(i);
    return parse_cut(body, boundary, cuts, limits);
}

// Every two-piece split, then one byte at a time: all must give `expected`.
void require_split_invariant(std::string_view body, const std::string& boundary,
                             const outcome& expected) {
    for (std::size_t k = 0; k <= body.size(); ++k) {
        INFO("split at " << k);
        const outcome o = parse_cut(body, boundary, {k});
        REQUIRE(!o.error);
        REQUIRE(!o.protocol_violation);
        REQUIRE(o.done);
        REQUIRE(o.parts == expected.parts);
    }
    const outcome o = parse_bytewise(body, boundary);
    REQUIRE(!o.error);
    REQUIRE(!o.protocol_violation);
    REQUIRE(o.parts == expected.parts);
}

const std::string browser_boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

// A PNG signature and IHDR start: CR, LF, SUB and NUL bytes, as real files have.
const std::string png_bytes =
    "\x89PNG\r\n\x1a\n"s + "\0\0\0\x0d"s + "IHDR"s + "\0\0\x01\0"s + "\r\n-\r\n--"s + "\xff\xd8"s;

std::string browser_body() {
    const std::string d = "--" + browser_boundary;
    return d +
           "\r\n"
           "Content-Disposition: form-data; name=\"title\"\r\n"
           "\r\n"
           "Nghị quyết số 71 về đào tạo\r\n" +
           d +
           "\r\n"
           "Content-Disposition: form-data; name=\"mô_tả\"\r\n"
           "\r\n"
           "Dòng một\r\nDòng hai: Đà Nẵng, Huế\r\n" +
           d +
           "\r\n"
           "Content-Disposition: form-data; name=\"file\"; filename=\"Áp phích.png\"\r\n"
           "Content-Type: image/png\r\n"
           "\r\n" +
           png_bytes + "\r\n" + d +
           "\r\n"
           "Content-Disposition: form-data; name=\"extra\"; filename=\"\"\r\n"
           "Content-Type: application/octet-stream\r\n"
           "\r\n"
           "\r\n" +
           d + "--\r\n";
}

std::vector<recorded_part> browser_parts() {
    return {
        {"title", std::nullopt, "", "Nghị quyết số 71 về đào tạo", true},
        {"mô_tả", std::nullopt, "", "Dòng một\r\nDòng hai: Đà Nẵng, Huế", true},
        {"file", "Áp phích.png"s, "image/png", png_bytes, true},
        // A file input left empty: browsers send filename="" and no data.
        {"extra", ""s, "application/octet-stream", "", true},
    };
}

std::string single_part(const std::string& boundary, const std::string& headers,
                        const std::string& data) {
    return "--" + boundary + "\r\n" + headers + "\r\n" + data + "\r\n--" + boundary + "--\r\n";
}

// Parses one part whose Content-Disposition value is `cd`.
outcome parse_disposition(const std::string& cd) {
    return parse_whole(single_part("b", "Content-Disposition: " + cd + "\r\n", "x"), "b");
}

// "ok" or "code: detail", so a failed REQUIRE shows the parser's complaint
// (kho::error has no operator<< for Catch to use).
std::string describe(const kho::result<void>& r) {
    if (r) return "ok";
    return std::string(kho::to_string(r.error().code)) + ": " + r.error().detail;
}

bool contains(const std::string& s, std::string_view what) {
    return s.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("multipart: typical browser form with text fields and a file", "[multipart]") {
    const std::string body = browser_body();
    const outcome o = parse_whole(body, browser_boundary);
    REQUIRE(!o.error);
    REQUIRE(!o.protocol_violation);
    REQUIRE(o.done);
    REQUIRE(o.parts.size() == 4);
    CHECK(o.parts[0] == browser_parts()[0]);
    CHECK(o.parts[1] == browser_parts()[1]);
    CHECK(o.parts[2] == browser_parts()[2]);
    CHECK(o.parts[3] == browser_parts()[3]);
}

TEST_CASE("multipart: identical events at every split point and byte by byte", "[multipart]") {
    const std::string body = browser_body();
    outcome expected;
    expected.parts = browser_parts();
    require_split_invariant(body, browser_boundary, expected);

    SECTION("random chunk sizes") {
        std::uint32_t seed = 12345;
        for (int round = 0; round < 200; ++round) {
            std::vector<std::size_t> cuts;
            std::size_t at = 0;
            for (;;) {
                seed = seed * 1664525u + 1013904223u;
                at += 1 + (seed >> 16) % 40;
                if (at >= body.size()) break;
                cuts.push_back(at);
            }
            const outcome o = parse_cut(body, browser_boundary, cuts);
            REQUIRE(!o.error);
            REQUIRE(o.parts == expected.parts);
        }
    }
}

TEST_CASE("multipart: binary data with delimiter lookalikes", "[multipart]") {
    const std::string boundary = "XyZ123";
    std::string data;
    for (int c = 0; c < 256; ++c) data.push_back(static_cast<char>(c));
    // Everything here is data: each is a proper prefix of "\r\n--XyZ123", or
    // the boundary without the CRLF that must precede it.
    data += "\r"s + "\r\n"s + "\r\n-"s + "\r\n--"s + "\r\n--X"s + "\r\n--XyZ12"s + "\0"s +
            "\r\r\n--XyZ12\r"s + "--XyZ123"s + "\n--XyZ123"s + "\r--XyZ123"s + "\r\n-XyZ123"s +
            "\r\n--xyz123"s + "\r\n--XyZ12";  // ends right before the real delimiter

    const std::string trailing_cr = "ends with CR\r";
    const std::string body =
        "--XyZ123\r\n"
        "Content-Disposition: form-data; name=\"bin\"; filename=\"a.bin\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n" +
        data +
        "\r\n--XyZ123\r\n"
        "Content-Disposition: form-data; name=\"cr\"\r\n"
        "\r\n" +
        trailing_cr + "\r\n--XyZ123--";

    outcome expected;
    expected.parts = {{"bin", "a.bin"s, "application/octet-stream", data, true},
                      {"cr", std::nullopt, "", trailing_cr, true}};
    const outcome o = parse_whole(body, boundary);
    REQUIRE(!o.error);
    REQUIRE(o.parts == expected.parts);
    require_split_invariant(body, boundary, expected);
}

TEST_CASE("multipart: data is passed on as soon as it cannot be a delimiter", "[multipart]") {
    recorder rec;
    multipart_parser parser("b", rec.callbacks());
    REQUIRE(describe(parser.feed(
                "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello wor")) == "ok");
    REQUIRE(rec.parts.size() == 1);
    CHECK(rec.parts[0].data == "hello wor");

    // "\r\n--" could start the delimiter, so it is held back...
    REQUIRE(describe(parser.feed("ld\r\n--")) == "ok");
    CHECK(rec.parts[0].data == "hello world");
    // ...and released once the next byte rules that out.
    REQUIRE(describe(parser.feed("x")) == "ok");
    CHECK(rec.parts[0].data == "hello world\r\n--x");
    REQUIRE(describe(parser.feed("\r\n--b--")) == "ok");
    REQUIRE(describe(parser.finish()) == "ok");
    CHECK(rec.parts[0].ended);
    CHECK(!rec.protocol_violation);
}

namespace {

std::uint64_t fnv1a(std::uint64_t h, std::string_view data) {
    for (char c : data) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ull;
    }
    return h;
}

// Deterministic pseudo-random bytes with a delimiter lookalike (a proper
// prefix of the delimiter followed by NUL, which no boundary contains) every
// few KiB. Generated on the fly: the test itself must not hold 50 MB.
class data_generator {
  public:
    explicit data_generator(std::string boundary) : boundary_(std::move(boundary)) {}

    void fill(std::string& out, std::size_t n) {
        out.clear();
        while (out.size() < n) {
            if (pending_pos_ == pending_.size()) next_segment();
            const std::size_t take = std::min(n - out.size(), pending_.size() - pending_pos_);
            out.append(pending_, pending_pos_, take);
            pending_pos_ += take;
        }
    }

  private:
    void next_segment() {
        pending_ = "\r\n--" + boundary_.substr(0, segment_ % boundary_.size()) + '\0';
        ++segment_;
        for (int i = 0; i < 4093; ++i) {
            x_ ^= x_ << 13;
            x_ ^= x_ >> 7;
            x_ ^= x_ << 17;
            pending_.push_back(static_cast<char>(x_ >> 32));
        }
        pending_pos_ = 0;
    }

    std::string boundary_;
    std::string pending_;
    std::size_t pending_pos_ = 0;
    std::size_t segment_ = 0;
    std::uint64_t x_ = 0x9e3779b97f4a7c15ull;
};

}  // namespace

TEST_CASE("multipart: a 50 MB part streams with bounded hold-back", "[multipart][slow]") {
    const std::string boundary = "kho-boundary-0123456789abcdef";
    const std::size_t data_size = 50u * 1024 * 1024;
    const std::size_t chunk_size = 64 * 1024;
    const std::string head =
        "--" + boundary +
        "\r\n"
        "Content-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n";
    const std::string tail = "\r\n--" + boundary + "--\r\n";
    const std::size_t total = head.size() + data_size + tail.size();

    std::size_t fed_data = 0;  // bytes of the part's data handed to feed() so far
    std::size_t delivered = 0;
    bool over_delivered = false;
    std::uint64_t delivered_hash = 0xcbf29ce484222325ull;
    std::size_t begins = 0;
    std::size_t ends = 0;

    multipart_callbacks cb;
    cb.on_part_begin = [&](const multipart_part_info& info) -> kho::result<void> {
        ++begins;
        CHECK(info.name == "file");
        return kho::ok();
    };
    cb.on_part_data = [&](std::string_view d) -> kho::result<void> {
        delivered += d.size();
        if (d.empty() || delivered > fed_data) over_delivered = true;
        delivered_hash = fnv1a(delivered_hash, d);
        return kho::ok();
    };
    cb.on_part_end = [&]() -> kho::result<void> {
        ++ends;
        return kho::ok();
    };
    multipart_parser parser(boundary, cb);

    data_generator gen(boundary);
    std::uint64_t expected_hash = 0xcbf29ce484222325ull;
    std::string generated;
    std::string chunk;
    std::size_t max_held_back = 0;
    std::size_t offset = 0;
    while (offset < total) {
        const std::size_t chunk_end = std::min(total, offset + chunk_size);
        chunk.clear();
        if (offset < head.size())
            chunk.append(head, offset, std::min(head.size(), chunk_end) - offset);
        const std::size_t data_from = std::max(offset, head.size()) - head.size();
        const std::size_t data_to = std::min(chunk_end, head.size() + data_size);
        if (data_to > head.size() + data_from) {
            gen.fill(generated, data_to - head.size() - data_from);
            expected_hash = fnv1a(expected_hash, generated);
            chunk += generated;
            fed_data += generated.size();
        }
        if (chunk_end > head.size() + data_size) {
            const std::size_t tail_from = std::max(offset, head.size() + data_size);
            chunk.append(tail, tail_from - head.size() - data_size, chunk_end - tail_from);
        }
        REQUIRE(chunk.size() == chunk_end - offset);

        REQUIRE(describe(parser.feed(chunk)) == "ok");
        if (fed_data < data_size) max_held_back = std::max(max_held_back, fed_data - delivered);
        offset = chunk_end;
    }
    REQUIRE(describe(parser.finish()) == "ok");

    CHECK(!over_delivered);
    // The parser keeps back only what could still be the delimiter.
    CHECK(max_held_back <= boundary.size() + 4);
    CHECK(delivered == data_size);
    CHECK(delivered_hash == expected_hash);
    CHECK(begins == 1);
    CHECK(ends == 1);
    CHECK(parser.done());
}

TEST_CASE("multipart: preamble, padding, epilogue and empty bodies", "[multipart]") {
    const std::string cd = "Content-Disposition: form-data; name=\"a\"\r\n";

    SECTION("preamble and epilogue are ignored") {
        const std::string body =
            "This is the preamble.\r\nIt has --b-like text: -b --c\r\n--b\r\n" + cd +
            "\r\nvalue\r\n--b--\r\nThis is the epilogue\r\n--b\r\njunk";
        const outcome o = parse_whole(body, "b");
        REQUIRE(!o.error);
        REQUIRE(o.parts.size() == 1);
        CHECK(o.parts[0].data == "value");
        const outcome bytes = parse_bytewise(body, "b");
        REQUIRE(!bytes.error);
        CHECK(bytes.parts == o.parts);
    }
    SECTION("a boundary inside a preamble line is not a delimiter") {
        const std::string body = "x--b\r\n--b\r\n" + cd + "\r\nv\r\n--b--";
        const outcome o = parse_whole(body, "b");
        REQUIRE(!o.error);
        REQUIRE(o.parts.size() == 1);
        CHECK(o.parts[0].data == "v");
    }
    SECTION("transport padding after boundary lines") {
        const std::string body =
            "--b \t \r\n" + cd + "\r\nv\r\n--b\t\r\n" + cd + "\r\nw\r\n--b--  \r\n";
        const outcome o = parse_bytewise(body, "b");
        REQUIRE(!o.error);
        REQUIRE(o.parts.size() == 2);
        CHECK(o.parts[0].data == "v");
        CHECK(o.parts[1].data == "w");
    }
    SECTION("empty part data") {
        const outcome o = parse_whole("--b\r\n" + cd + "\r\n\r\n--b--", "b");
        REQUIRE(!o.error);
        REQUIRE(o.parts.size() == 1);
        CHECK(o.parts[0].data.empty());
        CHECK(o.parts[0].ended);
    }
    SECTION("a form with no fields") {
        const outcome o = parse_whole("--b--\r\n", "b");
        REQUIRE(!o.error);
        CHECK(o.done);
        CHECK(o.parts.empty());
    }
}

TEST_CASE("multipart: missing closing delimiter", "[multipart]") {
    const std::string start = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello";
    const auto bodies = {
        ""s,
        "only a preamble"s,
        "--b"s,
        "--b\r\n"s,
        "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n"s,
        start,
        start + "\r\n--b",
        start + "\r\n--b\r\n",
        start + "\r\n--b-",
    };
    for (const std::string& body : bodies) {
        INFO("body: " << body);
        recorder rec;
        multipart_parser parser("b", rec.callbacks());
        REQUIRE(describe(parser.feed(body)) == "ok");
        CHECK(!parser.done());
        auto r = parser.finish();
        REQUIRE(!r);
        CHECK(r.error().code == errc::bad_request);
        // The part cut short never ends: only a boundary line followed by
        // CRLF completes the part before it.
        if (!rec.parts.empty()) CHECK(rec.parts.back().ended == body.ends_with("\r\n--b\r\n"));
        // The parser stays failed.
        CHECK(!parser.feed("\r\n--b--"));
        CHECK(!parser.finish());
        CHECK(!parser.done());
    }
}

TEST_CASE("multipart: malformed boundary lines", "[multipart]") {
    const std::string cd = "Content-Disposition: form-data; name=\"a\"\r\n";
    const auto bodies = {
        "--bX\r\n" + cd + "\r\nv\r\n--b--"s,         // boundary followed by other bchars
        "--b\r\n" + cd + "\r\nv\r\n--bb\r\n--b--"s,  // boundary inside data
        "--b\r\n" + cd + "\r\nv\r\n--b-x"s,          // half a closing delimiter
        "--b\n" + cd + "\r\nv\r\n--b--"s,            // LF without CR
        "--b\rx" + cd + "\r\nv\r\n--b--"s,           // CR without LF
        "--b x\r\n" + cd + "\r\nv\r\n--b--"s,        // padding then junk
    };
    for (const std::string& body : bodies) {
        INFO("body: " << body);
        const outcome o = parse_whole(body, "b");
        REQUIRE(o.error);
        CHECK(o.error->code == errc::bad_request);
        CHECK(!o.done);
    }
}

TEST_CASE("multipart: malformed part headers", "[multipart]") {
    struct bad_case {
        const char* what;
        std::string headers;  // the header block without its final empty line
        const char* detail;   // part of the expected error detail
    };
    const std::vector<bad_case> cases = {
        {"bare LF", "Content-Disposition: form-data; name=\"a\"\n", "bare LF"},
        {"bare LF in the middle", "X-A: 1\nContent-Disposition: form-data; name=\"a\"\r\n",
         "bare LF"},
        {"bare CR", "Content-Disposition: form-data; name=\"a\"\rX\r\n", "bare CR"},
        {"obsolete folding", "Content-Disposition: form-data;\r\n name=\"a\"\r\n", "folding"},
        {"folding with a tab", "Content-Disposition: form-data;\r\n\tname=\"a\"\r\n", "folding"},
        {"no colon", "Content-Disposition form-data; name=\"a\"\r\n", "no ':'"},
        {"space before colon", "Content-Disposition : form-data; name=\"a\"\r\n", "header name"},
        {"empty header name", ": form-data; name=\"a\"\r\n", "header name"},
        {"control character", "Content-Disposition: form-data; name=\"a\x01\"\r\n", "control"},
        {"no Content-Disposition", "Content-Type: text/plain\r\n", "no Content-Disposition"},
        {"no headers at all", "", "no Content-Disposition"},
        {"not form-data", "Content-Disposition: attachment; name=\"a\"\r\n", "form-data"},
        {"no name", "Content-Disposition: form-data; filename=\"a.txt\"\r\n", "no name"},
        {"unterminated quote", "Content-Disposition: form-data; name=\"a\r\n", "unterminated"},
        {"junk after a value", "Content-Disposition: form-data; name=\"a\"b\r\n", "expected ';'"},
        {"duplicate name", "Content-Disposition: form-data; name=\"a\"; NAME=\"b\"\r\n",
         "duplicate parameter"},
        {"duplicate header",
         "Content-Disposition: form-data; name=\"a\"\r\ncontent-disposition: form-data; "
         "name=\"b\"\r\n",
         "duplicate Content-Disposition"},
        {"parameter without value", "Content-Disposition: form-data; name\r\n", "no value"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        const std::string body = single_part("b", c.headers, "data");
        for (const outcome& o : {parse_whole(body, "b"), parse_bytewise(body, "b")}) {
            REQUIRE(o.error);
            CHECK(o.error->code == errc::bad_request);
            CHECK(contains(o.error->detail, c.detail));
            CHECK(o.parts.empty());
        }
    }
}

TEST_CASE("multipart: header syntax that is accepted", "[multipart]") {
    const std::string headers =
        "content-disposition:form-data;NAME=field;  Filename = \"say \\\"hi\\\" \\\\ now.txt\" \r\n"
        "X-Custom: ignored\r\n"
        "CONTENT-TYPE:   text/plain; charset=utf-8  \r\n";
    const outcome o = parse_whole(single_part("b", headers, "v"), "b");
    REQUIRE(!o.error);
    REQUIRE(o.parts.size() == 1);
    CHECK(o.parts[0].name == "field");
    CHECK(o.parts[0].filename == "say \"hi\" \\ now.txt"s);
    CHECK(o.parts[0].content_type == "text/plain; charset=utf-8");
}

TEST_CASE("multipart: too many parts", "[multipart]") {
    const std::string part = "Content-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n";
    const std::string two = "--b\r\n" + part + "--b\r\n" + part + "--b--";
    const std::string three = "--b\r\n" + part + "--b\r\n" + part + "--b\r\n" + part + "--b--";
    multipart_limits limits;
    limits.max_parts = 2;

    const outcome ok2 = parse_whole(two, "b", limits);
    REQUIRE(!ok2.error);
    CHECK(ok2.parts.size() == 2);

    const outcome bad = parse_whole(three, "b", limits);
    REQUIRE(bad.error);
    CHECK(bad.error->code == errc::bad_request);
    CHECK(contains(bad.error->detail, "too many parts"));
    CHECK(bad.parts.size() == 2);  // the third part is refused before its headers are read

    SECTION("default limit is 64") {
        std::string many;
        for (int i = 0; i < 65; ++i) many += "--b\r\n" + part;
        many += "--b--";
        const outcome o = parse_whole(many, "b");
        REQUIRE(o.error);
        CHECK(o.parts.size() == 64);
    }
}

TEST_CASE("multipart: oversized part headers", "[multipart]") {
    multipart_limits limits;
    limits.max_header_bytes = 64;
    // Header block: the line, its CRLF and the terminating CRLF.
    auto headers_of_size = [](std::size_t n) {
        const std::string prefix = "Content-Disposition: form-data; name=\"";
        const std::string suffix = "\"\r\n";
        return prefix + std::string(n - prefix.size() - suffix.size() - 2, 'a') + suffix;
    };
    const std::string at_limit = headers_of_size(64);
    REQUIRE(at_limit.size() + 2 == 64);

    const outcome fits = parse_whole(single_part("b", at_limit, "v"), "b", limits);
    REQUIRE(!fits.error);
    CHECK(fits.parts.size() == 1);

    const outcome too_big = parse_whole(single_part("b", headers_of_size(65), "v"), "b", limits);
    REQUIRE(too_big.error);
    CHECK(too_big.error->code == errc::bad_request);
    CHECK(contains(too_big.error->detail, "part headers too large"));

    SECTION("rejected as soon as the limit is passed, not at the end of the line") {
        multipart_parser parser("b", {});
        const std::string start = "--b\r\nX-Long: ";
        REQUIRE(describe(parser.feed(start)) == "ok");
        std::size_t fed = 0;
        kho::result<void> r = kho::ok();
        while (r && fed < 1024 * 1024) {
            r = parser.feed("x");
            ++fed;
        }
        REQUIRE(!r);
        CHECK(contains(r.error().detail, "part headers too large"));
        CHECK(fed + 8 == 16 * 1024 + 1);  // 8 = strlen("X-Long: ")
    }
}

TEST_CASE("multipart: callback errors stop parsing and are returned unchanged", "[multipart]") {
    const std::string body = browser_body();
    std::size_t begins = 0;
    std::size_t datas = 0;
    std::size_t ends = 0;
    multipart_callbacks cb;
    cb.on_part_begin = [&](const multipart_part_info&) -> kho::result<void> {
        ++begins;
        return kho::ok();
    };
    cb.on_part_data = [&](std::string_view) -> kho::result<void> {
        ++datas;
        return kho::ok();
    };
    cb.on_part_end = [&]() -> kho::result<void> {
        ++ends;
        return kho::ok();
    };
    kho::error expected;

    SECTION("from on_part_begin") {
        expected = kho::make_error(errc::unsupported_media_type, "no PNGs here");
        cb.on_part_begin = [&](const multipart_part_info& info) -> kho::result<void> {
            ++begins;
            if (info.filename) return expected;
            return kho::ok();
        };
    }
    SECTION("from on_part_data") {
        expected = kho::make_error(errc::insufficient_storage, "disk full");
        cb.on_part_data = [&](std::string_view) -> kho::result<void> {
            ++datas;
            if (begins == 2) return expected;
            return kho::ok();
        };
    }
    SECTION("from on_part_end") {
        expected = kho::make_error(errc::invalid_parameter, "title is too long");
        cb.on_part_end = [&]() -> kho::result<void> {
            ++ends;
            return expected;
        };
    }

    for (bool bytewise : {false, true}) {
        begins = datas = ends = 0;
        multipart_parser parser(browser_boundary, cb);
        kho::result<void> r = kho::ok();
        if (bytewise) {
            for (std::size_t i = 0; r && i < body.size(); ++i) r = parser.feed(body.substr(i, 1));
        } else {
            r = parser.feed(body);
        }
        REQUIRE(!r);
        CHECK(r.error().code == expected.code);
        CHECK(r.error().detail == expected.detail);

        // No more callbacks, and the error sticks.
        const std::size_t calls = begins + datas + ends;
        auto again = parser.feed(body);
        REQUIRE(!again);
        CHECK(again.error().code == expected.code);
        CHECK(again.error().detail == expected.detail);
        auto fin = parser.finish();
        REQUIRE(!fin);
        CHECK(fin.error().code == expected.code);
        CHECK(begins + datas + ends == calls);
        CHECK(!parser.done());
    }
}

TEST_CASE("multipart: an invalid boundary makes the parser fail", "[multipart]") {
    for (const std::string& boundary : {""s, "a\r\nb"s, std::string(71, 'x'), "ends "s}) {
        multipart_parser parser(boundary, {});
        auto r = parser.feed("--" + boundary + "--");
        REQUIRE(!r);
        CHECK(r.error().code == errc::bad_request);
        CHECK(!parser.finish());
    }
}

TEST_CASE("multipart: filename and filename* decoding", "[multipart]") {
    auto filename_of = [](const std::string& cd) -> std::optional<std::string> {
        const outcome o = parse_disposition(cd);
        REQUIRE(!o.error);
        REQUIRE(o.parts.size() == 1);
        return o.parts[0].filename;
    };
    auto error_of = [](const std::string& cd) -> std::string {
        const outcome o = parse_disposition(cd);
        REQUIRE(o.error);
        CHECK(o.error->code == errc::bad_request);
        return o.error->detail;
    };

    SECTION("UTF-8 percent-encoded") {
        CHECK(filename_of("form-data; name=\"f\"; filename*=UTF-8''%C3%81p%20ph%C3%ADch.png") ==
              "Áp phích.png"s);
        CHECK(filename_of("form-data; name=\"f\"; filename*=utf-8'vi'Ngh%E1%BB%8B%20quy%e1%ba%bft"
                          ".pdf") == "Nghị quyết.pdf"s);
        // Some clients quote the extended value; the content is the same.
        CHECK(filename_of("form-data; name=\"f\"; filename*=\"UTF-8''a%20b.txt\"") == "a b.txt"s);
        CHECK(filename_of("form-data; name=\"f\"; filename*=UTF-8''") == ""s);
    }
    SECTION("filename* is preferred over filename") {
        CHECK(filename_of("form-data; name=\"f\"; filename=\"Ap phich.png\"; "
                          "filename*=UTF-8''%C3%81p%20ph%C3%ADch.png") == "Áp phích.png"s);
        CHECK(filename_of("form-data; name=\"f\"; filename*=UTF-8''%C3%81p%20ph%C3%ADch.png; "
                          "filename=\"Ap phich.png\"") == "Áp phích.png"s);
    }
    SECTION("ISO-8859-1 is converted to UTF-8") {
        CHECK(filename_of("form-data; name=\"f\"; filename*=iso-8859-1''caf%E9.txt") ==
              "café.txt"s);
    }
    SECTION("malformed filename*") {
        CHECK(contains(error_of("form-data; name=\"f\"; filename*=UTF-8''%G1.txt"), "percent"));
        CHECK(contains(error_of("form-data; name=\"f\"; filename*=UTF-8''a%C"), "percent"));
        CHECK(contains(error_of("form-data; name=\"f\"; filename*=UTF-8''a%"), "percent"));
        CHECK(contains(error_of("form-data; name=\"f\"; filename*=UTF-8%C3%81"), "charset'"));
        CHECK(contains(error_of("form-data; name=\"f\"; filename*=windows-1258''abc"),
                       "unsupported charset"));
    }
    SECTION("plain filename") {
        // Browsers send the UTF-8 bytes as they are inside the quotes.
        CHECK(filename_of("form-data; name=\"f\"; filename=\"Áp phích.png\"") == "Áp phích.png"s);
        CHECK(filename_of("form-data; name=\"f\"; filename=\"a\\\"b\\\\c.txt\"") == "a\"b\\c.txt"s);
        CHECK(filename_of("form-data; name=\"f\"; filename=photo.jpg") == "photo.jpg"s);
        CHECK(filename_of("form-data; name=\"f\"; filename=\"\"") == ""s);
        CHECK(filename_of("form-data; name=\"f\"") == std::nullopt);
        CHECK(filename_of("Form-Data; Name=\"f\"; FILENAME=\"x.txt\"") == "x.txt"s);
    }
    SECTION("field names") {
        const outcome o = parse_disposition("form-data; name=\"trường \\\"đặc biệt\\\"\"");
        REQUIRE(!o.error);
        CHECK(o.parts[0].name == "trường \"đặc biệt\"");
    }
}

TEST_CASE("multipart: boundary_from_content_type", "[multipart]") {
    auto boundary = [](std::string_view ct) {
        return multipart_parser::boundary_from_content_type(ct);
    };

    SECTION("accepted") {
        CHECK(boundary("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW")
                  .value() == "----WebKitFormBoundary7MA4YWxkTrZu0gW");
        CHECK(boundary("multipart/form-data;boundary=abc").value() == "abc");
        CHECK(boundary("  Multipart/Form-Data ;  BOUNDARY=\"simple boundary\"  ").value() ==
              "simple boundary");
        CHECK(boundary("multipart/form-data; charset=utf-8; boundary=xyz").value() == "xyz");
        CHECK(boundary("multipart/form-data; boundary=\"(a):b/c?d=e,f'g+h_i.j\"").value() ==
              "(a):b/c?d=e,f'g+h_i.j");
        CHECK(boundary("multipart/form-data; boundary=\"\\a\\b\"").value() == "ab");
        CHECK(boundary("multipart/form-data; boundary=" + std::string(70, 'z')).value() ==
              std::string(70, 'z'));
        CHECK(boundary("multipart/form-data;; boundary=x;").value() == "x");
    }
    SECTION("rejected") {
        const auto bad = {
            ""s,
            "multipart/form-data"s,                                   // missing
            "multipart/form-data;"s,                                  // missing
            "multipart/form-data; charset=utf-8"s,                    // missing
            "multipart/mixed; boundary=abc"s,                         // wrong type
            "application/x-www-form-urlencoded"s,                     // wrong type
            "text/plain; boundary=abc"s,                              // wrong type
            "multipart/form-datax; boundary=abc"s,                    // wrong type
            "multipart; boundary=abc"s,                               // no subtype
            "multipart/form-data; boundary="s,                        // empty
            "multipart/form-data; boundary=\"\""s,                    // empty
            "multipart/form-data; boundary=" + std::string(71, 'z'),  // too long
            "multipart/form-data; boundary=abc!"s,                    // '!' is not a bchar
            "multipart/form-data; boundary=\"a@b\""s,                 // '@' is not a bchar
            "multipart/form-data; boundary=\"abc \""s,                // ends with a space
            "multipart/form-data; boundary=\"a\x01z\""s,              // control character
            "multipart/form-data; boundary=\"abc"s,                   // unterminated
            "multipart/form-data; boundary=a; boundary=b"s,           // ambiguous
            "multipart/form-data boundary=abc"s,                      // no ';'
        };
        for (const std::string& ct : bad) {
            INFO("Content-Type: " << ct);
            auto r = boundary(ct);
            REQUIRE(!r);
            CHECK(r.error().code == errc::bad_request);
        }
    }
}
