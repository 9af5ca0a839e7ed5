// The tus 1.0 request headers (api/tus_headers.hpp) and what an upload's
// Upload-Metadata turns into (api/metadata_fields.hpp build_metadata, as
// uploads_handler's read_metadata calls it). Properties: every accepted
// value round-trips through its canonical spelling to the same result, and
// every result keeps the header's documented shape; validated metadata is
// valid UTF-8, within its limits, and validating it again changes nothing.
//
// Input: one header value; all four parsers read it.

#include "api/metadata_fields.hpp"
#include "api/tus_headers.hpp"
#include "core/base64.hpp"
#include "core/file_name.hpp"
#include "fuzz/fuzz_support.hpp"
#include "fuzz/metadata_checks.hpp"

#include <set>

namespace api = kho::api;

namespace {

void check_u64(std::string_view value) {
    auto n = api::parse_tus_u64("Upload-Length", value);
    const bool digits = !value.empty() && value.size() <= 19 &&
                        value.find_first_not_of("0123456789") == std::string_view::npos;
    KHO_FUZZ_CHECK(n.has_value() == digits);
    if (!n) {
        KHO_FUZZ_CHECK(n.error().code == kho::errc::bad_request);
        return;
    }
    auto canonical = value.substr(std::min(value.find_first_not_of('0'), value.size() - 1));
    KHO_FUZZ_CHECK(std::to_string(*n) == canonical);
}

void check_checksum(std::string_view value) {
    auto c = api::parse_upload_checksum(value);
    if (!c) {
        KHO_FUZZ_CHECK(c.error().code == kho::errc::bad_request);
        return;
    }
    const std::size_t want = c->algorithm == "sha256" ? 32
                             : c->algorithm == "sha1" ? 20
                             : c->algorithm == "md5"  ? 16
                                                      : 0;
    KHO_FUZZ_CHECK(want != 0 && c->digest.size() == want);
    auto again = api::parse_upload_checksum(c->algorithm + " " + kho::encode_base64(c->digest));
    KHO_FUZZ_CHECK(again && again->algorithm == c->algorithm && again->digest == c->digest);
}

void check_concat(std::string_view value) {
    auto c = api::parse_upload_concat(value);
    if (!c) {
        KHO_FUZZ_CHECK(c.error().code == kho::errc::bad_request);
        return;
    }
    if (c->partial) {
        KHO_FUZZ_CHECK(c->part_ids.empty());
        return;
    }
    KHO_FUZZ_CHECK(!c->part_ids.empty());
    std::string canonical = "final;";
    for (const auto& id : c->part_ids) {
        // An id is what follows the last "/api/v1/uploads/"; load() parses
        // it as a ULID before anything touches storage.
        KHO_FUZZ_CHECK(id.size() == 26 && id.find(' ') == std::string::npos);
        canonical += "/api/v1/uploads/" + id + " ";
    }
    auto again = api::parse_upload_concat(canonical);
    KHO_FUZZ_CHECK(again && !again->partial && again->part_ids == c->part_ids);
}

// What uploads_handler.cpp read_metadata does with the pairs.
void check_metadata_fields(const std::vector<std::pair<std::string, std::string>>& pairs) {
    api::metadata_fields fields;
    std::string file_name = "file";
    for (const auto& [key, value] : pairs) {
        if (key == "filename" || key == "name") {
            file_name = kho::sanitize_file_name(value);
        } else if (auto r = fields.add(key, value); !r) {
            KHO_FUZZ_CHECK(r.error().code == kho::errc::invalid_parameter);
            return;
        }
    }
    auto m = api::build_metadata(fields, file_name,
                                 api::sniffed_type{"image/png", kho::asset_kind::poster});
    if (!m) {
        KHO_FUZZ_CHECK(m.error().code == kho::errc::invalid_parameter);
        return;
    }
    kho::fuzz::check_validated_metadata(*m);
}

void check_metadata(std::string_view value) {
    auto pairs = api::parse_upload_metadata(value);
    if (!pairs) {
        KHO_FUZZ_CHECK(pairs.error().code == kho::errc::bad_request);
        return;
    }
    std::set<std::string> keys;
    std::string canonical;
    for (const auto& [key, decoded] : *pairs) {
        KHO_FUZZ_CHECK(!key.empty() && keys.insert(key).second);
        for (char ch : key) {
            auto c = static_cast<unsigned char>(ch);
            KHO_FUZZ_CHECK(c > 0x20 && c < 0x7f && c != ',');
        }
        if (!canonical.empty()) canonical += ',';
        canonical += key;
        if (!decoded.empty()) canonical += " " + kho::encode_base64(decoded);
    }
    auto again = api::parse_upload_metadata(canonical);
    KHO_FUZZ_CHECK(again && *again == *pairs);
    check_metadata_fields(*pairs);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view value(reinterpret_cast<const char*>(data), size);
    check_u64(value);
    check_checksum(value);
    check_concat(value);
    check_metadata(value);
    return 0;
}
