#include "api/worker_jobs_handler.hpp"

#include "api/app.hpp"
#include "api/download.hpp"
#include "api/json_body.hpp"
#include "api/problem.hpp"
#include "api/router.hpp"
#include "storage/asset_store.hpp"
#include "storage/blob_store.hpp"
#include "storage/remote_jobs.hpp"

#include <cmath>

namespace kho::api {
namespace {

using boost::asio::awaitable;
using json = nlohmann::json;

constexpr std::int64_t k_min_lease_s = 10;
constexpr std::int64_t k_max_lease_s = 3600;
constexpr std::int64_t k_default_lease_s = 120;
constexpr std::size_t k_max_error_bytes = 2000;
constexpr std::size_t k_max_outputs = 16;

// The types kho's own renditions have: nothing else is recorded, since
// renditions are served inline with their recorded type.
bool rendition_type(std::string_view t) {
    return t == "image/webp" || t == "image/jpeg" || t == "image/png" || t == "video/mp4" ||
           t == "audio/mp4" || t == "audio/mpeg" || t == "application/json";
}

result<storage::remote_jobs*> service(app& a) {
    if (!a.remote) return make_error(errc::unavailable, "remote media workers are not enabled");
    return a.remote;
}

result<ulid> job_id(const request& req) {
    auto id = ulid::parse(req.path_params.at(0));
    if (!id) return make_error(errc::not_found, "no job with id " + req.path_params.at(0));
    return *id;
}

// The caller and the lease token from its claim (Kho-Lease: 32 hex digits).
result<storage::lease_holder> holder(const request& req) {
    auto lease = req.headers.get("Kho-Lease");
    bool ok = lease && lease->size() == 32;
    if (ok)
        for (char c : *lease) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    if (!ok)
        return make_error(errc::bad_request,
                          "the Kho-Lease header must carry the lease from the job's claim");
    return storage::lease_holder{req.principal->username, std::string(*lease)};
}

// lease_seconds: absent -> the default; else an integer within the bounds.
result<std::int64_t> lease_seconds(const json& body) {
    auto it = body.find("lease_seconds");
    if (it == body.end() || it->is_null()) return k_default_lease_s;
    if (!it->is_number_integer() || it->get<std::int64_t>() < k_min_lease_s ||
        it->get<std::int64_t>() > k_max_lease_s)
        return make_error(errc::invalid_parameter, "lease_seconds must be an integer from " +
                                                       std::to_string(k_min_lease_s) + " to " +
                                                       std::to_string(k_max_lease_s));
    return it->get<std::int64_t>();
}

json claim_json(const app& a, const job& j) {
    std::uint64_t size = 0;
    if (auto v = a.assets.get_version(j.asset_id, j.version)) size = v->size;
    return json{{"id", j.id.to_string()},
                {"lease", std::string(storage::remote_jobs::lease_of(j))},
                {"kind", j.kind},
                {"content_type", j.content_type},
                {"asset_id", j.asset_id.to_string()},
                {"version", j.version},
                {"sha256", j.sha256},
                {"size", size},
                {"attempt", j.attempts},
                {"max_attempts", j.max_attempts},
                {"lease_until", format_rfc3339(j.lease_until)},
                {"renditions", planned_renditions(j.kind)},
                {"limits",
                 {{"max_pixels", a.limits.media_max_pixels},
                  {"timeout_seconds", a.limits.media_timeout.count()},
                  {"max_memory", a.limits.media_max_memory},
                  {"max_output", a.limits.media_max_output}}}};
}

// POST /api/v1/worker/jobs/claim {"worker": "gpu-1", "lease_seconds": 120}
awaitable<response> claim(app& a, request& req) {
    auto remote = service(a);
    if (!remote) co_return problem_response(remote.error(), req.path);
    auto body = co_await read_json_object(a, req);
    if (!body) co_return problem_response(body.error(), req.path);
    if (auto known = only_fields(*body, {"worker", "lease_seconds"}); !known)
        co_return problem_response(known.error(), req.path);
    auto worker = string_field(*body, "worker");
    if (!worker) co_return problem_response(worker.error(), req.path);
    if (!*worker)
        co_return problem_response(errc::invalid_parameter,
                                   "worker (this worker's name) is required", req.path);
    if (auto named = storage::remote_jobs::check_worker_name(**worker); !named)
        co_return problem_response(named.error(), req.path);
    auto seconds = lease_seconds(*body);
    if (!seconds) co_return problem_response(seconds.error(), req.path);
    auto claimed = co_await run_blocking(
        a, [&] { return (*remote)->claim(req.principal->username, **worker, *seconds * 1000); });
    if (!claimed) co_return problem_response(claimed.error(), req.path);
    if (!*claimed) co_return no_content();
    auto out = claim_json(a, **claimed);
    out["lease_seconds"] = *seconds;
    co_return json_response(200, out);
}

// POST /api/v1/worker/jobs/{id}/heartbeat [{"lease_seconds": 120}]
awaitable<response> heartbeat(app& a, request& req) {
    auto remote = service(a);
    if (!remote) co_return problem_response(remote.error(), req.path);
    auto id = job_id(req);
    if (!id) co_return problem_response(id.error(), req.path);
    auto who = holder(req);
    if (!who) co_return problem_response(who.error(), req.path);
    auto body = co_await read_json_object(a, req, true);
    if (!body) co_return problem_response(body.error(), req.path);
    if (auto known = only_fields(*body, {"lease_seconds"}); !known)
        co_return problem_response(known.error(), req.path);
    auto seconds = lease_seconds(*body);
    if (!seconds) co_return problem_response(seconds.error(), req.path);
    auto extended =
        co_await run_blocking(a, [&] { return (*remote)->heartbeat(*id, *who, *seconds * 1000); });
    if (!extended) co_return problem_response(extended.error(), req.path);
    co_return json_response(200, {{"id", extended->id.to_string()},
                                  {"lease_until", format_rfc3339(extended->lease_until)},
                                  {"lease_seconds", *seconds}});
}

// GET /api/v1/worker/jobs/{id}/input: the original, streamed (Range works,
// so a worker resumes a broken transfer).
awaitable<response> input(app& a, request& req) {
    auto remote = service(a);
    if (!remote) co_return problem_response(remote.error(), req.path);
    auto id = job_id(req);
    if (!id) co_return problem_response(id.error(), req.path);
    auto who = holder(req);
    if (!who) co_return problem_response(who.error(), req.path);
    auto j = (*remote)->held(*id, *who);
    if (!j) co_return problem_response(j.error(), req.path);
    auto file = a.blobs.open_read(j->sha256);
    if (!file) {
        auto e = file.error();
        if (e.code == errc::not_found) e = make_error(errc::internal, "the stored file is missing");
        co_return problem_response(e, req.path);
    }
    co_return build_download(req, download_spec{std::move(*file), j->sha256, j->created_at / 1000,
                                                "original", j->content_type, true});
}

// PUT /api/v1/worker/jobs/{id}/renditions/{name}: one output, streamed into
// the blob store's tmp/ and kept for the job until it completes.
awaitable<response> upload(app& a, request& req) {
    auto remote = service(a);
    if (!remote) co_return problem_response(remote.error(), req.path);
    auto id = job_id(req);
    if (!id) co_return problem_response(id.error(), req.path);
    auto who = holder(req);
    if (!who) co_return problem_response(who.error(), req.path);
    const std::string name = req.path_params.at(1);
    // Refuse before reading the body: not the caller's job, or no such output.
    auto j = (*remote)->held(*id, *who);
    if (!j) co_return problem_response(j.error(), req.path);
    const auto& planned = planned_renditions(j->kind);
    if (std::find(planned.begin(), planned.end(), name) == planned.end())
        co_return problem_response(
            errc::invalid_parameter,
            "a " + j->kind + " job makes no rendition named \"" + name + "\"", req.path);
    auto writer = a.blobs.begin_write(a.limits.media_max_output);
    if (!writer) co_return problem_response(writer.error(), req.path);
    for (;;) {
        auto chunk = co_await req.body->next();
        if (!chunk) co_return problem_response(chunk.error(), req.path);
        if (chunk->empty()) break;
        if (auto w = writer->write(chunk->data(), chunk->size()); !w)
            co_return problem_response(w.error(), req.path);
    }
    if (writer->size() == 0)
        co_return problem_response(errc::unprocessable, "a rendition cannot be empty", req.path);
    auto staged = co_await run_blocking(a, [&]() -> result<storage::blob_info> {
        auto info = writer->finish();
        if (!info) return info.error();
        if (auto kept = (*remote)->stage(*id, *who, name, std::move(*writer), *info); !kept)
            return kept.error();
        return *info;
    });
    if (!staged) co_return problem_response(staged.error(), req.path);
    co_return json_response(201,
                            {{"name", name}, {"sha256", staged->sha256}, {"size", staged->size}});
}

// One entry of a completion's "renditions".
result<storage::output_record> output_of(const json& o) {
    if (!o.is_object())
        return make_error(errc::invalid_parameter, "each rendition must be an object");
    if (auto known =
            only_fields(o, {"name", "content_type", "width", "height", "duration", "recipe"});
        !known)
        return known.error();
    storage::output_record r;
    auto name = string_field(o, "name");
    auto type = string_field(o, "content_type");
    auto recipe = string_field(o, "recipe");
    if (!name) return name.error();
    if (!type) return type.error();
    if (!recipe) return recipe.error();
    if (!*name || !*type)
        return make_error(errc::invalid_parameter,
                          "each rendition needs a name and a content_type");
    if (!rendition_type(**type))
        return make_error(errc::invalid_parameter,
                          "content_type " + **type + " is not a type kho makes renditions in");
    r.name = **name;
    r.content_type = **type;
    r.recipe = recipe->value_or("");
    if (r.recipe.size() > 200) return make_error(errc::invalid_parameter, "recipe is too long");
    for (auto [field, out] : {std::pair{"width", &r.width}, std::pair{"height", &r.height}}) {
        auto it = o.find(field);
        if (it == o.end() || it->is_null()) continue;
        if (!it->is_number_integer() || it->get<std::int64_t>() < 0 ||
            it->get<std::int64_t>() > 1'000'000)
            return make_error(errc::invalid_parameter,
                              std::string(field) + " must be an integer from 0 to 1000000");
        *out = it->get<int>();
    }
    if (auto it = o.find("duration"); it != o.end() && !it->is_null()) {
        if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0 ||
            it->get<double>() > 1e7)
            return make_error(errc::invalid_parameter, "duration must be a number of seconds");
        r.duration = it->get<double>();
    }
    return r;
}

// POST /api/v1/worker/jobs/{id}/complete {"info": {...}, "renditions": [...]}
awaitable<response> complete(app& a, request& req) {
    auto remote = service(a);
    if (!remote) co_return problem_response(remote.error(), req.path);
    auto id = job_id(req);
    if (!id) co_return problem_response(id.error(), req.path);
    auto who = holder(req);
    if (!who) co_return problem_response(who.error(), req.path);
    auto body = co_await read_json_object(a, req);
    if (!body) co_return problem_response(body.error(), req.path);
    if (auto known = only_fields(*body, {"info", "renditions"}); !known)
        co_return problem_response(known.error(), req.path);
    json info = body->value("info", json::object());
    if (!info.is_object())
        co_return problem_response(errc::invalid_parameter, "info must be an object", req.path);
    auto list = body->find("renditions");
    if (list == body->end() || !list->is_array() || list->size() > k_max_outputs)
        co_return problem_response(
            errc::invalid_parameter,
            "renditions must be an array of at most " + std::to_string(k_max_outputs) + " objects",
            req.path);
    std::vector<storage::output_record> outputs;
    for (const auto& o : *list) {
        auto r = output_of(o);
        if (!r) co_return problem_response(r.error(), req.path);
        outputs.push_back(std::move(*r));
    }
    const auto media_info = info.dump(-1, ' ', false, json::error_handler_t::replace);
    auto done = co_await run_blocking(
        a, [&] { return (*remote)->complete(*id, *who, outputs, media_info); });
    if (!done) co_return problem_response(done.error(), req.path);
    json items = json::array();
    for (const auto& r : *done) items.push_back(to_api_json(r));
    co_return json_response(200,
                            {{"id", id->to_string()}, {"state", "done"}, {"renditions", items}});
}

// At most k_max_error_bytes, cut at a character boundary.
std::string bounded(std::string s) {
    if (s.size() <= k_max_error_bytes) return s;
    std::size_t n = k_max_error_bytes;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    s.resize(n);
    return s + "…";
}

// POST /api/v1/worker/jobs/{id}/fail {"error": "...", "retryable": true}
awaitable<response> fail(app& a, request& req) {
    auto remote = service(a);
    if (!remote) co_return problem_response(remote.error(), req.path);
    auto id = job_id(req);
    if (!id) co_return problem_response(id.error(), req.path);
    auto who = holder(req);
    if (!who) co_return problem_response(who.error(), req.path);
    auto body = co_await read_json_object(a, req);
    if (!body) co_return problem_response(body.error(), req.path);
    if (auto known = only_fields(*body, {"error", "retryable"}); !known)
        co_return problem_response(known.error(), req.path);
    auto why = string_field(*body, "error");
    if (!why) co_return problem_response(why.error(), req.path);
    if (!*why || (*why)->empty())
        co_return problem_response(errc::invalid_parameter,
                                   "error (a sentence saying what went wrong) is required",
                                   req.path);
    auto retryable = bool_field(*body, "retryable");
    if (!retryable) co_return problem_response(retryable.error(), req.path);
    auto failed = co_await run_blocking(a, [&] {
        return (*remote)->fail(*id, *who, bounded(std::move(**why)), retryable->value_or(true));
    });
    if (!failed) co_return problem_response(failed.error(), req.path);
    co_return json_response(200, to_api_json(*failed));
}

}  // namespace

void add_worker_job_routes(router& r) {
    const std::string jobs = "/api/v1/worker/jobs/";
    r.add({"POST", jobs + "claim", claim, true, body_kind::json, action::media_work});
    r.add({"POST", jobs + "{id}/heartbeat", heartbeat, true, body_kind::json, action::media_work});
    r.add({"GET", jobs + "{id}/input", input, true, body_kind::none, action::media_work});
    r.add({"PUT", jobs + "{id}/renditions/{name}", upload, true, body_kind::rendition,
           action::media_work});
    r.add({"POST", jobs + "{id}/complete", complete, true, body_kind::json, action::media_work});
    r.add({"POST", jobs + "{id}/fail", fail, true, body_kind::json, action::media_work});
}

}  // namespace kho::api
