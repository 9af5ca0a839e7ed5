#include "api/usage_recording.hpp"

#include "api/app.hpp"
#include "storage/unit_store.hpp"

#include <charconv>

namespace kho::api {
namespace {

// "bytes 100-199/1000" -> {199, 1000}
std::optional<std::pair<std::uint64_t, std::uint64_t>> range_end_and_size(std::string_view cr) {
    auto dash = cr.find('-');
    auto slash = cr.find('/');
    if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash)
        return std::nullopt;
    std::uint64_t last = 0, size = 0;
    auto a = cr.substr(dash + 1, slash - dash - 1);
    auto b = cr.substr(slash + 1);
    if (std::from_chars(a.data(), a.data() + a.size(), last).ec != std::errc() ||
        std::from_chars(b.data(), b.data() + b.size(), size).ec != std::errc())
        return std::nullopt;
    return std::pair{last, size};
}

}  // namespace

void record_usage(app& a, const request& req, response& r, storage::download_subject s) {
    const bool redirected = r.status == 302 && r.redirected_size;
    if (r.status != 200 && r.status != 206 && !redirected) return;
    if (req.principal) {
        s.user = req.principal->id;
        if (const auto& unit = req.principal->actor.unit) {
            s.unit = unit->code;
            s.province = unit->province;
            s.level = std::string(to_string(unit->level));
        }
    }
    if (auto etag = r.headers.get("ETag")) s.etag = std::string(*etag);
    const std::uint64_t first = r.first_byte;
    // Where the body ends in the representation: a single range says so;
    // several ranges (multipart) never count as reaching the end.
    std::optional<std::uint64_t> end;  // one past the last byte
    if (r.status == 200) {
        s.size = r.content_length();
        end = s.size;
    } else if (auto cr = r.headers.get("Content-Range")) {
        if (auto parsed = range_end_and_size(*cr)) {
            s.size = parsed->second;
            end = parsed->first + 1;
        }
    } else if (auto ct = r.headers.get("Content-Type"); ct && ct->starts_with("multipart/")) {
        s.size = 0;  // unknown here; the event still counts
    }
    auto* usage = &a.usage;
    if (redirected) {
        // The object store sends the bytes: the download counts when its
        // URL is handed out, as the bytes the URL lets the client take.
        s.size = *r.redirected_size;
        const std::uint64_t first = r.first_byte;
        r.on_sent = [usage, s = std::move(s), first](std::uint64_t, bool) {
            usage->record(s, first, s.size - std::min(first, s.size), true);
        };
        return;
    }
    r.on_sent = [usage, s = std::move(s), first, end](std::uint64_t sent, bool all_sent) {
        const bool reached_end = all_sent && end && *end == s.size;
        usage->record(s, first, sent, reached_end);
    };
}

}  // namespace kho::api
