// kho upload: each file streamed as a raw request body, 1 MiB at a time.

#include "tools/api_target.hpp"
#include "tools/commands.hpp"
#include "tools/file_io.hpp"
#include "tools/format.hpp"
#include "tools/progress.hpp"
#include "tools/upload_file.hpp"

#include "core/file_name.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>

namespace kho::cli {
namespace {

using json = nlohmann::json;

query_list metadata_query(const upload_options& o) {
    query_list q;
    const std::pair<const char*, const std::string*> fields[] = {
        {"title", &o.title}, {"description", &o.description}, {"tags", &o.tags},
        {"kind", &o.kind},   {"campaign", &o.campaign},       {"language", &o.language}};
    for (const auto& [key, value] : fields)
        if (!value->empty()) q.emplace_back(key, *value);
    return q;
}

}  // namespace

json upload_file(context& ctx, const upload_options& o, const std::string& path) {
    input_file file(path);
    // The server sanitizes too, but the query string must be valid UTF-8 for
    // it to be accepted at all.
    const std::string name = sanitize_file_name(std::filesystem::path(path).filename().string());
    query_list q{{"filename", name}};
    std::string target;
    if (o.version_of.empty()) {
        for (auto& field : metadata_query(o)) q.push_back(std::move(field));
        target = api_target(ctx.server(), {"api", "v1", "assets"}, q);
    } else {
        target = api_target(ctx.server(), {"api", "v1", "assets", o.version_of, "versions"}, q);
    }
    progress_bar bar(name, file.size());
    auto r = ctx.client().upload(
        "POST", target, ctx.auth({{"Content-Type", "application/octet-stream"}}), file.size(),
        [&](char* buf, std::size_t cap) {
            const auto n = file.read(buf, cap);
            if (n == 0) throw command_error(path + " became shorter while it was being sent");
            return n;
        },
        [&](std::uint64_t sent) { bar.update(sent); });
    if (r.status != 201) throw command_error(describe_failure(r));
    bar.finish();
    return parse_json_body(r, "the upload");
}

int run_upload(const global_options& g, const upload_options& o) {
    context ctx(g, true);
    std::size_t uploaded = 0, failed = 0, skipped = 0;
    for (std::size_t i = 0; i < o.files.size(); ++i) {
        const std::string& path = o.files[i];
        try {
            auto answer = upload_file(ctx, o, path);
            ++uploaded;
            if (ctx.json()) {
                answer["file"] = path;
                std::cout << dump_json(answer, -1) << std::endl;
            } else if (o.version_of.empty()) {
                std::cout << terminal_safe(answer.value("id", std::string("?"))) << '\t'
                          << terminal_safe(path) << std::endl;
            } else {
                std::cout << terminal_safe(o.version_of) << "\tversion "
                          << answer.value("number", 0u) << '\t' << terminal_safe(path) << std::endl;
            }
        } catch (const transport_error& e) {
            // The server is unreachable or went away: the other files would fail too.
            ++failed;
            skipped = o.files.size() - i - 1;
            std::cerr << "kho: " << terminal_safe(path) << ": " << e.what() << '\n';
            break;
        } catch (const std::exception& e) {
            ++failed;
            std::cerr << "kho: " << terminal_safe(path) << ": " << e.what() << '\n';
        }
    }
    if (o.files.size() > 1) {
        std::cerr << "kho: uploaded " << uploaded << " of " << o.files.size() << " files";
        if (failed) std::cerr << "; " << failed << " failed";
        if (skipped) std::cerr << "; " << skipped << " not attempted";
        std::cerr << '\n';
    }
    return failed ? exit_failure : exit_ok;
}

}  // namespace kho::cli
