#include "storage/s3_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <thread>

namespace kho::storage {
namespace {

constexpr std::size_t k_max_response = 4u << 20;  // XML answers; list pages are ~250 KiB
constexpr std::uint64_t k_max_single_copy = 5ull << 30;
constexpr std::uint64_t k_copy_part = 1ull << 30;

struct curl_global {
    curl_global() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

void init_curl_once() {
    static curl_global g;
}

bool retryable_status(long code) {
    return code == 500 || code == 502 || code == 503 || code == 504 || code == 408 || code == 429;
}

std::string xml_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '&') {
            out += s[i];
            continue;
        }
        auto semi = s.find(';', i);
        if (semi == std::string_view::npos) {
            out += s[i];
            continue;
        }
        auto ent = s.substr(i + 1, semi - i - 1);
        if (ent == "amp") out += '&';
        else if (ent == "lt") out += '<';
        else if (ent == "gt") out += '>';
        else if (ent == "quot") out += '"';
        else if (ent == "apos") out += '\'';
        else {
            out.append(s.substr(i, semi - i + 1));
        }
        i = semi;
    }
    return out;
}

// The inner text of every <tag>…</tag> in `body`, in order (S3's XML is flat
// enough for this; nested blocks are taken apart with blocks()).
std::vector<std::string_view> blocks(std::string_view body, std::string_view tag) {
    std::vector<std::string_view> out;
    std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
    for (std::size_t at = 0;;) {
        auto b = body.find(open, at);
        if (b == std::string_view::npos) break;
        b += open.size();
        auto e = body.find(close, b);
        if (e == std::string_view::npos) break;
        out.push_back(body.substr(b, e - b));
        at = e + close.size();
    }
    return out;
}

std::string first(std::string_view body, std::string_view tag) {
    auto all = blocks(body, tag);
    return all.empty() ? std::string() : xml_decode(all.front());
}

std::uint64_t to_u64(std::string_view s) {
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') break;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
}

}  // namespace

result<void> validate(const s3_config& c) {
    if (!(c.endpoint.starts_with("http://") || c.endpoint.starts_with("https://")))
        return make_error(errc::invalid_parameter,
                          "the S3 endpoint must be an http:// or https:// URL");
    auto host = c.endpoint.substr(c.endpoint.find("//") + 2);
    if (host.empty() || host.find_first_of("/?#@ ") != std::string::npos)
        return make_error(errc::invalid_parameter,
                          "the S3 endpoint must be scheme://host[:port] with no path");
    if (c.bucket.size() < 3 || c.bucket.size() > 63 ||
        c.bucket.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string::npos ||
        c.bucket.front() == '-' || c.bucket.front() == '.' || c.bucket.back() == '-' ||
        c.bucket.back() == '.')
        return make_error(errc::invalid_parameter,
                          "the S3 bucket name must be 3-63 characters of a-z, 0-9, '.' and '-'");
    if (c.access_key.empty() || c.secret_key.empty())
        return make_error(errc::invalid_parameter,
                          "the S3 access key and secret key are required (--s3-credentials-file "
                          "or KHO_S3_ACCESS_KEY and KHO_S3_SECRET_KEY)");
    if (c.region.empty()) return make_error(errc::invalid_parameter, "the S3 region is empty");
    if (c.part_size < (5ull << 20) || c.part_size > (5ull << 30))
        return make_error(errc::invalid_parameter,
                          "the S3 part size must be between 5 MiB and 5 GiB");
    if (c.max_connections == 0)
        return make_error(errc::invalid_parameter, "the S3 connection limit must be at least 1");
    return ok();
}

struct s3_client::exchange {
    std::string method = "GET";
    std::string key;
    std::string query;  // encoded and sorted
    std::vector<std::string> headers;
    // The request body: `body_size` bytes from `body` (restartable: read at offsets).
    std::uint64_t body_size = 0;
    const reader* body = nullptr;
    std::string_view body_bytes;  // or these bytes
    // The answer.
    long status = 0;
    std::string response;  // capped at k_max_response
    std::string etag;
    std::optional<std::uint64_t> content_length;
    // Internal: where the upload callback is.
    std::uint64_t sent = 0;
    bool read_failed = false;
};

void share_lock(void*, int data, int, void* user) {
    auto* self = static_cast<s3_client*>(user);
    self->share_locks_[static_cast<unsigned>(data) % 8].lock();
}

void share_unlock(void*, int data, void* user) {
    auto* self = static_cast<s3_client*>(user);
    self->share_locks_[static_cast<unsigned>(data) % 8].unlock();
}

s3_client::s3_client(s3_config config) : config_(std::move(config)) {
    init_curl_once();
    CURLSH* share = curl_share_init();
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, +[](CURL* h, curl_lock_data d, curl_lock_access a, void* u) {
        share_lock(h, static_cast<int>(d), static_cast<int>(a), u);
    });
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, +[](CURL* h, curl_lock_data d, void* u) {
        share_unlock(h, static_cast<int>(d), u);
    });
    curl_share_setopt(share, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    share_ = share;
    auto at = config_.endpoint.find("://");
    scheme_ = config_.endpoint.substr(0, at);
    host_ = config_.endpoint.substr(at + 3);
    while (!host_.empty() && host_.back() == '/') host_.pop_back();
}

s3_client::~s3_client() {
    for (void* h : idle_handles_) curl_easy_cleanup(static_cast<CURL*>(h));
    curl_share_cleanup(static_cast<CURLSH*>(share_));
}

std::string s3_client::url(const std::string& key, const std::string& query) const {
    std::string u = scheme_ + "://";
    if (config_.path_style) {
        u += host_ + "/" + config_.bucket;
    } else {
        u += config_.bucket + "." + host_;
    }
    if (!key.empty()) u += "/" + sigv4_encode(key, true);
    else if (!config_.path_style) u += "/";
    if (!query.empty()) u += "?" + query;
    return u;
}

void s3_client::acquire_slot() {
    std::unique_lock lock(mutex_);
    slot_free_.wait(lock, [&] { return in_use_ < config_.max_connections; });
    ++in_use_;
}

void s3_client::release_slot() {
    {
        std::lock_guard lock(mutex_);
        --in_use_;
    }
    slot_free_.notify_one();
}

void* s3_client::take_handle() {
    {
        std::lock_guard lock(mutex_);
        if (!idle_handles_.empty()) {
            void* h = idle_handles_.back();
            idle_handles_.pop_back();
            return h;
        }
    }
    return curl_easy_init();
}

void s3_client::return_handle(void* h) {
    std::lock_guard lock(mutex_);
    idle_handles_.push_back(h);
}

namespace {

size_t on_body(char* data, size_t size, size_t n, void* user) {
    auto* x = static_cast<s3_client::exchange*>(user);
    size_t bytes = size * n;
    if (x->response.size() < k_max_response)
        x->response.append(data, std::min(bytes, k_max_response - x->response.size()));
    return bytes;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
    auto* x = static_cast<s3_client::exchange*>(user);
    std::string_view line(data, size * n);
    auto colon = line.find(':');
    if (colon != std::string_view::npos) {
        auto name = line.substr(0, colon);
        auto value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
            value.remove_suffix(1);
        auto is = [&](std::string_view want) {
            return name.size() == want.size() &&
                   std::equal(name.begin(), name.end(), want.begin(), [](char a, char b) {
                       return std::tolower(static_cast<unsigned char>(a)) == b;
                   });
        };
        if (is("etag")) x->etag = std::string(value);
        if (is("content-length")) x->content_length = to_u64(value);
    }
    return size * n;
}

size_t on_upload(char* buffer, size_t size, size_t n, void* user) {
    auto* x = static_cast<s3_client::exchange*>(user);
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(size * n, x->body_size - x->sent));
    if (want == 0) return 0;
    if (x->body) {
        if (!(*x->body)(x->sent, buffer, want)) {
            x->read_failed = true;
            return CURL_READFUNC_ABORT;
        }
    } else {
        std::memcpy(buffer, x->body_bytes.data() + x->sent, want);
    }
    x->sent += want;
    return want;
}

// Common options: signing, timeouts, no signals, the shared connections.
void set_common(CURL* h, const s3_config& c, curl_slist* headers, void* share) {
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_SHARE, static_cast<CURLSH*>(share));
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, ("aws:amz:" + c.region + ":s3").c_str());
    curl_easy_setopt(h, CURLOPT_USERNAME, c.access_key.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, c.secret_key.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(c.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(c.stall_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    // A large PUT makes libcurl send "Expect: 100-continue" (an empty
    // "Expect:" header would remove it, but libcurl 7.88 then signs the
    // empty header it does not send); waiting for the 100 costs a round
    // trip only.
    curl_easy_setopt(h, CURLOPT_EXPECT_100_TIMEOUT_MS, 1000L);
}

curl_slist* header_list(const std::vector<std::string>& extra) {
    curl_slist* list = nullptr;
    // RGW wants the payload hash header on every request; libcurl signs it
    // but does not add it. Bodies are not hashed twice: TLS protects them
    // in transit, and kho hashes every byte itself.
    list = curl_slist_append(list, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    for (const auto& h : extra) list = curl_slist_append(list, h.c_str());
    return list;
}

}  // namespace

result<long> s3_client::perform(exchange& x) {
    acquire_slot();
    CURL* h = static_cast<CURL*>(take_handle());
    struct release {
        s3_client& c;
        CURL* h;
        ~release() {
            c.return_handle(h);
            c.release_slot();
        }
    } guard{*this, h};
    if (!h) return make_error(errc::internal, "cannot create a libcurl handle");

    curl_slist* headers = header_list(x.headers);
    struct free_list {
        curl_slist* l;
        ~free_list() { curl_slist_free_all(l); }
    } free_headers{headers};
    const std::string target = url(x.key, x.query);
    std::string last_error;
    for (unsigned attempt = 0; attempt <= config_.retries; ++attempt) {
        if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100) * (1u << (attempt - 1)));
        curl_easy_reset(h);
        set_common(h, config_, headers, share_);
        curl_easy_setopt(h, CURLOPT_URL, target.c_str());
        x.response.clear();
        x.etag.clear();
        x.content_length.reset();
        x.sent = 0;
        x.read_failed = false;
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
        if (x.method == "HEAD") {
            curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        } else if (x.method == "PUT") {
            curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(x.body_size));
            curl_easy_setopt(h, CURLOPT_READFUNCTION, on_upload);
            curl_easy_setopt(h, CURLOPT_READDATA, &x);
        } else if (x.method == "POST") {
            curl_easy_setopt(h, CURLOPT_POST, 1L);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(x.body_size));
            curl_easy_setopt(h, CURLOPT_READFUNCTION, on_upload);
            curl_easy_setopt(h, CURLOPT_READDATA, &x);
        } else if (x.method != "GET") {
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, x.method.c_str());
        }
        CURLcode rc = curl_easy_perform(h);
        if (x.read_failed) return make_error(errc::internal, "reading the local file to upload failed");
        if (rc != CURLE_OK) {
            last_error = curl_easy_strerror(rc);
            continue;
        }
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x.status);
        if (retryable_status(x.status)) {
            last_error = "HTTP " + std::to_string(x.status);
            continue;
        }
        return x.status;
    }
    return make_error(errc::unavailable, "the object store at " + config_.endpoint +
                                             " is unreachable (" + last_error + ")");
}

namespace {

error refusal(const s3_client::exchange& x, std::string_view what) {
    if (x.status == 404) return make_error(errc::not_found, std::string(what) + ": no such object");
    auto code = first(x.response, "Code");
    return make_error(errc::internal, std::string(what) + " was refused by the object store (HTTP " +
                                          std::to_string(x.status) +
                                          (code.empty() ? "" : ", " + code) + ")");
}

bool ok_status(long s) {
    return s >= 200 && s < 300;
}

}  // namespace

result<void> s3_client::ensure_bucket() {
    exchange x;
    x.method = "HEAD";
    auto s = perform(x);
    if (!s) return s.error();
    if (ok_status(*s)) return ok();
    if (*s != 404) return refusal(x, "checking bucket " + config_.bucket);
    exchange c;
    c.method = "PUT";
    auto made = perform(c);
    if (!made) return made.error();
    if (ok_status(*made) || first(c.response, "Code") == "BucketAlreadyOwnedByYou") return ok();
    return refusal(c, "creating bucket " + config_.bucket);
}

result<std::optional<std::uint64_t>> s3_client::head(const std::string& key) {
    exchange x;
    x.method = "HEAD";
    x.key = key;
    auto s = perform(x);
    if (!s) return s.error();
    if (*s == 404) return std::optional<std::uint64_t>{};
    if (!ok_status(*s)) return refusal(x, "HEAD " + key);
    return std::optional<std::uint64_t>{x.content_length.value_or(0)};
}

result<void> s3_client::remove(const std::string& key) {
    exchange x;
    x.method = "DELETE";
    x.key = key;
    auto s = perform(x);
    if (!s) return s.error();
    if (ok_status(*s) || *s == 404) return ok();
    return refusal(x, "DELETE " + key);
}

result<std::string> s3_client::create_multipart(const std::string& key) {
    exchange x;
    x.method = "POST";
    x.key = key;
    x.query = "uploads=";
    auto s = perform(x);
    if (!s) return s.error();
    if (!ok_status(*s)) return refusal(x, "starting a multipart upload of " + key);
    auto id = first(x.response, "UploadId");
    if (id.empty()) return make_error(errc::internal, "the object store sent no UploadId");
    return id;
}

result<std::string> s3_client::upload_part(const std::string& key, const std::string& upload_id,
                                           int part_number, std::string_view bytes) {
    exchange x;
    x.method = "PUT";
    x.key = key;
    x.query = "partNumber=" + std::to_string(part_number) + "&uploadId=" + sigv4_encode(upload_id);
    x.body_bytes = bytes;
    x.body_size = bytes.size();
    auto s = perform(x);
    if (!s) return s.error();
    if (!ok_status(*s)) return refusal(x, "uploading part " + std::to_string(part_number));
    if (x.etag.empty()) return make_error(errc::internal, "the object store sent no part ETag");
    return x.etag;
}

result<void> s3_client::complete_multipart(const std::string& key, const std::string& upload_id,
                                           const std::vector<std::string>& etags) {
    std::string body = "<CompleteMultipartUpload>";
    for (std::size_t i = 0; i < etags.size(); ++i)
        body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etags[i] +
                "</ETag></Part>";
    body += "</CompleteMultipartUpload>";
    exchange x;
    x.method = "POST";
    x.key = key;
    x.query = "uploadId=" + sigv4_encode(upload_id);
    x.headers.push_back("Content-Type: application/xml");
    x.body_bytes = body;
    x.body_size = body.size();
    auto s = perform(x);
    if (!s) return s.error();
    // S3 may answer 200 and report the failure in the body.
    if (!ok_status(*s) || x.response.find("<Error>") != std::string::npos)
        return refusal(x, "completing the multipart upload of " + key);
    return ok();
}

result<void> s3_client::abort_multipart(const std::string& key, const std::string& upload_id) {
    exchange x;
    x.method = "DELETE";
    x.key = key;
    x.query = "uploadId=" + sigv4_encode(upload_id);
    auto s = perform(x);
    if (!s) return s.error();
    if (ok_status(*s) || *s == 404) return ok();
    return refusal(x, "aborting the multipart upload of " + key);
}

result<std::vector<s3_multipart>> s3_client::list_multipart(const std::string& prefix) {
    std::vector<s3_multipart> out;
    std::string key_marker, id_marker;
    for (;;) {
        exchange x;
        // Parameters in canonical (sorted) order, as SigV4 signs them.
        std::string q;
        if (!key_marker.empty()) q += "key-marker=" + sigv4_encode(key_marker) + "&";
        q += "prefix=" + sigv4_encode(prefix);
        if (!id_marker.empty()) q += "&upload-id-marker=" + sigv4_encode(id_marker);
        q += "&uploads=";
        x.query = q;
        auto s = perform(x);
        if (!s) return s.error();
        if (!ok_status(*s)) return refusal(x, "listing multipart uploads");
        for (auto u : blocks(x.response, "Upload"))
            out.push_back({first(u, "Key"), first(u, "UploadId"), first(u, "Initiated")});
        if (first(x.response, "IsTruncated") != "true") break;
        key_marker = first(x.response, "NextKeyMarker");
        id_marker = first(x.response, "NextUploadIdMarker");
        if (key_marker.empty() && id_marker.empty()) break;
    }
    return out;
}

result<void> s3_client::list(const std::string& prefix,
                             const std::function<void(const s3_object&)>& fn) {
    std::string token;
    for (;;) {
        exchange x;
        std::string q;
        if (!token.empty()) q += "continuation-token=" + sigv4_encode(token) + "&";
        q += "list-type=2&prefix=" + sigv4_encode(prefix);
        x.query = q;
        auto s = perform(x);
        if (!s) return s.error();
        if (!ok_status(*s)) return refusal(x, "listing objects");
        for (auto c : blocks(x.response, "Contents"))
            fn(s3_object{first(c, "Key"), to_u64(first(c, "Size"))});
        if (first(x.response, "IsTruncated") != "true") break;
        token = first(x.response, "NextContinuationToken");
        if (token.empty()) break;
    }
    return ok();
}

result<void> s3_client::put(const std::string& key, std::uint64_t size, const reader& read_at) {
    if (size <= config_.part_size) {
        exchange x;
        x.method = "PUT";
        x.key = key;
        x.body = &read_at;
        x.body_size = size;
        auto s = perform(x);
        if (!s) return s.error();
        if (!ok_status(*s)) return refusal(x, "PUT " + key);
        return ok();
    }
    auto id = create_multipart(key);
    if (!id) return id.error();
    std::vector<std::string> etags;
    std::string part;
    for (std::uint64_t at = 0; at < size; at += config_.part_size) {
        auto n = static_cast<std::size_t>(std::min<std::uint64_t>(config_.part_size, size - at));
        part.resize(n);
        auto filled = read_at(at, part.data(), n);
        auto etag = filled ? upload_part(key, *id, static_cast<int>(etags.size() + 1), part)
                           : result<std::string>(filled.error());
        if (!etag) {
            (void)abort_multipart(key, *id);
            return etag.error();
        }
        etags.push_back(std::move(*etag));
    }
    if (auto done = complete_multipart(key, *id, etags); !done) {
        (void)abort_multipart(key, *id);
        return done.error();
    }
    return ok();
}

result<void> s3_client::copy(const std::string& from, const std::string& to, std::uint64_t size) {
    const std::string source = "x-amz-copy-source: /" + config_.bucket + "/" + sigv4_encode(from, true);
    if (size <= k_max_single_copy) {
        exchange x;
        x.method = "PUT";
        x.key = to;
        x.headers.push_back(source);
        auto s = perform(x);
        if (!s) return s.error();
        if (!ok_status(*s) || x.response.find("<Error>") != std::string::npos)
            return refusal(x, "copying " + from);
        return ok();
    }
    auto id = create_multipart(to);
    if (!id) return id.error();
    std::vector<std::string> etags;
    for (std::uint64_t at = 0; at < size; at += k_copy_part) {
        auto last = std::min(size, at + k_copy_part) - 1;
        exchange x;
        x.method = "PUT";
        x.key = to;
        x.query = "partNumber=" + std::to_string(etags.size() + 1) + "&uploadId=" + sigv4_encode(*id);
        x.headers.push_back(source);
        x.headers.push_back("x-amz-copy-source-range: bytes=" + std::to_string(at) + "-" +
                            std::to_string(last));
        auto s = perform(x);
        std::string etag = s && ok_status(*s) ? first(x.response, "ETag") : std::string();
        if (etag.empty()) {
            (void)abort_multipart(to, *id);
            if (!s) return s.error();
            return refusal(x, "copying part of " + from);
        }
        etags.push_back(etag);
    }
    if (auto done = complete_multipart(to, *id, etags); !done) {
        (void)abort_multipart(to, *id);
        return done.error();
    }
    return ok();
}

std::string s3_client::presign_get(const std::string& key, std::uint32_t expires_in,
                                   const std::vector<std::pair<std::string, std::string>>& params,
                                   std::int64_t now) const {
    sigv4_credentials cred{config_.access_key, config_.secret_key, config_.region, "s3"};
    presign_request r;
    r.scheme = scheme_;
    if (config_.path_style) {
        r.host = host_;
        r.path = "/" + config_.bucket + "/" + key;
    } else {
        r.host = config_.bucket + "." + host_;
        r.path = "/" + key;
    }
    r.query = params;
    r.now = now;
    r.expires = expires_in;
    return presign_url(cred, r);
}

// ---------------------------------------------------------------- streaming GET

// One ranged GET driven step by step through a multi handle: read() runs
// the transfer until it has bytes for the caller, so the connection simply
// waits (TCP flow control) while the caller is busy sending. A connection
// lost part-way is re-requested from the next byte not yet received.
class s3_stream final : public byte_stream {
  public:
    s3_stream(s3_client& c, std::string key, std::uint64_t offset, std::uint64_t length)
        : client_(c), key_(std::move(key)), next_(offset), end_(offset + length),
          retries_left_(c.config().retries) {}

    ~s3_stream() override { stop(); }

    result<std::size_t> read(char* buffer, std::size_t capacity) override {
        if (capacity == 0) return std::size_t{0};
        out_ = buffer;
        out_cap_ = capacity;
        out_len_ = 0;
        if (!overflow_.empty()) {
            out_len_ = std::min(capacity, overflow_.size());
            std::memcpy(buffer, overflow_.data(), out_len_);
            overflow_.erase(0, out_len_);
            return out_len_;
        }
        while (out_len_ == 0) {
            if (next_ >= end_ && !easy_) return std::size_t{0};
            if (!easy_) {
                if (auto s = start(); !s) return s.error();
            }
            int running = 0;
            CURLMcode mc = curl_multi_perform(multi_, &running);
            if (mc != CURLM_OK) return make_error(errc::internal, curl_multi_strerror(mc));
            if (out_len_ > 0) break;
            if (running == 0) {
                if (auto s = finished(); !s) return s.error();
                continue;
            }
            curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
        }
        return out_len_;
    }

  private:
    static size_t on_data(char* data, size_t size, size_t n, void* user) {
        auto* self = static_cast<s3_stream*>(user);
        size_t bytes = size * n;
        long code = 0;
        curl_easy_getinfo(self->easy_, CURLINFO_RESPONSE_CODE, &code);
        if (code != 206 && code != 200) {  // an error document
            if (self->error_body_.size() < 4096) self->error_body_.append(data, std::min<size_t>(bytes, 4096));
            return bytes;
        }
        if (bytes > self->end_ - self->next_) return 0;  // more than asked for: fail the transfer
        self->next_ += bytes;
        size_t take = std::min(bytes, self->out_cap_ - self->out_len_);
        std::memcpy(self->out_ + self->out_len_, data, take);
        self->out_len_ += take;
        self->overflow_.append(data + take, bytes - take);
        return bytes;
    }

    result<void> start() {
        if (!multi_) multi_ = curl_multi_init();
        easy_ = curl_easy_init();
        if (!multi_ || !easy_) return make_error(errc::internal, "cannot create a libcurl handle");
        headers_ = curl_slist_append(nullptr, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
        range_ = "Range: bytes=" + std::to_string(next_) + "-" + std::to_string(end_ - 1);
        headers_ = curl_slist_append(headers_, range_.c_str());
        set_common(easy_, client_.config(), headers_, client_.share_);
        curl_easy_setopt(easy_, CURLOPT_BUFFERSIZE, 256L * 1024);
        url_ = client_.url(key_);
        curl_easy_setopt(easy_, CURLOPT_URL, url_.c_str());
        curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
        error_body_.clear();
        curl_multi_add_handle(multi_, easy_);
        return ok();
    }

    // The transfer ended: done, or retried from the next byte, or failed.
    result<void> finished() {
        CURLcode rc = CURLE_OK;
        int left = 0;
        while (CURLMsg* m = curl_multi_info_read(multi_, &left))
            if (m->msg == CURLMSG_DONE) rc = m->data.result;
        long code = 0;
        curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &code);
        stop_easy();
        if (rc == CURLE_OK && (code == 206 || code == 200) && next_ == end_) return ok();
        std::string why = rc != CURLE_OK ? curl_easy_strerror(rc) : "HTTP " + std::to_string(code);
        if (code == 404) return make_error(errc::not_found, "object " + key_ + " is missing");
        bool retry = rc != CURLE_OK || retryable_status(code) || ((code == 206 || code == 200) && next_ < end_);
        if (!retry || retries_left_ == 0) {
            auto s3_code = first(error_body_, "Code");
            return make_error(errc::unavailable, "reading from the object store failed (" + why +
                                                     (s3_code.empty() ? "" : ", " + s3_code) + ")");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100) *
                                    (1u << (client_.config().retries - retries_left_)));
        --retries_left_;
        return ok();  // read() starts again from next_
    }

    void stop_easy() {
        if (easy_) {
            curl_multi_remove_handle(multi_, easy_);
            curl_easy_cleanup(easy_);
            easy_ = nullptr;
        }
        if (headers_) {
            curl_slist_free_all(headers_);
            headers_ = nullptr;
        }
    }

    void stop() {
        stop_easy();
        if (multi_) curl_multi_cleanup(multi_);
        multi_ = nullptr;
    }

    s3_client& client_;
    std::string key_;
    std::uint64_t next_, end_;
    unsigned retries_left_;
    CURLM* multi_ = nullptr;
    CURL* easy_ = nullptr;
    curl_slist* headers_ = nullptr;
    std::string range_, url_, error_body_, overflow_;
    char* out_ = nullptr;
    std::size_t out_cap_ = 0, out_len_ = 0;
};

result<std::unique_ptr<byte_stream>> s3_client::get(const std::string& key, std::uint64_t offset,
                                                    std::uint64_t length) {
    return std::unique_ptr<byte_stream>(std::make_unique<s3_stream>(*this, key, offset, length));
}

}  // namespace kho::storage
