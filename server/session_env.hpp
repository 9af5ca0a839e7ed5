#pragma once
// Internal to server/: what every session shares.

#include "server/access_log.hpp"
#include "server/blob_check.hpp"
#include "server/config.hpp"

#include <atomic>

namespace kho::api {
struct app;
class router;
}  // namespace kho::api

namespace kho::server {

struct session_env {
    api::app& app;
    const api::router& router;
    const server_config& config;
    access_log& log;
    std::atomic<std::uint64_t> request_counter{0};
    known_checksums checksums{};  // of blobs verified since the start
};

}  // namespace kho::server
