#include "api/tus_headers.hpp"

#include <algorithm>
#include <charconv>

namespace kho::api {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

result<std::uint64_t> parse_tus_u64(std::string_view name, std::string_view value) {
    std::uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || value.size() > 19 || ec != std::errc() ||
        ptr != value.data() + value.size())
        return make_error(errc::bad_request, std::string(name) + " must be a non-negative integer");
    return n;
}

result<std::vector<std::pair<std::string, std::string>>> parse_upload_metadata(
    std::string_view value) {
    std::vector<std::pair<std::string, std::string>> out;
    if (trim(value).empty()) return out;
    size_t pos = 0;
    while (pos <= value.size()) {
        auto comma = value.find(',', pos);
        if (comma == std::string_view::npos) comma = value.size();
        auto item = trim(value.substr(pos, comma - pos));
        pos = comma + 1;
        auto space = item.find(' ');
        auto key = item.substr(0, space);
        if (key.empty()) return make_error(errc::bad_request, "Upload-Metadata has an empty key");
        for (char c : key)
            if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
                return make_error(errc::bad_request, "Upload-Metadata keys must be ASCII");
        std::string decoded;
        if (space != std::string_view::npos) {
            auto v = decode_base64(trim(item.substr(space + 1)));
            if (!v)
                return make_error(errc::bad_request, "Upload-Metadata value of " +
                                                         std::string(key) + " is not valid base64");
            decoded = std::move(*v);
        }
        if (std::any_of(out.begin(), out.end(), [&](const auto& p) { return p.first == key; }))
            return make_error(errc::bad_request,
                              "Upload-Metadata repeats the key " + std::string(key));
        out.emplace_back(std::string(key), std::move(decoded));
        if (comma == value.size()) break;
    }
    return out;
}

result<upload_checksum> parse_upload_checksum(std::string_view value) {
    value = trim(value);
    auto space = value.find(' ');
    if (space == std::string_view::npos)
        return make_error(errc::bad_request, "Upload-Checksum must be \"<algorithm> <base64>\"");
    upload_checksum c;
    c.algorithm = std::string(value.substr(0, space));
    size_t expected = c.algorithm == "sha256" ? 32
                      : c.algorithm == "sha1" ? 20
                      : c.algorithm == "md5"  ? 16
                                              : 0;
    if (expected == 0)
        return make_error(errc::bad_request,
                          "Upload-Checksum algorithm must be sha256, sha1 or md5");
    auto digest = decode_base64(trim(value.substr(space + 1)));
    if (!digest || digest->size() != expected)
        return make_error(errc::bad_request,
                          "Upload-Checksum digest is not a base64 " + c.algorithm + " digest");
    c.digest = std::move(*digest);
    return c;
}

result<upload_concat> parse_upload_concat(std::string_view value) {
    value = trim(value);
    upload_concat c;
    if (value == "partial") {
        c.partial = true;
        return c;
    }
    if (!value.starts_with("final;"))
        return make_error(errc::bad_request,
                          "Upload-Concat must be \"partial\" or \"final;<urls>\"");
    value.remove_prefix(6);
    size_t pos = 0;
    while (pos < value.size()) {
        auto space = value.find(' ', pos);
        if (space == std::string_view::npos) space = value.size();
        auto url = value.substr(pos, space - pos);
        pos = space + 1;
        if (url.empty()) continue;
        constexpr std::string_view prefix = "/api/v1/uploads/";
        auto at = url.rfind(prefix);
        if (at == std::string_view::npos || url.size() - at - prefix.size() != 26)
            return make_error(
                errc::bad_request,
                "Upload-Concat names something that is not an upload: " + std::string(url));
        c.part_ids.emplace_back(url.substr(at + prefix.size()));
    }
    if (c.part_ids.empty())
        return make_error(errc::bad_request, "Upload-Concat final names no uploads");
    return c;
}

}  // namespace kho::api
