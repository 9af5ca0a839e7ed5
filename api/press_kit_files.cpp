#include "api/press_kit_files.hpp"

#include "api/app.hpp"
#include "api/renditions_handler.hpp"
#include "api/zip_archive.hpp"
#include "core/csv.hpp"
#include "core/markdown.hpp"
#include "core/sha256.hpp"
#include "storage/asset_store.hpp"
#include "storage/blob_store.hpp"
#include "storage/press_kit_store.hpp"

#include <zlib.h>

#include <cstdio>
#include <map>

namespace kho::api {

std::vector<kit_file> resolve_kit(const app& a, const press_kit& kit) {
    std::vector<kit_file> out;
    for (const auto& item : kit.items) {
        kit_file f;
        f.item = item;
        auto rec = a.assets.get(item.asset);
        auto v = a.assets.get_version(item.asset, item.version);
        if (!rec || !v) {
            f.reason = "the asset or version no longer exists";
            out.push_back(std::move(f));
            continue;
        }
        f.title = rec->meta.title;
        f.version = *v;
        if (rec->deleted_at) {
            f.reason = "the asset is in the trash";
        } else if (v->state != version_state::approved) {
            f.reason = "version " + std::to_string(v->number) + " is " +
                       std::string(to_string(v->state)) + ", not approved";
        } else if (!v->window.contains(a.clock.now())) {
            f.reason = "version " + std::to_string(v->number) + " is outside its validity window";
        } else if (item.file == "original") {
            f.available = true;
            f.sha256 = v->sha256;
            f.size = v->size;
            f.content_type = v->content_type;
            f.file_name = v->file_name;
            f.modified = v->created_at;
        } else if (auto r = a.assets.get_rendition(item.asset, item.version, item.file)) {
            f.available = true;
            f.sha256 = r->sha256;
            f.size = r->size;
            f.content_type = r->content_type;
            f.file_name = rendition_file_name(*v, *r);
            f.modified = r->created_at;
        } else {
            f.reason = "version " + std::to_string(v->number) + " has no " + item.file + " file";
        }
        out.push_back(std::move(f));
    }
    return out;
}

std::string press_release_markdown(const press_kit& kit) {
    std::string md = "# " + kit.title + "\n\n" + kit.release + "\n";
    if (!kit.contact.empty()) md += "\n---\n\n**Liên hệ báo chí / Press contact:** " + kit.contact + "\n";
    return md;
}

result<representation> kit_zip(app& a, const press_kit& kit, const std::vector<kit_file>& files) {
    // Names: the generated files first (they keep theirs), then the files
    // numbered in kit order.
    std::vector<const kit_file*> included;
    std::vector<std::string> requested{"press-release.md", "press-release.html", "manifest.csv"};
    for (const auto& f : files) {
        if (!f.available) continue;
        char prefix[16];
        std::snprintf(prefix, sizeof prefix, "%02zu ", included.size() + 1);
        requested.push_back(prefix + f.file_name);
        included.push_back(&f);
    }
    const auto names = zip_entry_names(requested);

    const std::int64_t kit_time = kit.updated_at / 1000;
    std::vector<zip_entry> entries;
    std::string manifest(csv_bom);
    append_csv_row(manifest, {"file", "caption", "credit", "sha256", "asset", "version", "title"});
    std::map<std::string, storage::blob_file> open;  // one handle per blob
    sha256 etag;
    etag.update(std::string_view("kho-press-kit-zip-1\n"));
    etag.update(std::string_view(zlibVersion()));
    for (std::size_t i = 0; i < included.size(); ++i) {
        const kit_file& f = *included[i];
        const auto& name = names[3 + i];
        auto& blob = open[f.sha256];
        if (!blob.fd && !blob.remote) {
            auto file = a.blobs.open_read(f.sha256);
            if (!file) {
                auto e = file.error();
                if (e.code == errc::not_found) e = make_error(errc::internal, "a stored file of the kit is missing");
                return e;
            }
            blob = std::move(*file);
        }
        std::uint32_t crc = 0;
        if (auto cached = a.press_kits.cached_crc32(f.sha256)) {
            crc = *cached;
        } else {
            auto computed = crc32_of_blob(blob, f.size);
            if (!computed) return computed.error();
            crc = *computed;
            a.press_kits.cache_crc32(f.sha256, crc);
        }
        zip_entry e;
        e.name = name;
        e.modified = f.modified / 1000;
        e.file = segment_of(blob, 0, f.size);
        e.file->verify_sha256 = f.sha256;  // a damaged file cuts the ZIP short
        e.crc32 = crc;
        entries.push_back(std::move(e));
        append_csv_row(manifest, {name, f.item.caption, f.item.credit, f.sha256, f.item.asset.to_string(),
                                  std::to_string(f.item.version), f.title});
        etag.update(name + '\0' + f.sha256 + '\0' + std::to_string(e.modified) + '\n');
    }
    const auto md = press_release_markdown(kit);
    const auto html = press_release_document(kit.title, md);
    std::vector<zip_entry> generated(3);
    generated[0].name = names[0];
    generated[0].bytes = md;
    generated[1].name = names[1];
    generated[1].bytes = html;
    generated[2].name = names[2];
    generated[2].bytes = manifest;
    for (auto& g : generated) {
        g.modified = kit_time;
        etag.update(g.name + '\0' + sha256::hex_of(*g.bytes) + '\n');
    }
    // The press release first: it is what a journalist opens.
    entries.insert(entries.begin(), std::make_move_iterator(generated.begin()),
                   std::make_move_iterator(generated.end()));
    etag.update(std::to_string(kit_time));

    auto plan = plan_zip(std::move(entries));
    if (!plan) return plan.error();
    representation rep;
    rep.parts = std::move(plan->parts);
    rep.size = plan->size;
    rep.etag = "\"" + etag.finish_hex() + "\"";
    rep.last_modified = kit_time;
    rep.file_name = kit.title + ".zip";
    rep.content_type = "application/zip";
    rep.attachment = true;
    return rep;
}

}  // namespace kho::api
