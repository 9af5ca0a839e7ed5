// The streaming multipart/form-data parser (api/multipart_parser.hpp). It is
// fed as bytes arrive, so the same body split three ways (one chunk, byte by
// byte, and chunk sizes taken from the fuzz data) must give exactly the same
// callbacks and the same outcome. Besides: callbacks come in begin, data...,
// end order; data is never empty and never contains the delimiter; at most
// max_parts parts; names hold no control characters but HTAB (which a quoted
// string may carry); after an error every later call repeats it.
//
// Input: 1 byte of header limit, 1 byte of part limit, the Content-Type
// value up to '\n', chunk sizes up to '\n' (one byte each), then the body.

#include "api/multipart_parser.hpp"
#include "fuzz/fuzz_support.hpp"

#include <vector>

using kho::api::multipart_callbacks;
using kho::api::multipart_limits;
using kho::api::multipart_parser;
using kho::api::multipart_part_info;

namespace {

// What the parser told us, in order, flattened for comparison. Adjacent data
// callbacks are merged: how a part's body is sliced is the parser's business.
struct transcript {
    std::vector<std::string> events;
    std::string outcome;
    bool in_part = false;
    std::size_t parts = 0;

    void add_data(std::string_view d) {
        if (!events.empty() && events.back().starts_with("D:"))
            events.back().append(d);
        else
            events.push_back("D:" + std::string(d));
    }
    bool operator==(const transcript& o) const {
        return events == o.events && outcome == o.outcome;
    }
};

std::string describe(const kho::result<void>& r) {
    if (r) return "ok";
    return std::string(kho::to_string(r.error().code)) + ": " + r.error().detail;
}

transcript run(const std::string& boundary, const multipart_limits& limits, std::string_view body,
               const std::vector<std::size_t>& cuts) {
    transcript t;
    const std::string delimiter = "\r\n--" + boundary;
    multipart_callbacks cb;
    cb.on_part_begin = [&](const multipart_part_info& info) -> kho::result<void> {
        KHO_FUZZ_CHECK(!t.in_part);
        KHO_FUZZ_CHECK(++t.parts <= limits.max_parts);
        KHO_FUZZ_CHECK(!kho::fuzz::has_ascii_control(info.name, true));
        KHO_FUZZ_CHECK(!kho::fuzz::has_ascii_control(info.content_type, true));
        t.in_part = true;
        t.events.push_back("B:" + info.name + "|" + info.content_type + "|" +
                           (info.filename ? "f=" + *info.filename : "nofile"));
        // A callback's error must stop the parser: exercise that path too.
        if (info.name == "stop") return kho::make_error(kho::errc::conflict, "stopped");
        return kho::ok();
    };
    cb.on_part_data = [&](std::string_view d) -> kho::result<void> {
        KHO_FUZZ_CHECK(t.in_part);
        KHO_FUZZ_CHECK(!d.empty());
        KHO_FUZZ_CHECK(d.find(delimiter) == std::string_view::npos);
        t.add_data(d);
        return kho::ok();
    };
    cb.on_part_end = [&]() -> kho::result<void> {
        KHO_FUZZ_CHECK(t.in_part);
        t.in_part = false;
        t.events.push_back("E");
        return kho::ok();
    };

    multipart_parser p(boundary, cb, limits);
    std::size_t at = 0;
    kho::result<void> r = kho::ok();
    for (std::size_t i = 0; r && at < body.size(); ++i) {
        const std::size_t n =
            cuts.empty() ? body.size() : std::max<std::size_t>(1, cuts[i % cuts.size()]);
        r = p.feed(body.substr(at, n));
        at += n;
    }
    if (r) r = p.finish();
    t.outcome = describe(r);
    for (const auto& e : t.events)
        if (e.starts_with("D:")) KHO_FUZZ_CHECK(e.find(delimiter) == std::string::npos);
    if (!r) {
        // The parser stays failed with the same error.
        KHO_FUZZ_CHECK(describe(p.feed("more")) == t.outcome);
        KHO_FUZZ_CHECK(describe(p.finish()) == t.outcome);
        KHO_FUZZ_CHECK(!p.done());
    } else {
        KHO_FUZZ_CHECK(p.done());
        KHO_FUZZ_CHECK(!t.in_part);
        // The epilogue is ignored.
        KHO_FUZZ_CHECK(p.feed("\r\n--" + boundary + "\r\nx"));
    }
    return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    kho::fuzz::fuzz_reader in(data, size);
    multipart_limits limits;
    limits.max_header_bytes = 1 + in.byte() * 4;  // 1..1021, so the limit is reachable
    limits.max_parts = 1 + in.byte() % 8;
    const std::string_view content_type = in.until('\n');
    std::vector<std::size_t> cuts;
    for (char c : in.until('\n')) cuts.push_back(static_cast<unsigned char>(c));
    const std::string_view body = in.rest();

    auto boundary = multipart_parser::boundary_from_content_type(content_type);
    if (!boundary) {
        KHO_FUZZ_CHECK(boundary.error().code == kho::errc::bad_request);
        return 0;
    }
    KHO_FUZZ_CHECK(!boundary->empty() && boundary->size() <= 70);
    KHO_FUZZ_CHECK(boundary->find_first_of("\r\n\"") == std::string::npos);

    const transcript whole = run(*boundary, limits, body, {});
    const transcript bytewise = run(*boundary, limits, body, {1});
    KHO_FUZZ_CHECK(whole == bytewise);
    if (!cuts.empty()) KHO_FUZZ_CHECK(whole == run(*boundary, limits, body, cuts));
    return 0;
}
