#include "server/access_log.hpp"

#include "core/clock.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace kho::server {

access_log::access_log(const std::string& destination) {
    if (destination == "off") return;
    if (destination == "-")
        logger_ = spdlog::stdout_logger_mt("kho.access");
    else
        logger_ = spdlog::basic_logger_mt("kho.access", destination);
    logger_->set_pattern("%v");
    logger_->flush_on(spdlog::level::info);
}

std::string redact_target(std::string_view target) {
    // A share link's token is its key: whoever reads the log could open
    // the link. Keep its first 8 characters, enough to tell links apart.
    for (std::string_view prefix : {"/api/v1/links/", "/s/"}) {
        if (!target.starts_with(prefix)) continue;
        auto start = prefix.size();
        auto end = target.find_first_of("/?#", start);
        if (end == std::string_view::npos) end = target.size();
        if (end - start <= 8) break;
        return std::string(target.substr(0, start + 8)) + "…" + std::string(target.substr(end));
    }
    return std::string(target);
}

void access_log::write(const access_entry& e) {
    if (!logger_) return;
    nlohmann::json j{{"time", format_rfc3339(kho::clock().now())},
                     {"method", e.method},
                     {"path", redact_target(e.target)},
                     {"route", e.route},
                     {"status", e.status},
                     {"bytes_in", e.bytes_in},
                     {"bytes_out", e.bytes_out},
                     {"duration_ms", e.duration_ms},
                     {"user", e.user},
                     {"client", e.client},
                     {"request_id", e.request_id}};
    if (e.aborted) j["aborted"] = true;
    logger_->info(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace kho::server
