#pragma once
// Serves the built web UI (web/, built by `web/build.mjs` into the build
// tree): the files under static/ with content-hashed names, cached for a
// year, and index.html for every page of the single-page app (/, /login,
// /assets/{id}, /s/{token}, ...), never cached. Everything is read into
// memory at start (a few hundred kB). Every answer carries the UI's
// security headers: a strict Content-Security-Policy (no inline script,
// nothing from another origin), frame-ancestors 'none', nosniff and
// Referrer-Policy: no-referrer (share-link tokens live in URLs).

#include "api/router.hpp"
#include "core/error.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <string>

namespace kho::server {

struct web_file {
    std::string bytes;
    std::string content_type;
    std::string etag;  // strong, with quotes
};

class web_ui {
  public:
    // Reads index.html and static/*. errc::not_found when `root` has no
    // index.html (the UI was not built).
    static result<web_ui> load(const std::filesystem::path& root);

    // GET routes for the app's pages and static files.
    void add_routes(api::router& r) const;

    std::size_t file_count() const { return files_->size(); }

    // The UI's pages (single-page app routes answered with index.html).
    static const std::vector<std::string>& page_patterns();

  private:
    std::shared_ptr<const std::map<std::string, web_file>> files_;  // "index.html", "static/app-….js"
};

// Where the UI is when --web-root is not given: ../web beside the program.
std::filesystem::path default_web_root();

}  // namespace kho::server
