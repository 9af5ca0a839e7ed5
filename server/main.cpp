// kho-server: wires configuration, storage, the API and the HTTP listener.

#include "api/app.hpp"
#include "api/router.hpp"
#include "server/access_log.hpp"
#include "server/blob_store_setup.hpp"
#include "server/config.hpp"
#include "server/first_admin.hpp"
#include "server/web_ui.hpp"
#include "server/media_supervisor.hpp"
#include "server/http_server.hpp"
#include "server/io_context_pool.hpp"
#include "core/login_throttle.hpp"
#include "storage/asset_store.hpp"
#include "storage/catalog_index.hpp"
#include "storage/link_keys.hpp"
#include "storage/press_kit_store.hpp"
#include "storage/share_link_store.hpp"
#include "storage/usage_store.hpp"
#include "storage/audit_log.hpp"
#include "storage/comment_store.hpp"
#include "storage/job_queue.hpp"
#include "storage/backup.hpp"
#include "storage/blob_store.hpp"
#include "storage/database.hpp"
#include "storage/recovery.hpp"
#include "storage/remote_jobs.hpp"
#include "storage/token_store.hpp"
#include "storage/unit_store.hpp"
#include "storage/upload_store.hpp"
#include "storage/user_store.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <malloc.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

namespace {

std::optional<std::string> provided_admin_token(const kho::server::server_config& c) {
    if (c.admin_token_file) {
        std::ifstream in(*c.admin_token_file);
        std::string token;
        std::getline(in, token);
        while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
        if (!in && token.empty()) {
            spdlog::critical("cannot read --admin-token-file {}", c.admin_token_file->string());
            std::exit(2);
        }
        return token;
    }
    if (const char* env = std::getenv("KHO_ADMIN_TOKEN"); env && *env) return std::string(env);
    return std::nullopt;
}

int fail(const kho::error& e, std::string_view what) {
    spdlog::critical("{}: {}", what, e.detail);
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace kho;
    // A client that hangs up mid-download must fail one write (EPIPE), not
    // kill the server.
    std::signal(SIGPIPE, SIG_IGN);
    // Blocks of 1 MiB and more (S3 part buffers, download chunks) are mapped
    // and unmapped on their own. glibc would otherwise raise this threshold
    // after the first large free and keep such blocks in its heap, so every
    // big transfer would leave the process tens of MiB larger.
    ::mallopt(M_MMAP_THRESHOLD, 1 << 20);
    auto parsed = server::parse_config(argc, argv);
    if (!parsed.config) return parsed.exit_code;
    const auto& cfg = *parsed.config;
    spdlog::set_default_logger(spdlog::stderr_color_mt("kho"));
    if (auto v = cfg.validate(); !v) return fail(v.error(), "invalid configuration");

    auto blobs = server::open_blob_store(cfg);
    if (!blobs) return fail(blobs.error(), "cannot open the blob store");
    spdlog::info("blob store: {}{}", (*blobs)->kind(),
                 cfg.blob_store == "s3" ? " " + cfg.s3_endpoint + " bucket " + cfg.s3_bucket : "");
    auto db = storage::database::open(cfg.data_dir / "db");
    if (!db) return fail(db.error(), "cannot open the database");
    storage::audit_log audit(**db);
    storage::asset_store assets(**db, **blobs, audit);
    storage::job_queue jobs(
        **db, kho::clock(),
        storage::job_queue_options{static_cast<int>(cfg.media_attempts),
                                   std::chrono::duration_cast<std::chrono::milliseconds>(
                                       cfg.media_retry_delay)
                                       .count(),
                                   3'600'000});
    assets.set_job_queue(&jobs);
    storage::catalog_index catalog(**db);
    if (auto indexed = catalog.open(); !indexed)
        return fail(indexed.error(), "cannot open the catalog index");
    else
        spdlog::info("catalog: {} assets indexed", *indexed);
    assets.set_catalog(&catalog);
    storage::usage_store usage(**db);
    storage::token_store tokens(
        **db, audit, kho::clock(),
        storage::session_limits{
            std::chrono::duration_cast<std::chrono::milliseconds>(cfg.session_idle).count(),
            std::chrono::duration_cast<std::chrono::milliseconds>(cfg.session_lifetime).count()});
    storage::user_store users(**db, audit);
    storage::unit_store units(**db, audit);
    if (auto loaded = units.load(); !loaded) return fail(loaded.error(), "cannot read the units");
    units.set_in_use_check([&](std::string_view code) { return users.unit_in_use(code); });
    storage::comment_store comments(**db, audit);
    storage::press_kit_store press_kits(**db, audit);
    storage::share_link_store links(**db, audit);
    auto link_keys = storage::link_keys::open(cfg.data_dir / "secrets");
    if (!link_keys) return fail(link_keys.error(), "cannot open the share link keys");
    kho::login_throttle throttle(kho::login_throttle::limits{}, kho::clock());

    spdlog::info("recovery: removed {} temporary upload files",
                 storage::remove_temporary_files(**blobs));

    auto bootstrap = tokens.ensure_bootstrap(provided_admin_token(cfg));
    if (!bootstrap) return fail(bootstrap.error(), "cannot create the admin token");
    std::optional<std::string> admin_password;
    if (const char* env = std::getenv("KHO_ADMIN_PASSWORD"); env && *env) admin_password = env;
    auto admin = server::ensure_first_admin(users, tokens, admin_password);
    if (!admin) return fail(admin.error(), "cannot create the first admin");

    server::io_context_pool pool(cfg.threads);
    boost::asio::thread_pool blocking(cfg.blocking_threads);
    // Reads from an object store block a thread each while they wait.
    boost::asio::thread_pool remote_io(cfg.blob_store == "s3" ? cfg.s3_max_connections : 1);
    api::metrics_registry metrics;
    storage::upload_store uploads(**db, (*blobs)->tmp_dir());
    spdlog::info("resumable uploads: removed {} expired or orphaned", uploads.sweep());
    spdlog::info("credentials: removed {} ended sessions and tokens", tokens.sweep_expired());
    api::app app{assets,   **blobs,  tokens,   uploads,      users,
                 units,    audit,    comments, jobs,         catalog,      usage,     press_kits, links, *link_keys, throttle,
                 kho::clock(), metrics, blocking.get_executor(), {}, {}};
    app.limits.secure_cookies = cfg.secure_cookies;
    app.limits.redirect_downloads = cfg.downloads == "redirect";
    app.limits.presign_expiry = cfg.presign_expiry;
    if (cfg.blob_store == "s3") app.remote_io = remote_io.get_executor();
    app.limits.max_upload_bytes = cfg.max_upload_bytes;
    app.limits.max_json_bytes = cfg.max_json_bytes;
    app.backup = [&](const std::filesystem::path& dest) {
        return storage::backup_to(**db, assets, **blobs, dest, kho::clock(), cfg.data_dir / "secrets");
    };
    app.limits.allowed_types = cfg.allowed_types;
    app.limits.upload_expiry = cfg.upload_expiry;
    app.limits.max_incomplete_uploads = cfg.max_incomplete_uploads;
    app.limits.max_incomplete_bytes = cfg.max_incomplete_bytes;
    app.limits.media_max_pixels = cfg.media_max_pixels;
    app.limits.media_timeout = cfg.media_timeout;
    app.limits.media_max_memory = cfg.media_max_memory;
    // Remote workers (kho-worker --server) lease jobs over the API.
    storage::remote_jobs remote_jobs(jobs, assets);
    app.remote = &remote_jobs;
    auto router = api::make_router();
    const auto web_root = cfg.web_root.value_or(server::default_web_root());
    if (auto ui = server::web_ui::load(web_root)) {
        ui->add_routes(router);
        spdlog::info("web UI: {} files from {}", ui->file_count(), web_root.string());
    } else {
        spdlog::warn("web UI not served: {}", ui.error().detail);
    }
    server::access_log log(cfg.access_log);
    boost::asio::signal_set signals(pool.first(), SIGINT, SIGTERM);
    // Expired resumable uploads are swept every 10 minutes, off the I/O threads.
    boost::asio::steady_timer sweeper(pool.first());
    std::function<void()> schedule_sweep = [&] {
        sweeper.expires_after(std::chrono::minutes(10));
        sweeper.async_wait([&](boost::system::error_code ec) {
            if (ec) return;
            boost::asio::post(blocking, [&] {
                uploads.sweep();
                tokens.sweep_expired();
            });
            schedule_sweep();
        });
    };
    server::http_server http(pool, app, router, cfg, log, [&] {
        // Every connection is closed: let the I/O threads finish.
        boost::asio::post(pool.first(), [&] {
            signals.cancel();
            sweeper.cancel();
        });
        pool.release();
    });

    auto port = http.listen();
    if (!port) return fail(port.error(), "cannot start");
    if (cfg.port_file) {
        std::ofstream(*cfg.port_file) << *port << '\n';
    }
    http.start();
    schedule_sweep();
    // Media jobs: worker processes supervised by a few threads of their own.
    server::media_options media;
    media.concurrency = cfg.media_concurrency_set ? cfg.media_concurrency
                                                  : std::max(1u, std::thread::hardware_concurrency());
    media.timeout = cfg.media_timeout;
    media.max_memory = cfg.media_max_memory;
    media.max_pixels = cfg.media_max_pixels;
    media.worker = cfg.worker_path ? *cfg.worker_path
                                   : std::filesystem::read_symlink("/proc/self/exe").parent_path() /
                                         "kho-worker";
    server::media_supervisor supervisor(jobs, assets, **blobs, media);
    if (media.concurrency > 0)
        supervisor.start();
    else  // no local slot will: put back what a crash left running locally
        jobs.requeue_running();
    // Counting unreferenced blobs reads the whole blob directory: in the
    // background, so that a large store does not delay readiness.
    boost::asio::post(blocking, [&] {
        auto report = storage::scan_blobs(**blobs, assets);
        spdlog::info("blob scan: {} blobs, {} unreferenced ({} bytes; `kho gc` reclaims them)",
                     report.blobs_seen, report.unreferenced_blobs, report.unreferenced_bytes);
    });
    app.ready = true;

    auto host = cfg.listen.substr(0, cfg.listen.rfind(':'));
    std::cerr << "kho listening on http://" << host << ':' << *port
              << "/  (data: " << std::filesystem::absolute(cfg.data_dir).string() << ")\n";
    if (*admin && (*admin)->generated_password) {
        std::cerr << "\nFirst start: sign in to the web UI as \"" << (*admin)->username
                  << "\" with this password (shown once; you will be asked to change it):\n\n    "
                  << *(*admin)->generated_password << "\n";
    }
    if (*bootstrap) {
        std::cerr << "\nFirst start: the admin API token is shown once; keep it safe:\n\n    "
                  << **bootstrap << "\n\nUse it as:  curl -H 'Authorization: Bearer " << **bootstrap
                  << "' http://" << host << ':' << *port << "/api/v1/assets\n\n";
    }

    std::function<void(boost::system::error_code, int)> on_signal;
    on_signal = [&](boost::system::error_code ec, int sig) {
        if (ec) return;
        if (app.stopping.exchange(true)) {
            spdlog::warn("second signal {}: exiting now", sig);
            std::_Exit(130);  // every acknowledged write is already durable
        }
        spdlog::info("signal {}: finishing in-flight requests (up to {} s); again to force", sig,
                     cfg.shutdown_grace.count());
        http.shutdown();
        signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);

    pool.run();
    supervisor.stop();
    blocking.join();
    remote_io.join();
    spdlog::info("stopped; closing the database");
    return 0;
}
