#include "server/web_ui.hpp"

#include "api/conditional.hpp"
#include "api/problem.hpp"
#include "core/sha256.hpp"

#include <fstream>
#include <iterator>

namespace kho::server {
namespace {

namespace fs = std::filesystem;
using boost::asio::awaitable;

constexpr std::string_view k_csp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

std::string type_of(const fs::path& p) {
    auto ext = p.extension().string();
    if (ext == ".html") return "text/html; charset=utf-8";
    if (ext == ".js") return "text/javascript; charset=utf-8";
    if (ext == ".css") return "text/css; charset=utf-8";
    if (ext == ".svg") return "image/svg+xml";
    if (ext == ".png") return "image/png";
    if (ext == ".ico") return "image/x-icon";
    if (ext == ".woff2") return "font/woff2";
    if (ext == ".json") return "application/json";
    if (ext == ".map") return "application/json";
    return "application/octet-stream";
}

void security_headers(api::response& r) {
    r.headers.set("Content-Security-Policy", std::string(k_csp));
    r.headers.set("X-Content-Type-Options", "nosniff");
    r.headers.set("Referrer-Policy", "no-referrer");
    r.headers.set("X-Frame-Options", "DENY");
    r.headers.set("Cross-Origin-Opener-Policy", "same-origin");
}

api::response serve(const api::request& req, const web_file& f, bool immutable) {
    api::response r;
    security_headers(r);
    r.headers.set("ETag", f.etag);
    r.headers.set("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
    if (auto inm = req.headers.get("If-None-Match"); inm && *inm == f.etag) {
        r.status = 304;
        return r;
    }
    r.set_body(f.bytes, f.content_type);
    return r;
}

}  // namespace

const std::vector<std::string>& web_ui::page_patterns() {
    static const std::vector<std::string> pages{
        "/",
        "/login",
        "/catalog",
        "/assets/{id}",
        "/upload",
        "/my",
        "/reviews",
        "/press-kits",
        "/press-kits/{id}",
        "/s/{token}",
        "/admin/users",
        "/admin/units",
        "/admin/reports",
        "/account",
    };
    return pages;
}

result<web_ui> web_ui::load(const fs::path& root) {
    auto files = std::make_shared<std::map<std::string, web_file>>();
    auto read = [&](const fs::path& p, const std::string& name) -> result<void> {
        std::ifstream in(p, std::ios::binary);
        if (!in) return make_error(errc::internal, "cannot read " + p.string());
        web_file f;
        f.bytes.assign(std::istreambuf_iterator<char>(in), {});
        f.content_type = type_of(p);
        f.etag = "\"" + sha256::hex_of(f.bytes).substr(0, 32) + "\"";
        (*files)[name] = std::move(f);
        return {};
    };
    std::error_code ec;
    if (!fs::is_regular_file(root / "index.html", ec))
        return make_error(errc::not_found, "no web UI at " + root.string() +
                                               " (build it: cmake --build, or pass --web-root)");
    if (auto r = read(root / "index.html", "index.html"); !r) return r.error();
    if (fs::is_directory(root / "static", ec))
        for (const auto& e : fs::directory_iterator(root / "static", ec))
            if (e.is_regular_file())
                if (auto r = read(e.path(), "static/" + e.path().filename().string()); !r)
                    return r.error();
    web_ui ui;
    ui.files_ = std::move(files);
    return ui;
}

void web_ui::add_routes(api::router& r) const {
    auto files = files_;
    auto page = [files](api::app&, api::request& req) -> awaitable<api::response> {
        co_return serve(req, files->at("index.html"), false);
    };
    for (const auto& p : page_patterns()) r.add({"GET", p, page, false});
    r.add({"GET", "/static/{file}",
           [files](api::app&, api::request& req) -> awaitable<api::response> {
               auto it = files->find("static/" + req.path_params.at(0));
               if (it == files->end())
                   co_return api::problem_response(errc::not_found, "no such file", req.path);
               co_return serve(req, it->second, true);
           },
           false});
}

fs::path default_web_root() {
    std::error_code ec;
    auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return "web";
    return exe.parent_path().parent_path() / "web";
}

}  // namespace kho::server
