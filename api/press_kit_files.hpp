#pragma once
// What a press kit contains right now, and the kit as one ZIP.
//
// An item is available only while its version is approved (not archived,
// rejected or purged since the kit was made) and its file exists; anything
// else is left out of the ZIP and of what journalists see, whatever the
// path (kit page, ZIP, share link, Range), and staff are told why.
//
// The ZIP (api/zip_archive.hpp) holds the files in kit order as
// "01 <name>", then press-release.md, press-release.html and manifest.csv
// (file, caption, credit, SHA-256). Its bytes depend only on the kit and
// the files, so it has a Content-Length, a strong ETag and serves Range.

#include "api/download.hpp"
#include "core/asset.hpp"
#include "core/press_kit.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kho::api {

struct app;

struct kit_file {
    press_kit_item item;
    bool available = false;
    std::string reason;  // why not, for staff
    std::string title;   // the asset's
    std::optional<asset_version> version;
    std::string sha256;
    std::uint64_t size = 0;
    std::string content_type;
    std::string file_name;  // as downloaded on its own
    unix_ms modified = 0;
};

std::vector<kit_file> resolve_kit(const app& a, const press_kit& kit);

// The press release as a Markdown document (title, text, press contact).
std::string press_release_markdown(const press_kit& kit);

// Lays the ZIP out: opens the files and computes their CRC-32 the first
// time (cached for good: blobs never change). Blocking I/O: call it off the
// I/O threads.
result<representation> kit_zip(app& a, const press_kit& kit, const std::vector<kit_file>& files);

}  // namespace kho::api
