#pragma once
// kho-worker --server: a media worker on another machine. Each slot (a
// thread; --concurrency of them) loops: claim a job over the API, run it
// (server/remote_job.hpp), claim again. When no job is runnable it polls
// every 1 to 5 s (growing while idle); when the server cannot be reached it
// backs off exponentially up to a minute; it never spins.
//
// SIGTERM or SIGINT: no new claims; running jobs finish, then the process
// exits. A second signal abandons them: their children are killed, the jobs
// are reported failed (retryable) so that they run again soon, and the
// process exits. A worker killed outright (kill -9, power loss) stops
// renewing its leases; the server leases its jobs to another worker once
// they expire.
//
// Exit status: 0 after a signal or --once, 1 when the server refuses the
// token (401/403), 2 for usage errors (remote_worker_options).

#include "server/remote_worker_options.hpp"

namespace kho::server {

int run_remote_worker(const remote_worker_options& options);

}  // namespace kho::server
