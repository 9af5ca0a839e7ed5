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

void access_log::write(const access_entry& e) {
    if (!logger_) return;
    nlohmann::json j{{"time", format_rfc3339(kho::clock().now())},
                     {"method", e.method},
                     {"path", e.target},
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
