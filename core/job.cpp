#include "core/job.hpp"

#include <nlohmann/json.hpp>

namespace kho {

using json = nlohmann::json;

std::string_view to_string(job_state s) noexcept {
    switch (s) {
        case job_state::pending:
            return "pending";
        case job_state::running:
            return "running";
        case job_state::done:
            return "done";
        case job_state::failed:
            return "failed";
    }
    return "pending";
}

result<job_state> parse_job_state(std::string_view s) {
    for (auto st : {job_state::pending, job_state::running, job_state::done, job_state::failed})
        if (to_string(st) == s) return st;
    return make_error(errc::invalid_parameter,
                      "unknown job state \"" + std::string(s) +
                          "\"; expected pending, running, done or failed");
}

std::optional<std::string> media_job_kind(std::string_view t) {
    if (t == "application/pdf" || t.starts_with("image/")) return std::string("image");
    if (t.starts_with("video/")) return std::string("video");
    if (t.starts_with("audio/")) return std::string("audio");
    return std::nullopt;
}

const std::vector<std::string>& planned_renditions(std::string_view kind) {
    static const std::vector<std::string> image{"thumb", "preview", "preview_jpeg", "web"};
    static const std::vector<std::string> video{"thumb", "preview", "preview_jpeg", "video_720p"};
    static const std::vector<std::string> audio{"thumb", "audio_m4a", "audio_mp3", "waveform"};
    static const std::vector<std::string> none;
    if (kind == "image") return image;
    if (kind == "video") return video;
    if (kind == "audio") return audio;
    return none;
}

std::string encode_record(const job& j) {
    return json{{"id", j.id.to_string()},
                {"asset", j.asset_id.to_string()},
                {"version", j.version},
                {"kind", j.kind},
                {"content_type", j.content_type},
                {"sha256", j.sha256},
                {"state", std::string(to_string(j.state))},
                {"attempts", j.attempts},
                {"max_attempts", j.max_attempts},
                {"not_before", j.not_before},
                {"lease_until", j.lease_until},
                {"worker", j.worker},
                {"error", j.error},
                {"created_at", j.created_at},
                {"updated_at", j.updated_at}}
        .dump();
}

result<job> decode_job_record(std::string_view bytes) {
    auto j = json::parse(bytes, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return make_error(errc::internal, "corrupt job record");
    try {
        job out;
        auto id = ulid::parse(j.at("id").get<std::string>());
        auto asset = ulid::parse(j.at("asset").get<std::string>());
        auto state = parse_job_state(j.at("state").get<std::string>());
        if (!id || !asset || !state) return make_error(errc::internal, "corrupt job record");
        out.id = *id;
        out.asset_id = *asset;
        out.version = j.at("version").get<std::uint32_t>();
        out.kind = j.at("kind").get<std::string>();
        out.content_type = j.value("content_type", "");
        out.sha256 = j.value("sha256", "");
        out.state = *state;
        out.attempts = j.value("attempts", 0);
        out.max_attempts = j.value("max_attempts", 4);
        out.not_before = j.value("not_before", unix_ms{0});
        out.lease_until = j.value("lease_until", unix_ms{0});
        out.worker = j.value("worker", "");
        out.error = j.value("error", "");
        out.created_at = j.value("created_at", unix_ms{0});
        out.updated_at = j.value("updated_at", unix_ms{0});
        return out;
    } catch (const json::exception&) {
        return make_error(errc::internal, "corrupt job record");
    }
}

json to_api_json(const job& j) {
    // Who holds a running job, for admins watching remote workers: a remote
    // lease's name ends with "#<lease token>", which is nobody's business.
    json holder = nullptr;
    if (j.state == job_state::running && !j.worker.empty())
        holder = j.worker.substr(0, j.worker.find('#'));
    return json{{"id", j.id.to_string()},
                {"asset_id", j.asset_id.to_string()},
                {"version", j.version},
                {"kind", j.kind},
                {"state", std::string(to_string(j.state))},
                {"attempts", j.attempts},
                {"max_attempts", j.max_attempts},
                {"worker", std::move(holder)},
                {"error", j.error.empty() ? json(nullptr) : json(j.error)},
                {"not_before", j.state == job_state::pending && j.not_before
                                   ? json(format_rfc3339(j.not_before))
                                   : json(nullptr)},
                {"created_at", format_rfc3339(j.created_at)},
                {"updated_at", format_rfc3339(j.updated_at)}};
}

std::string encode_record(const rendition& r) {
    return json{{"name", r.name},     {"sha256", r.sha256},   {"size", r.size},
                {"content_type", r.content_type},             {"width", r.width},
                {"height", r.height}, {"duration", r.duration}, {"recipe", r.recipe},
                {"created_at", r.created_at}}
        .dump();
}

result<rendition> decode_rendition_record(std::string_view bytes) {
    auto j = json::parse(bytes, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return make_error(errc::internal, "corrupt rendition record");
    try {
        rendition r;
        r.name = j.at("name").get<std::string>();
        r.sha256 = j.at("sha256").get<std::string>();
        r.size = j.at("size").get<std::uint64_t>();
        r.content_type = j.at("content_type").get<std::string>();
        r.width = j.value("width", 0);
        r.height = j.value("height", 0);
        r.duration = j.value("duration", 0.0);
        r.recipe = j.value("recipe", "");
        r.created_at = j.value("created_at", unix_ms{0});
        return r;
    } catch (const json::exception&) {
        return make_error(errc::internal, "corrupt rendition record");
    }
}

json to_api_json(const rendition& r) {
    json j{{"name", r.name},
           {"state", "done"},
           {"content_type", r.content_type},
           {"size", r.size},
           {"sha256", r.sha256},
           {"created_at", format_rfc3339(r.created_at)}};
    if (r.width) j["width"] = r.width;
    if (r.height) j["height"] = r.height;
    if (r.duration > 0) j["duration"] = r.duration;
    return j;
}

}  // namespace kho
