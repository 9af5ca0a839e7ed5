#pragma once
// Media jobs run by remote workers (kho-worker --server on another machine),
// on top of the same persistent job_queue the server's local workers use.
//
// Leases. A claim holds the job under the worker name
// "remote:<account>/<name>#<lease>", where <lease> is a random token the
// worker sends back with every later call about the job (the Kho-Lease
// header). Because every claim has a fresh token, a worker that lost its
// lease (it stalled, the lease ran out, someone else took the job) is told
// so (errc::conflict) even when the same account and name claimed the job
// again; and one account cannot act on another's lease.
//
// Staged outputs. A rendition uploaded for a held job is written and hashed
// into the blob store's tmp/ by a blob_writer and kept here, finished but not
// placed, until the job completes: nothing is visible in the store until the
// commit that references it, and a job that fails, is re-leased or whose
// worker vanishes leaves nothing behind. The writers of a lease that ended
// are dropped (their temporary files removed) when it fails, when a later
// call finds the lease gone, or by the sweep that every claim runs; a
// restart removes tmp/ leftovers (storage/recovery). At most one set of
// outputs per running job, each no larger than the route's body limit and
// named after a rendition planned for the job's kind, so memory and disk
// stay bounded by the jobs in flight.
//
// Idempotence. Completing a job commits its renditions and marks it done in
// one WriteBatch (asset_store::commit_renditions). A repeated complete with
// the same lease (the first answer was lost) answers the committed
// renditions again without changing anything; a complete from a lease that
// was taken over commits nothing.
//
// Thread safety: all member functions may be called concurrently.

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/job.hpp"
#include "core/ulid.hpp"
#include "storage/blob_store.hpp"

#include <atomic>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kho::storage {

class asset_store;
class job_queue;

struct remote_jobs_options {
    unix_ms min_lease_ms = 10'000;     // Default: 10 s, shortest lease a worker may ask for
    unix_ms max_lease_ms = 3'600'000;  // Default: 1 h, longest
    unix_ms reclaim_every_ms = 1'000;  // Default: expired leases reclaimed at most once a second
};

// Who is asking about a job: the authenticated account and the lease token
// it was given by its claim.
struct lease_holder {
    std::string account;  // user name
    std::string lease;    // the token from the claim
};

// What the worker reports about one output when it completes the job.
struct output_record {
    std::string name;
    std::string content_type;
    int width = 0;
    int height = 0;
    double duration = 0;
    std::string recipe;
};

class remote_jobs {
  public:
    remote_jobs(job_queue& jobs, asset_store& assets, remote_jobs_options options = {});
    remote_jobs(const remote_jobs&) = delete;
    remote_jobs& operator=(const remote_jobs&) = delete;

    // A worker name is 1-64 bytes of [A-Za-z0-9._-]. errc::invalid_parameter otherwise.
    static result<void> check_worker_name(std::string_view name);
    // Whether the job is held by `who` (running under their lease).
    static bool holds(const job& j, const lease_holder& who);
    // The lease token of a remote lease's worker name ("" if not remote).
    static std::string_view lease_of(const job& j);

    // Takes the next runnable job for worker `name` of `account`, leased for
    // `lease_ms` (clamped to the options' bounds). Expired leases are taken
    // back first (at most once per reclaim_every_ms), and the outputs of
    // leases that ended are dropped. Nothing when no job is runnable.
    result<std::optional<job>> claim(std::string_view account, std::string_view name,
                                     unix_ms lease_ms);

    // The job `who` holds. errc::not_found when there is no such job,
    // errc::conflict when it is not (or no longer) theirs.
    result<job> held(const ulid& id, const lease_holder& who);

    // Extends the lease to now + lease_ms (clamped). errc::conflict when it is gone.
    result<job> heartbeat(const ulid& id, const lease_holder& who, unix_ms lease_ms);

    // Keeps a finished writer as output `name` of the held job, replacing an
    // earlier upload of the same name. errc::invalid_parameter when the job's
    // kind plans no such rendition; errc::conflict when the lease is gone
    // (the writer is dropped, its file removed).
    result<void> stage(const ulid& id, const lease_holder& who, const std::string& name,
                       blob_writer writer, const blob_info& blob);

    // Commits the staged outputs named in `outputs` (exactly the uploaded
    // ones) with the media information (a JSON object's text) and marks the
    // job done. The same lease completing again gets the committed
    // renditions back (idempotent); errc::conflict when the lease was taken
    // over (nothing is committed), or when a completion of this lease is
    // already under way; errc::unprocessable when the names do not match
    // the uploads.
    result<std::vector<rendition>> complete(const ulid& id, const lease_holder& who,
                                            const std::vector<output_record>& outputs,
                                            const std::string& media_info);

    // Records a failed run (job_queue::fail) and drops its outputs.
    result<job> fail(const ulid& id, const lease_holder& who, std::string error, bool retryable);

    // Outputs kept for running jobs (for tests and metrics).
    std::size_t staged_outputs() const;

    unix_ms clamp_lease(unix_ms lease_ms) const;

  private:
    struct staged_output {
        blob_writer writer;
        blob_info blob;
    };
    struct job_outputs {
        std::string lease;
        bool completing = false;
        std::map<std::string, staged_output> files;  // by rendition name
    };

    // Drops the outputs kept for job `id` under `lease` (their files are removed).
    void drop(const std::string& id, std::string_view lease);
    // Drops the outputs kept for job `id` unless they belong to `holder`,
    // the lease that holds the job now (empty: nobody does).
    void drop_unless(const std::string& id, std::string_view holder);
    // Drops the outputs of every lease that is no longer running.
    void sweep();

    job_queue& jobs_;
    asset_store& assets_;
    remote_jobs_options options_;
    std::atomic<unix_ms> last_reclaim_{0};
    mutable std::mutex mutex_;
    std::map<std::string, job_outputs> outputs_;  // by job id
};

}  // namespace kho::storage
