// kho import DIR: every file under DIR becomes an asset, with metadata from a
// CSV or JSON sidecar. Files whose bytes the server already has (by SHA-256)
// are skipped, so an interrupted import is simply run again.

#include "tools/api_target.hpp"
#include "tools/commands.hpp"
#include "tools/file_io.hpp"
#include "tools/format.hpp"
#include "tools/import_sidecar.hpp"
#include "tools/upload_file.hpp"

#include "core/sha256.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>

namespace kho::cli {
namespace fs = std::filesystem;

namespace {

std::string file_sha256(const fs::path& p) {
    input_file in(p.string());
    kho::sha256 h;
    std::vector<char> buf(1 << 20);
    for (std::size_t n; (n = in.read(buf.data(), buf.size())) > 0;) h.update(buf.data(), n);
    return h.finish_hex();
}

// The id of a live asset that already holds these bytes, if any.
std::optional<std::string> present_as(context& ctx, const std::string& sha) {
    auto r = ctx.client().request(
        "GET", api_target(ctx.server(), {"api", "v1", "assets"}, {{"sha256", sha}, {"limit", "1"}}),
        ctx.auth());
    if (r.status != 200) throw command_error(describe_failure(r));
    auto j = parse_json_body(r, "the asset list");
    if (j["items"].empty()) return std::nullopt;
    return j["items"][0].value("id", std::string());
}

}  // namespace

int run_import(const global_options& g, const import_options& o) {
    fs::path root = o.directory;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) throw usage_error(o.directory + " is not a folder");
    std::string sidecar_path = o.metadata;
    if (sidecar_path.empty())
        for (const char* name : {"kho-import.csv", "kho-import.json"})
            if (fs::is_regular_file(root / name, ec)) sidecar_path = (root / name).string();
    sidecar meta = sidecar_path.empty() ? sidecar{} : read_sidecar(sidecar_path);

    std::vector<fs::path> files;
    for (auto it =
             fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied);
         it != fs::recursive_directory_iterator(); ++it) {
        auto name = it->path().filename().string();
        if (name.starts_with(".")) {  // hidden files and folders
            if (it->is_directory()) it.disable_recursion_pending();
            continue;
        }
        if (!it->is_regular_file()) continue;
        if (!sidecar_path.empty() && fs::equivalent(it->path(), sidecar_path, ec)) continue;
        files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    std::string missing;
    for (const auto& [rel, _] : meta)
        if (!fs::is_regular_file(root / rel, ec)) missing += "\n  " + rel;
    if (!missing.empty())
        throw usage_error("the sidecar names files that are not in " + o.directory + ":" + missing);

    context ctx(g, true);
    std::size_t imported = 0, skipped = 0, refused = 0;
    nlohmann::json report = nlohmann::json::array();
    for (const auto& path : files) {
        auto rel = fs::relative(path, root).generic_string();
        nlohmann::json entry{{"file", rel}};
        try {
            auto sha = file_sha256(path);
            if (auto id = present_as(ctx, sha)) {
                ++skipped;
                entry["result"] = "skipped";
                entry["id"] = *id;
                if (!ctx.json())
                    std::cout << "skipped  " << terminal_safe(*id) << '\t' << terminal_safe(rel)
                              << " (already present)" << std::endl;
            } else {
                upload_options opts;
                if (auto m = meta.find(rel); m != meta.end()) opts = m->second;
                auto answer = upload_file(ctx, opts, path.string());
                ++imported;
                entry["result"] = "imported";
                entry["id"] = answer.value("id", std::string());
                if (!ctx.json())
                    std::cout << "imported " << terminal_safe(entry["id"].get<std::string>())
                              << '\t' << terminal_safe(rel) << std::endl;
            }
        } catch (const transport_error& e) {
            std::cerr << "kho: " << terminal_safe(rel) << ": " << e.what()
                      << "; run the same import again to continue\n";
            throw;
        } catch (const std::exception& e) {
            ++refused;
            entry["result"] = "refused";
            entry["reason"] = e.what();
            if (!ctx.json())
                std::cerr << "refused  " << terminal_safe(rel) << ": " << e.what() << '\n';
        }
        report.push_back(std::move(entry));
    }
    if (ctx.json()) {
        std::cout << dump_json({{"imported", imported},
                                {"skipped", skipped},
                                {"refused", refused},
                                {"files", std::move(report)}})
                  << '\n';
    } else {
        std::cerr << "kho: imported " << imported << ", skipped " << skipped
                  << " (already present), refused " << refused << '\n';
    }
    return refused ? exit_failure : exit_ok;
}

}  // namespace kho::cli
