#pragma once
// One job claimed by a remote worker, from its claim to its completion:
//
//  1. a watcher thread renews the lease every third of it (its own
//     connection); when the server answers that the lease is gone (409), or
//     no renewal got through for a whole lease, the job is lost: the child
//     is killed and the job abandoned, since another worker may have it now;
//  2. the original is streamed to <work-dir>/job-<id>-<attempt>/input and
//     checked against its SHA-256 (a broken transfer resumes with Range);
//  3. kho-worker runs on it as a sandboxed child (server/sandboxed_run.hpp)
//     under the limits the server sent with the job;
//  4. each output is streamed up (PUT .../renditions/{name}), then the job
//     is completed; a failure is reported with the child's sentence and
//     whether it may be retried.
//
// The job's directory is removed afterwards, whatever happened.

#include "tools/http_client.hpp"

#include <nlohmann/json_fwd.hpp>

#include <atomic>

namespace kho::server {

struct remote_worker_options;

enum class remote_job_outcome { done, failed, abandoned };

// `stop`: 0 run, 1 finish this job (no effect here), 2 abandon it now.
remote_job_outcome run_remote_job(cli::http_client& client, const remote_worker_options& options,
                                  const nlohmann::json& claim, const std::atomic<int>& stop);

}  // namespace kho::server
