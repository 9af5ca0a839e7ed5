#include "storage/sigv4.hpp"

#include "core/sha256.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>

namespace kho::storage {
namespace {

std::string hmac(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hex(std::string_view bytes) {
    return to_hex(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

std::string sigv4_encode(std::string_view s, bool keep_slash) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size() * 3);
    for (unsigned char c : s) {
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/');
        if (plain) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += digits[c >> 4];
            out += digits[c & 0xf];
        }
    }
    return out;
}

std::string amz_date(std::int64_t unix_seconds) {
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

std::string presign_url(const sigv4_credentials& c, const presign_request& r) {
    const std::string date_time = amz_date(r.now);
    const std::string date = date_time.substr(0, 8);
    const std::string scope = date + "/" + c.region + "/" + c.service + "/aws4_request";

    std::vector<std::pair<std::string, std::string>> params;
    params.reserve(r.query.size() + 5);
    for (const auto& [k, v] : r.query) params.emplace_back(sigv4_encode(k), sigv4_encode(v));
    params.emplace_back("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
    params.emplace_back("X-Amz-Credential", sigv4_encode(c.access_key + "/" + scope));
    params.emplace_back("X-Amz-Date", date_time);
    params.emplace_back("X-Amz-Expires", std::to_string(r.expires));
    params.emplace_back("X-Amz-SignedHeaders", "host");
    // Sorted by encoded name, then value (the canonical query string).
    std::sort(params.begin(), params.end());
    std::string query;
    for (const auto& [k, v] : params) {
        if (!query.empty()) query += '&';
        query += k;
        query += '=';
        query += v;
    }

    const std::string path = sigv4_encode(r.path.empty() ? "/" : r.path, true);
    const std::string canonical = r.method + "\n" + path + "\n" + query + "\n" + "host:" + r.host +
                                  "\n\nhost\nUNSIGNED-PAYLOAD";
    const std::string to_sign =
        "AWS4-HMAC-SHA256\n" + date_time + "\n" + scope + "\n" + sha256::hex_of(canonical);

    std::string key = hmac("AWS4" + c.secret_key, date);
    key = hmac(key, c.region);
    key = hmac(key, c.service);
    key = hmac(key, "aws4_request");
    const std::string signature = hex(hmac(key, to_sign));

    return r.scheme + "://" + r.host + path + "?" + query + "&X-Amz-Signature=" + signature;
}

}  // namespace kho::storage
