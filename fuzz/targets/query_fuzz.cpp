// Query strings (api/query.hpp). An accepted query holds only valid UTF-8
// keys and values; encoding its pairs again and parsing that gives the same
// pairs; the getters agree with items(); the typed getters answer within
// their bounds or with invalid_parameter.
//
// Input: 8 bytes of bounds for get_uint, then the raw query (after '?').

#include "api/query.hpp"
#include "fuzz/fuzz_support.hpp"

#include <charconv>

using kho::api::query_params;

namespace {

std::string encode(std::string_view s) {
    constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    kho::fuzz::fuzz_reader in(data, size);
    std::uint64_t a = in.u64() % 2000, b = in.byte() * 40;
    const std::uint64_t min = std::min(a, b), max = std::max(a, b);
    const std::string_view raw = in.rest();

    auto q = query_params::parse(raw);
    if (!q) {
        KHO_FUZZ_CHECK(q.error().code == kho::errc::bad_request);
        return 0;
    }
    std::string canonical;
    for (const auto& [k, v] : q->items()) {
        KHO_FUZZ_CHECK(kho::fuzz::is_valid_utf8(k) && kho::fuzz::is_valid_utf8(v));
        if (!canonical.empty()) canonical += '&';
        canonical += encode(k) + "=" + encode(v);
    }
    auto again = query_params::parse(canonical);
    KHO_FUZZ_CHECK(again.has_value());
    // A key without '=' reads back with an empty value, which is what it had.
    KHO_FUZZ_CHECK(again->items() == q->items());

    for (const auto& [k, v] : q->items()) {
        auto first = q->get(k);
        KHO_FUZZ_CHECK(first && q->has(k));
        auto all = q->get_all(k);
        KHO_FUZZ_CHECK(!all.empty() && all.front() == *first);

        auto n = q->get_uint(k, min, max);
        if (n) {
            KHO_FUZZ_CHECK(n->has_value() && **n >= min && **n <= max);
            KHO_FUZZ_CHECK(std::to_string(**n) == *first ||
                           first->find_first_not_of('0') != 0);  // leading zeros
        } else {
            KHO_FUZZ_CHECK(n.error().code == kho::errc::invalid_parameter);
        }
        auto flag = q->get_bool(k);
        if (flag) {
            KHO_FUZZ_CHECK(flag->has_value());
            const bool t = *first == "true" || *first == "1" || first->empty();
            const bool f = *first == "false" || *first == "0";
            KHO_FUZZ_CHECK(**flag ? t : f);
        } else {
            KHO_FUZZ_CHECK(flag.error().code == kho::errc::invalid_parameter);
        }
    }
    KHO_FUZZ_CHECK(!q->get_uint("\x01"
                                "absent",
                                min, max)
                        .value()
                        .has_value());
    return 0;
}
