#include "api/conditional.hpp"

#include <catch2/catch.hpp>

using namespace kho::api;

namespace {

constexpr std::int64_t t1994 = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

const validators current{"\"v2\"", t1994};

header_list headers(std::initializer_list<std::pair<const char*, const char*>> fields) {
    header_list h;
    for (const auto& [name, value] : fields) h.add(name, value);
    return h;
}

precondition eval(std::initializer_list<std::pair<const char*, const char*>> fields,
                  std::string_view method = "GET") {
    return evaluate_preconditions(headers(fields), method, current);
}

}  // namespace

TEST_CASE("HTTP dates", "[conditional]") {
    SECTION("formatting") {
        REQUIRE(format_http_date(t1994) == "Sun, 06 Nov 1994 08:49:37 GMT");
        REQUIRE(format_http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
        REQUIRE(format_http_date(-1) == "Wed, 31 Dec 1969 23:59:59 GMT");
        REQUIRE(format_http_date(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT");
    }
    SECTION("the three formats parse to the same instant") {
        REQUIRE(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == t1994);
        REQUIRE(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == t1994);
        REQUIRE(parse_http_date("Sun Nov  6 08:49:37 1994") == t1994);
        REQUIRE(parse_http_date("Sun Nov 06 08:49:37 1994") == t1994);
    }
    SECTION("round trip") {
        for (std::int64_t t : {std::int64_t{0}, t1994, std::int64_t{951782400},
                               std::int64_t{1735689599}, std::int64_t{4102444800}})
            REQUIRE(parse_http_date(format_http_date(t)) == t);
    }
    SECTION("two-digit years pivot at 70") {
        REQUIRE(parse_http_date("Thursday, 01-Jan-70 00:00:00 GMT") == 0);
        REQUIRE(parse_http_date("Saturday, 01-Jan-00 00:00:00 GMT") == 946684800);
    }
    SECTION("malformed dates") {
        for (const char* bad : {"", "yesterday", "Sun, 06 Nov 1994 08:49:37",
                                "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
                                "Sun, 06 nov 1994 08:49:37 GMT", "Sun, 31 Feb 1994 08:49:37 GMT",
                                "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT",
                                "Sun, 06 Nov 94 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT",
                                "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT",
                                "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun, 06-Nov-94 08:49:37 GMT",
                                "Sun Nov  6 08:49:37 94", "Sun Nov    8:49:37 1994",
                                "Sun, 0x Nov 1994 08:49:37 GMT", "Sun, -6 Nov 1994 08:49:37 GMT"})
            REQUIRE_FALSE(parse_http_date(bad));
    }
}

TEST_CASE("If-Match", "[conditional]") {
    SECTION("matching tag in a list") {
        REQUIRE(eval({{"If-Match", "\"v1\", \"v2\""}}, "PUT") == precondition::proceed);
        REQUIRE(eval({{"If-Match", "\"v1\""}, {"If-Match", "\"v2\""}}, "PUT") ==
                precondition::proceed);
    }
    SECTION("no match") {
        REQUIRE(eval({{"If-Match", "\"v1\", \"v3\""}}, "PUT") == precondition::precondition_failed);
    }
    SECTION("star matches the current representation") {
        REQUIRE(eval({{"If-Match", "*"}}, "DELETE") == precondition::proceed);
    }
    SECTION("a weak tag never matches strongly") {
        REQUIRE(eval({{"If-Match", "W/\"v2\""}}, "PUT") == precondition::precondition_failed);
    }
    SECTION("commas inside a tag") {
        validators v{"\"a,b\"", t1994};
        REQUIRE(evaluate_preconditions(headers({{"If-Match", "\"x\", \"a,b\""}}), "PUT", v) ==
                precondition::proceed);
    }
    SECTION("a malformed list fails") {
        REQUIRE(eval({{"If-Match", "v2"}}, "PUT") == precondition::precondition_failed);
        REQUIRE(eval({{"If-Match", "\"v2"}}, "PUT") == precondition::precondition_failed);
        REQUIRE(eval({{"If-Match", "\"v2\" \"v3\""}}, "PUT") == precondition::precondition_failed);
    }
    SECTION("If-Unmodified-Since is ignored when If-Match is present") {
        REQUIRE(
            eval({{"If-Match", "\"v2\""}, {"If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"}},
                 "PUT") == precondition::proceed);
    }
}

TEST_CASE("If-Unmodified-Since", "[conditional]") {
    SECTION("unmodified since") {
        REQUIRE(eval({{"If-Unmodified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}, "PUT") ==
                precondition::proceed);
    }
    SECTION("modified since") {
        REQUIRE(eval({{"If-Unmodified-Since", "Sun, 06 Nov 1994 08:49:36 GMT"}}, "PUT") ==
                precondition::precondition_failed);
    }
    SECTION("an invalid date is ignored") {
        REQUIRE(eval({{"If-Unmodified-Since", "a while ago"}}, "PUT") == precondition::proceed);
    }
}

TEST_CASE("If-None-Match", "[conditional]") {
    SECTION("GET and HEAD get 304") {
        REQUIRE(eval({{"If-None-Match", "\"v2\""}}) == precondition::not_modified);
        REQUIRE(eval({{"If-None-Match", "\"v1\", \"v2\""}}, "HEAD") == precondition::not_modified);
    }
    SECTION("weak comparison") {
        REQUIRE(eval({{"If-None-Match", "W/\"v2\""}}) == precondition::not_modified);
    }
    SECTION("star") {
        REQUIRE(eval({{"If-None-Match", "*"}}) == precondition::not_modified);
    }
    SECTION("no match proceeds") {
        REQUIRE(eval({{"If-None-Match", "\"v1\""}}) == precondition::proceed);
        REQUIRE(eval({{"If-None-Match", "garbage"}}) == precondition::proceed);
    }
    SECTION("other methods get 412") {
        for (const char* method : {"PUT", "PATCH", "DELETE", "POST"})
            REQUIRE(eval({{"If-None-Match", "*"}}, method) == precondition::precondition_failed);
        REQUIRE(eval({{"If-None-Match", "\"v1\""}}, "PUT") == precondition::proceed);
    }
    SECTION("If-Modified-Since is ignored when If-None-Match is present") {
        REQUIRE(eval({{"If-None-Match", "\"v1\""},
                      {"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}) ==
                precondition::proceed);
    }
    SECTION("If-Match is evaluated first") {
        REQUIRE(eval({{"If-Match", "\"v1\""}, {"If-None-Match", "\"v2\""}}) ==
                precondition::precondition_failed);
    }
}

TEST_CASE("If-Modified-Since", "[conditional]") {
    SECTION("not modified") {
        REQUIRE(eval({{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}) ==
                precondition::not_modified);
        REQUIRE(eval({{"If-Modified-Since", "Sun Nov  6 08:49:38 1994"}}, "HEAD") ==
                precondition::not_modified);
    }
    SECTION("modified") {
        REQUIRE(eval({{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:36 GMT"}}) ==
                precondition::proceed);
    }
    SECTION("only for GET and HEAD") {
        REQUIRE(eval({{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}, "PUT") ==
                precondition::proceed);
    }
    SECTION("invalid or repeated dates are ignored") {
        REQUIRE(eval({{"If-Modified-Since", "06/11/1994"}}) == precondition::proceed);
        REQUIRE(eval({{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"},
                      {"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}) ==
                precondition::proceed);
    }
    SECTION("no conditional headers") {
        REQUIRE(eval({}) == precondition::proceed);
    }
}

TEST_CASE("If-Range", "[conditional]") {
    auto allows = [](const char* value) {
        return if_range_allows(headers({{"If-Range", value}}), current);
    };
    SECTION("absent") {
        REQUIRE(if_range_allows(header_list{}, current));
    }
    SECTION("entity-tag") {
        REQUIRE(allows("\"v2\""));
        REQUIRE_FALSE(allows("\"v1\""));
        REQUIRE_FALSE(allows("W/\"v2\""));
        REQUIRE_FALSE(allows("\"v2"));
    }
    SECTION("a weak current tag never matches") {
        validators weak{"W/\"v2\"", t1994};
        REQUIRE_FALSE(if_range_allows(headers({{"If-Range", "\"v2\""}}), weak));
    }
    SECTION("date must match exactly") {
        REQUIRE(allows("Sun, 06 Nov 1994 08:49:37 GMT"));
        REQUIRE_FALSE(allows("Sun, 06 Nov 1994 08:49:38 GMT"));
        REQUIRE_FALSE(allows("Sun, 06 Nov 1994 08:49:36 GMT"));
    }
    SECTION("garbage") {
        REQUIRE_FALSE(allows("soon"));
    }
}

TEST_CASE("revision entity-tags name the revision, with or without a digest", "[conditional]") {
    using kho::api::revision_of_etag;
    CHECK(revision_of_etag("\"r7\"") == 7u);
    CHECK(revision_of_etag("\"r12-0123456789abcdef\"") == 12u);
    for (const char* bad : {"r7", "\"7\"", "\"r\"", "\"rx\"", "\"r7x\"", "W/\"r7\"", "\"r-1\"", ""})
        CHECK_FALSE(revision_of_etag(bad).has_value());
}
