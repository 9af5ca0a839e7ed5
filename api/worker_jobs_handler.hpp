#pragma once
// /api/v1/worker: media jobs for remote workers (kho-worker --server on
// another machine), for accounts allowed media_work (admins and the worker
// role). Every call about a claimed job carries the lease token from the
// claim in a `Kho-Lease` header; storage/remote_jobs.hpp holds the rules.
//
//   POST /api/v1/worker/jobs/claim                      {"worker","lease_seconds"} -> job | 204
//   POST /api/v1/worker/jobs/{id}/heartbeat             {"lease_seconds"} -> new lease end
//   GET  /api/v1/worker/jobs/{id}/input                 the original (Range, conditional)
//   PUT  /api/v1/worker/jobs/{id}/renditions/{name}     an output, streamed -> 201
//   POST /api/v1/worker/jobs/{id}/complete              {"info","renditions"} -> done
//   POST /api/v1/worker/jobs/{id}/fail                  {"error","retryable"}
//
// A lease that ended (expired and re-leased, failed, done) answers 409:
// the worker abandons the job.

namespace kho::api {

class router;
void add_worker_job_routes(router& r);

}  // namespace kho::api
