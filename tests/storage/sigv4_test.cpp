// Presigned URLs against AWS's published example ("Authenticating Requests:
// Using Query Parameters", Amazon S3 API reference): the same inputs must
// give the same signature, byte for byte.

#include "storage/sigv4.hpp"

#include <catch2/catch.hpp>

using namespace kho::storage;

namespace {

const sigv4_credentials aws_example{"AKIAIOSFODNN7EXAMPLE",
                                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3"};

presign_request example_request() {
    presign_request r;
    r.scheme = "https";
    r.host = "examplebucket.s3.amazonaws.com";
    r.path = "/test.txt";
    r.now = 1369353600;  // 2013-05-24T00:00:00Z
    r.expires = 86400;
    return r;
}

}  // namespace

TEST_CASE("sigv4: the AWS documentation's presigned GET gives its published signature") {
    auto url = presign_url(aws_example, example_request());
    CHECK(url ==
          "https://examplebucket.s3.amazonaws.com/test.txt"
          "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
          "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
          "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
          "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST_CASE("sigv4: every input is part of the signature") {
    auto base = presign_url(aws_example, example_request());
    auto signature = [](const std::string& url) { return url.substr(url.rfind('=') + 1); };
    auto changed = [&](auto mutate) {
        auto r = example_request();
        auto c = aws_example;
        mutate(r, c);
        return signature(presign_url(c, r));
    };
    CHECK(changed([](presign_request& r, sigv4_credentials&) { r.path = "/test.txu"; }) != signature(base));
    CHECK(changed([](presign_request& r, sigv4_credentials&) { r.expires = 86401; }) != signature(base));
    CHECK(changed([](presign_request& r, sigv4_credentials&) { r.now += 1; }) != signature(base));
    CHECK(changed([](presign_request& r, sigv4_credentials&) { r.host = "other.s3.amazonaws.com"; }) !=
          signature(base));
    CHECK(changed([](presign_request&, sigv4_credentials& c) { c.secret_key += "x"; }) != signature(base));
    CHECK(changed([](presign_request&, sigv4_credentials& c) { c.region = "ap-southeast-1"; }) !=
          signature(base));
    CHECK(changed([](presign_request& r, sigv4_credentials&) {
              r.query.emplace_back("response-content-disposition", "attachment");
          }) != signature(base));
}

TEST_CASE("sigv4: extra parameters are encoded and sorted into the canonical query") {
    auto r = example_request();
    r.query.emplace_back("response-content-type", "image/png");
    r.query.emplace_back("response-content-disposition",
                         "attachment; filename*=UTF-8''Ngh%E1%BB%8B quy\xE1\xBA\xBFt.pdf");
    auto url = presign_url(aws_example, r);
    // Sorted: X-Amz-* (upper case) before response-* (lower case), and
    // response-content-disposition before response-content-type.
    auto d = url.find("response-content-disposition=");
    auto t = url.find("response-content-type=image%2Fpng");
    auto x = url.find("X-Amz-SignedHeaders");
    REQUIRE(d != std::string::npos);
    REQUIRE(t != std::string::npos);
    CHECK(x < d);
    CHECK(d < t);
    // RFC 3986: space %20 (never '+'), '%' itself %25, UTF-8 bytes %XX upper case.
    CHECK(url.find("attachment%3B%20filename%2A%3DUTF-8%27%27Ngh%25E1%25BB%258B%20quy%E1%BA%BFt.pdf") !=
          std::string::npos);
}

TEST_CASE("sigv4: path segments keep their slashes and encode the rest") {
    CHECK(sigv4_encode("/bucket/blobs/sha256/ab/cd/x y", true) == "/bucket/blobs/sha256/ab/cd/x%20y");
    CHECK(sigv4_encode("a/b") == "a%2Fb");
    CHECK(sigv4_encode("-_.~AZaz09") == "-_.~AZaz09");
    CHECK(amz_date(0) == "19700101T000000Z");
}
