// kho export DEST --approved [--unit CODE]: the approved material a unit may
// use, copied into a folder (a USB drive, say) for schools that cannot
// download it themselves, with a catalogue (danh-muc.csv) and a manifest
// (kho-export.json) that makes the next run incremental.
//
// Layout:  DEST/<campaign or "khac">/<title> (<id8>)/<version's file name>
//
// The run, in order (each step safe to interrupt):
//  1. list GET /api/v1/published and read the previous manifest;
//  2. write the manifest again with every path this run may create listed as
//     "pending", so that a killed run's files are still known to the next one;
//  3. remove the items no longer published (first, to free space on the drive);
//  4. per item: keep a file that is already there, move one whose folder was
//     renamed, or download into DEST/.../.<sha>.kho-part (resumed when a
//     partial one is there), verify its SHA-256, flush it, rename it into
//     place and only then remove the version it replaces;
//  5. write danh-muc.csv, then kho-export.json (each temp + rename), and
//     remove leftovers that earlier runs listed as pending.
// Only paths a manifest lists are ever removed; nothing else in DEST is.

#include "tools/api_target.hpp"
#include "tools/commands.hpp"
#include "tools/download_file.hpp"
#include "tools/file_io.hpp"
#include "tools/format.hpp"

#include "core/clock.hpp"
#include "core/csv.hpp"
#include "core/file_name.hpp"
#include "core/sha256.hpp"
#include "core/text.hpp"
#include "core/ulid.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

namespace kho::cli {
namespace fs = std::filesystem;

namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;  // the manifest reads top-down

constexpr const char* k_manifest = "kho-export.json";
constexpr const char* k_catalogue = "danh-muc.csv";
constexpr const char* k_no_campaign = "khac";
constexpr const char* k_part_suffix = ".kho-part";
constexpr int k_manifest_format = 1;
// Short names keep whole paths under Windows' 260-character limit.
constexpr std::size_t k_max_campaign_chars = 60;
constexpr std::size_t k_max_title_chars = 80;
constexpr std::size_t k_max_file_chars = 100;

// ---- Names that FAT, exFAT and NTFS accept ----

bool is_reserved_on_windows(std::string_view stem) {
    std::string s(stem.substr(0, stem.find('.')));
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (s == "CON" || s == "PRN" || s == "AUX" || s == "NUL") return true;
    return s.size() == 4 && (s.starts_with("COM") || s.starts_with("LPT")) && s[3] >= '1' &&
           s[3] <= '9';
}

// `text` as (part of) one path component: the characters FAT and exFAT
// refuse (\ / : * ? " < > |) become '_', then kho::sanitize_file_name (no
// controls or bidi overrides, no dots or spaces at the ends; Vietnamese
// kept), cut to `max_chars` characters (an extension of a file name is kept).
std::string portable_text(std::string_view text, std::size_t max_chars, bool has_extension) {
    std::string s(text);
    for (auto& c : s)
        if (std::string_view("\\/:*?\"<>|").find(c) != std::string_view::npos) c = '_';
    s = sanitize_file_name(s);
    std::string ext;
    if (auto dot = s.find_last_of('.');
        has_extension && dot != std::string::npos && dot > 0 && s.size() - dot <= 16) {
        ext = s.substr(dot);
        s.resize(dot);
    }
    s = truncate_chars(s, max_chars > ext.size() ? max_chars - ext.size() : 1) + ext;
    return sanitize_file_name(s);  // a cut may leave a space at the end
}

// portable_text that is a whole name, so never a Windows device name ("CON.png").
std::string portable_name(std::string_view text, std::size_t max_chars, bool has_extension) {
    std::string s = portable_text(text, max_chars, has_extension);
    if (is_reserved_on_windows(s)) s.insert(0, "_");
    return s;
}

// A relative path from a manifest that stays inside DEST: '/'-separated
// components, none empty, "." or "..".
bool is_safe_relative(std::string_view p) {
    if (p.empty() || p.front() == '/' || p.find('\\') != std::string_view::npos) return false;
    for (std::size_t start = 0;;) {
        const auto end = p.find('/', start);
        const auto part = p.substr(start, end == std::string_view::npos ? end : end - start);
        if (part.empty() || part == "." || part == "..") return false;
        if (end == std::string_view::npos) return true;
        start = end + 1;
    }
}

// ---- What is exported ----

// One file of an exported version: the original now; renditions (their
// name, URL, SHA-256 and size from the API) are meant to join the same list.
struct export_file {
    std::string role;    // "original", or a rendition's name
    std::string target;  // where to download it (empty for manifest entries)
    std::string sha256;
    std::uint64_t size = 0;
    std::string path;  // relative to DEST, '/'-separated
    std::string name;  // the file name the server gives (listing entries only)

    // The partial download of this content, next to where it goes.
    std::string part_path() const {
        const auto slash = path.rfind('/');
        return path.substr(0, slash + 1) + "." + sha256.substr(0, 16) + k_part_suffix;
    }
};

// One asset's published version, with what the catalogue shows of it.
struct export_item {
    std::string asset_id;
    std::uint32_t version = 0;
    std::string title, kind, campaign, description, language, valid_from, valid_until;
    std::vector<std::string> tags;
    std::vector<export_file> files;  // files[0] is the original
};

std::string string_field(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::uint64_t> uint_field(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_unsigned()) return std::nullopt;
    return it->get<std::uint64_t>();
}

std::vector<std::string> tags_of(const json& j) {
    std::vector<std::string> tags;
    if (auto it = j.find("tags"); it != j.end() && it->is_array())
        for (const auto& t : *it)
            if (t.is_string()) tags.push_back(t.get<std::string>());
    return tags;
}

// An item of GET /api/v1/published; nullopt when it lacks what the export needs.
std::optional<export_item> item_from_listing(const context& ctx, const json& j) {
    if (!j.is_object() || !j.contains("version") || !j["version"].is_object()) return std::nullopt;
    const json& v = j["version"];
    auto id = ulid::parse(string_field(j, "id"));
    auto number = uint_field(v, "number");
    auto size = uint_field(v, "size");
    const auto sha = string_field(v, "sha256");
    if (!id || !number || *number == 0 || *number > UINT32_MAX || !size || !is_sha256_hex(sha))
        return std::nullopt;
    export_item it;
    it.asset_id = id->to_string();
    it.version = static_cast<std::uint32_t>(*number);
    it.title = string_field(j, "title");
    it.kind = string_field(j, "kind");
    it.campaign = string_field(j, "campaign");
    it.description = string_field(j, "description");
    it.language = string_field(j, "language");
    it.tags = tags_of(j);
    it.valid_from = string_field(v, "valid_from");
    it.valid_until = string_field(v, "valid_until");
    const auto n = std::to_string(it.version);
    it.files.push_back({.role = "original",
                        .target = api_target(ctx.server(), {"api", "v1", "assets", it.asset_id,
                                                            "versions", n, "original"}),
                        .sha256 = sha,
                        .size = *size,
                        .path = {},  // place_items decides
                        .name = string_field(v, "file_name")});
    // Renditions that are made (pending or failed ones are left for a later run).
    if (v.contains("renditions") && v["renditions"].is_array())
        for (const auto& r : v["renditions"]) {
            if (!r.is_object() || string_field(r, "state") != "done") continue;
            const auto name = string_field(r, "name");
            const auto rsha = string_field(r, "sha256");
            auto rsize = uint_field(r, "size");
            if (name.empty() || !is_sha256_hex(rsha) || !rsize) continue;
            const auto type = string_field(r, "content_type");
            std::string ext = type == "image/webp"   ? ".webp"
                              : type == "image/jpeg" ? ".jpg"
                              : type == "image/png"  ? ".png"
                              : type == "video/mp4"  ? ".mp4"
                              : type == "audio/mp4"  ? ".m4a"
                              : type == "audio/mpeg" ? ".mp3"
                                                     : "";
            it.files.push_back({.role = name,
                                .target = api_target(ctx.server(),
                                                     {"api", "v1", "assets", it.asset_id, "versions",
                                                      n, "renditions", name}),
                                .sha256 = rsha,
                                .size = *rsize,
                                .path = {},
                                .name = name + ext});
        }
    return it;
}

// Where each item goes. Items are in asset id (creation) order, so an asset
// keeps its folder while newer ones come; an asset whose folder name would
// match an earlier one's (same title and the same last 8 id characters, the random ones,
// compared as FAT compares: without case, and here without accents too)
// gets the whole id instead.
void place_items(std::vector<export_item>& items) {
    std::set<std::string> taken;
    for (auto& it : items) {
        std::string campaign = it.campaign.empty()
                                   ? k_no_campaign
                                   : portable_name(it.campaign, k_max_campaign_chars, false);
        if (fold_for_search(campaign) == fold_for_search(k_manifest) ||
            fold_for_search(campaign) == fold_for_search(k_catalogue))
            campaign.insert(0, "_");
        const std::string title = portable_text(it.title, k_max_title_chars, false);
        std::string folder =
            campaign + "/" + title + " (" + it.asset_id.substr(it.asset_id.size() - 8) + ")";
        if (!taken.insert(fold_for_search(folder)).second) {
            folder = campaign + "/" + title + " (" + it.asset_id + ")";
            taken.insert(fold_for_search(folder));
        }
        // The original beside its renditions folder ("renditions/thumb.webp").
        for (std::size_t i = 0; i < it.files.size(); ++i)
            it.files[i].path = folder + (i == 0 ? "/" : "/renditions/") +
                               portable_name(it.files[i].name, k_max_file_chars, true);
    }
}

std::vector<export_item> list_published(context& ctx, const export_options& o) {
    query_list q{{"limit", "200"}};
    if (!o.unit.empty()) q.emplace_back("unit", o.unit);
    std::vector<export_item> items;
    std::set<std::string> seen;
    for_each_listed(ctx, {"api", "v1", "published"}, q, "listing the published material",
                    [&](const json& j) {
                        auto it = item_from_listing(ctx, j);
                        if (!it)
                            throw command_error(
                                "the server's list of published material has an item without "
                                "an id, version number, size or SHA-256");
                        if (seen.insert(it->asset_id).second) items.push_back(std::move(*it));
                        return true;
                    });
    std::sort(items.begin(), items.end(),
              [](const auto& a, const auto& b) { return a.asset_id < b.asset_id; });
    place_items(items);
    return items;
}

// ---- The manifest (kho-export.json) ----

struct manifest {
    std::vector<export_item> items;    // what is in DEST, verified
    std::vector<std::string> pending;  // paths a run may have left (interrupted)
    std::string unit;
};

ordered_json to_json(const export_item& it) {
    ordered_json renditions = ordered_json::array();
    for (std::size_t i = 1; i < it.files.size(); ++i)
        renditions.push_back({{"name", it.files[i].role},
                              {"sha256", it.files[i].sha256},
                              {"size", it.files[i].size},
                              {"path", it.files[i].path}});
    auto or_null = [](const std::string& s) {
        return s.empty() ? ordered_json(nullptr) : ordered_json(s);
    };
    return {{"asset_id", it.asset_id},
            {"version", it.version},
            {"title", it.title},
            {"kind", it.kind},
            {"campaign", it.campaign},
            {"tags", it.tags},
            {"description", it.description},
            {"language", it.language},
            {"valid_from", or_null(it.valid_from)},
            {"valid_until", or_null(it.valid_until)},
            {"sha256", it.files.front().sha256},
            {"size", it.files.front().size},
            {"path", it.files.front().path},
            {"renditions", std::move(renditions)}};
}

std::optional<export_file> file_from_json(const json& j, std::string role) {
    auto size = uint_field(j, "size");
    export_file f{.role = std::move(role),
                  .target = {},
                  .sha256 = string_field(j, "sha256"),
                  .size = size.value_or(0),
                  .path = string_field(j, "path"),
                  .name = {}};
    if (!size || !is_sha256_hex(f.sha256) || !is_safe_relative(f.path)) return std::nullopt;
    return f;
}

std::optional<export_item> item_from_json(const json& j) {
    if (!j.is_object()) return std::nullopt;
    auto original = file_from_json(j, "original");
    auto version = uint_field(j, "version");
    if (!original || !version || *version > UINT32_MAX) return std::nullopt;
    export_item it;
    it.asset_id = string_field(j, "asset_id");
    it.version = static_cast<std::uint32_t>(*version);
    it.title = string_field(j, "title");
    it.kind = string_field(j, "kind");
    it.campaign = string_field(j, "campaign");
    it.tags = tags_of(j);
    it.description = string_field(j, "description");
    it.language = string_field(j, "language");
    it.valid_from = string_field(j, "valid_from");
    it.valid_until = string_field(j, "valid_until");
    it.files.push_back(std::move(*original));
    if (auto r = j.find("renditions"); r != j.end() && r->is_array())
        for (const auto& rj : *r)
            if (auto f = file_from_json(rj, string_field(rj, "name")); f && !f->role.empty())
                it.files.push_back(std::move(*f));
    return it;
}

// The previous run's manifest; empty when DEST has none. Entries whose paths
// would leave DEST are dropped (a hand-edited manifest must not make the
// export remove anything outside it).
manifest read_manifest(const fs::path& dest) {
    const auto path = (dest / k_manifest).string();
    manifest m;
    if (!regular_file_size(path)) return m;
    std::string text;
    read_prefix(path, *regular_file_size(path), [&](std::string_view d) { text += d; });
    auto j = json::parse(text, nullptr, false);
    if (!j.is_object() || j.value("format", 0) != k_manifest_format || !j.contains("items"))
        throw command_error(path +
                            " is not a manifest of kho export; move it away or export into "
                            "another folder");
    m.unit = string_field(j, "unit");
    for (const auto& item : j["items"]) {
        if (auto it = item_from_json(item))
            m.items.push_back(std::move(*it));
        else
            std::cerr << "kho: ignoring a malformed entry of " << terminal_safe(path) << '\n';
    }
    if (auto p = j.find("pending"); p != j.end() && p->is_array())
        for (const auto& s : *p)
            if (s.is_string() && is_safe_relative(s.get<std::string>()))
                m.pending.push_back(s.get<std::string>());
    return m;
}

ordered_json manifest_json(const global_options& g, const std::string& unit, const manifest& m) {
    ordered_json items = ordered_json::array();
    for (const auto& it : m.items) items.push_back(to_json(it));
    ordered_json j{{"format", k_manifest_format},
                   {"server", g.url},
                   {"unit", unit.empty() ? ordered_json(nullptr) : ordered_json(unit)},
                   {"exported_at", format_rfc3339(kho::clock().now())},
                   {"items", std::move(items)}};
    if (!m.pending.empty()) j["pending"] = m.pending;
    return j;
}

std::string manifest_text(const global_options& g, const std::string& unit, const manifest& m) {
    return manifest_json(g, unit, m).dump(2, ' ', false, ordered_json::error_handler_t::replace) +
           "\n";
}

// ---- The catalogue (danh-muc.csv) ----

std::string catalogue_csv(const std::vector<export_item>& items) {
    std::string out(csv_bom);  // so that Excel on Windows reads UTF-8
    out +=
        "title,kind,campaign,tags,description,version,file,sha256,size,valid_from,valid_until\r\n";
    for (const auto& it : items) {
        std::string tags;
        for (const auto& t : it.tags) tags += (tags.empty() ? "" : ", ") + t;
        const auto& f = it.files.front();
        // Owned strings: some cells are temporaries (numbers as text).
        const std::pair<std::string, bool> cells[] = {
            {it.title, true},       {it.kind, false},       {it.campaign, true},
            {tags, true},           {it.description, true}, {std::to_string(it.version), false},
            {f.path, false},        {f.sha256, false},      {std::to_string(f.size), false},
            {it.valid_from, false}, {it.valid_until, false}};
        bool first = true;
        for (const auto& [cell, is_text] : cells) {
            if (!first) out += ',';
            first = false;
            // Text that Excel would take for a formula gets a leading
            // apostrophe, so that "- Dùng cho lớp 10" stays text.
            if (is_text)
                append_csv_text(out, to_valid_utf8(cell));
            else
                append_csv_cell(out, to_valid_utf8(cell));
        }
        out += "\r\n";
    }
    return out;
}

// ---- Files ----

[[noreturn]] void fail(const std::string& what, const fs::path& p, int err) {
    throw command_error("cannot " + what + " " + terminal_safe(p.string()) + ": " +
                        std::strerror(err));
}

// Flushes a file (or a directory's entries) to the device: a USB drive
// pulled out right after the export must hold what the manifest says.
void sync_path(const fs::path& p, bool directory = false) {
    const int fd = ::open(p.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) fail("open", p, errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    // Some file systems cannot sync a directory; files must sync.
    if (rc != 0 && !(directory && (err == EINVAL || err == EBADF))) fail("flush", p, err);
}

// Replaces `file` with `data`: a temporary file in the same folder, flushed,
// then renamed over the old one.
void write_atomically(const fs::path& file, std::string_view data) {
    const fs::path tmp = file.parent_path() / ("." + file.filename().string() + ".tmp");
    {
        output_file out(tmp.string(), output_file::mode::truncate);
        out.write(data);
    }
    sync_path(tmp);
    if (::rename(tmp.c_str(), file.c_str()) != 0) fail("replace", file, errno);
    sync_path(file.parent_path(), true);
}

std::string file_sha256(const fs::path& p, std::uint64_t size) {
    kho::sha256 h;
    read_prefix(p.string(), size, [&](std::string_view d) { h.update(d); });
    return h.finish_hex();
}

// The size of a regular file at `p` (a symbolic link is not one); nullopt otherwise.
std::optional<std::uint64_t> plain_file_size(const fs::path& p) {
    std::error_code ec;
    const auto st = fs::symlink_status(p, ec);
    if (ec || !fs::is_regular_file(st)) return std::nullopt;
    const auto size = fs::file_size(p, ec);
    return ec ? std::nullopt : std::optional(size);
}

// True when `p` holds exactly this content (size first, then SHA-256).
bool holds(const fs::path& p, const export_file& f) {
    return plain_file_size(p) == f.size && file_sha256(p, f.size) == f.sha256;
}

void make_parents(const fs::path& p) {
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    if (ec)
        throw command_error("cannot create the folder " + terminal_safe(p.parent_path().string()) +
                            ": " + ec.message());
}

// Removes a file a manifest lists (a regular file only), then the folders
// left empty on its way up (never DEST itself). True when a file was removed.
bool remove_exported(const fs::path& dest, const std::string& rel) {
    const fs::path p = dest / rel;
    const bool present = plain_file_size(p).has_value();
    if (present && ::unlink(p.c_str()) != 0 && errno != ENOENT) fail("remove", p, errno);
    for (fs::path dir = fs::path(rel).parent_path(); !dir.empty(); dir = dir.parent_path())
        if (::rmdir((dest / dir).c_str()) != 0) break;  // not empty (a file of someone else's)
    return present;
}

// ---- The run ----

struct tally {
    std::size_t copied = 0, unchanged = 0, removed = 0, failed = 0;
    std::uint64_t copied_bytes = 0;
};

class exporter {
  public:
    exporter(context& ctx, fs::path dest, manifest previous, std::vector<export_item> items)
        : ctx_(ctx),
          dest_(std::move(dest)),
          previous_(std::move(previous)),
          items_(std::move(items)) {
        for (const auto& it : items_)
            for (const auto& f : it.files) new_paths_.insert(f.path);
        for (const auto& it : previous_.items) old_by_asset_[it.asset_id] = &it;
    }

    // Every path this run may create, plus what earlier runs may have left.
    std::vector<std::string> pending_paths() const {
        std::set<std::string> all(previous_.pending.begin(), previous_.pending.end());
        for (const auto& it : items_)
            for (const auto& f : it.files) {
                all.insert(f.path);
                all.insert(f.part_path());
            }
        return {all.begin(), all.end()};
    }

    // Bytes the downloads will need at most, and bytes the removals free.
    std::pair<std::uint64_t, std::uint64_t> space_needed() const {
        std::uint64_t needed = 0, freed = 0;
        for (const auto& it : items_)
            for (const auto& f : it.files)
                if (plain_file_size(dest_ / f.path) != f.size) needed += f.size;
        for (const auto& it : previous_.items)
            for (const auto& f : it.files)
                if (!new_paths_.count(f.path)) freed += plain_file_size(dest_ / f.path).value_or(0);
        return {needed, freed};
    }

    void remove_unpublished() {
        std::set<std::string> published;
        for (const auto& it : items_) published.insert(it.asset_id);
        for (const auto& old : previous_.items) {
            if (published.count(old.asset_id)) continue;
            bool removed = false;
            for (const auto& f : old.files)
                if (!new_paths_.count(f.path) && remove_exported(dest_, f.path)) {
                    say("removed", f.path);
                    removed = true;
                }
            if (removed) ++tally_.removed;
        }
    }

    // Brings every item into place; failures (other than a lost connection,
    // which stops the run) are reported and counted, and the item keeps
    // what the previous run left.
    void copy_all() {
        for (const auto& it : items_) {
            const export_item* old = old_of(it.asset_id);
            try {
                bool copied = false;
                for (const auto& f : it.files) copied |= bring(it, f, old);
                if (old) remove_replaced(*old);
                if (copied)
                    ++tally_.copied;
                else
                    ++tally_.unchanged;
                done_.push_back(it);
            } catch (const transport_error&) {
                throw;
            } catch (const std::exception& e) {
                ++tally_.failed;
                std::cerr << "kho: " << terminal_safe(it.title) << " (" << it.asset_id
                          << ", version " << it.version << "): " << e.what() << '\n';
                for (const auto& f : it.files) {  // tracked until a later run settles them
                    left_over_.push_back(f.path);
                    left_over_.push_back(f.part_path());
                }
                if (old && all_present(*old)) done_.push_back(*old);
            }
        }
    }

    // The manifest to write once the copies are done.
    manifest result() const {
        manifest m{done_, left_over_, {}};
        std::sort(m.items.begin(), m.items.end(),
                  [](const auto& a, const auto& b) { return a.asset_id < b.asset_id; });
        return m;
    }

    // Leftovers of earlier interrupted runs that nothing needs any more.
    void remove_leftovers(const manifest& written) {
        std::set<std::string> keep(written.pending.begin(), written.pending.end());
        for (const auto& it : written.items)
            for (const auto& f : it.files) keep.insert(f.path);
        for (const auto& p : previous_.pending)
            if (!keep.count(p)) remove_exported(dest_, p);
    }

    const tally& counts() const { return tally_; }

  private:
    const export_item* old_of(const std::string& id) const {
        auto found = old_by_asset_.find(id);
        return found == old_by_asset_.end() ? nullptr : found->second;
    }

    bool all_present(const export_item& it) const {
        return std::all_of(it.files.begin(), it.files.end(), [&](const export_file& f) {
            return plain_file_size(dest_ / f.path) == f.size;
        });
    }

    void say(std::string_view what, const std::string& path) const {
        if (!ctx_.json()) std::cout << what << ' ' << terminal_safe(path) << std::endl;
    }

    // Puts one file in place; true when it had to be downloaded.
    bool bring(const export_item& it, const export_file& f, const export_item* old) {
        const fs::path to = dest_ / f.path;
        // 1. The previous run wrote this very file: trust its size.
        if (old)
            for (const auto& of : old->files)
                if (of.path == f.path && of.sha256 == f.sha256 && plain_file_size(to) == f.size)
                    return false;
        // 2. An interrupted run put it there before writing its manifest.
        if (plain_file_size(to) == f.size && holds(to, f)) return false;
        // 3. The same bytes under the asset's previous name (the title changed).
        if (old)
            for (const auto& of : old->files)
                if (of.sha256 == f.sha256 && of.path != f.path && !new_paths_.count(of.path) &&
                    holds(dest_ / of.path, f)) {
                    make_parents(to);
                    if (::rename((dest_ / of.path).c_str(), to.c_str()) != 0)
                        fail("move", dest_ / of.path, errno);
                    remove_exported(dest_, of.path);  // only its empty folders are left
                    say("moved", f.path);
                    return false;
                }
        download(it, f);
        return true;
    }

    void download(const export_item& it, const export_file& f) {
        const fs::path to = dest_ / f.path;
        const fs::path part = dest_ / f.part_path();
        make_parents(to);
        bool ready = false;
        std::uint64_t resume_from = 0;
        if (auto have = plain_file_size(part)) {
            if (*have == f.size && file_sha256(part, f.size) == f.sha256)
                ready = true;  // complete, but the rename did not happen
            else if (*have > 0 && *have < f.size)
                resume_from = *have;
        }
        if (!ready) {
            try {
                const auto got = download_file(
                    ctx_, {.target = f.target,
                           .path = part.string(),
                           .resume_from = resume_from,
                           .if_range = "\"" + f.sha256 + "\"",
                           .what = it.title + " (" + it.asset_id + ", version " +
                                   std::to_string(it.version) + ")",
                           .label = terminal_safe(fs::path(f.path).filename().string()),
                           .interrupted_advice = ": run the export again to resume",
                           .resumed_mismatch_advice = {}});
                if (got.sha256 != f.sha256)
                    throw command_error("the server sent other bytes than it listed (SHA-256 " +
                                        got.sha256 + ", listed " + f.sha256 + ")");
            } catch (const command_error&) {
                // Whole but wrong: start afresh next time. A part cut short by an
                // HTTP error (503 while the server is busy, say) is kept to resume.
                if (plain_file_size(part).value_or(0) >= f.size) ::unlink(part.c_str());
                throw;
            }
        }
        sync_path(part);
        if (::rename(part.c_str(), to.c_str()) != 0) fail("rename", part, errno);
        sync_path(to.parent_path(), true);
        tally_.copied_bytes += f.size;
        say("copied", f.path);
    }

    // The previous version's files that the new one did not overwrite.
    void remove_replaced(const export_item& old) {
        for (const auto& f : old.files)
            if (!new_paths_.count(f.path)) remove_exported(dest_, f.path);
    }

    context& ctx_;
    fs::path dest_;
    manifest previous_;
    std::vector<export_item> items_;
    std::set<std::string> new_paths_;
    std::map<std::string, const export_item*> old_by_asset_;
    std::vector<export_item> done_;
    std::vector<std::string> left_over_;
    tally tally_;
};

}  // namespace

int run_export(const global_options& g, const export_options& o) {
    if (!o.approved)
        throw usage_error(
            "kho export needs --approved: only approved, published material may leave the "
            "server, and that is the only kind of export for now");
    context ctx(g, true);
    const fs::path dest = fs::absolute(o.destination).lexically_normal();
    std::error_code ec;
    if (fs::exists(dest, ec) && !fs::is_directory(dest, ec))
        throw usage_error(terminal_safe(dest.string()) + " exists and is not a folder");

    // 1. What to export, and what the previous run left.
    manifest previous = read_manifest(dest);
    auto items = list_published(ctx, o);
    if (!previous.items.empty() && previous.unit != o.unit)
        std::cerr << "kho: " << terminal_safe(dest.string()) << " held the export for "
                  << (previous.unit.empty() ? "no particular unit" : terminal_safe(previous.unit))
                  << "; what the new one does not include is removed\n";
    fs::create_directories(dest, ec);
    if (ec)
        throw command_error("cannot create the folder " + terminal_safe(dest.string()) + ": " +
                            ec.message());
    exporter run(ctx, dest, previous, std::move(items));

    const auto [needed, freed] = run.space_needed();
    if (auto space = fs::space(dest, ec); !ec && needed > space.available + freed)
        throw command_error("the export needs up to " + human_bytes(needed) + " but " +
                            terminal_safe(dest.string()) + " has " +
                            human_bytes(space.available + freed) + " free");

    // 2. Record every path this run may create before creating any.
    manifest journal = previous;
    journal.pending = run.pending_paths();
    write_atomically(dest / k_manifest, manifest_text(g, previous.unit, journal));

    // 3-4. Remove, then copy.
    run.remove_unpublished();
    run.copy_all();

    // 5. The catalogue, then the manifest that commits the run.
    const manifest written = run.result();
    write_atomically(dest / k_catalogue, catalogue_csv(written.items));
    write_atomically(dest / k_manifest, manifest_text(g, o.unit, written));
    run.remove_leftovers(written);

    const tally& t = run.counts();
    if (ctx.json()) {
        std::cout << dump_json(json{{"destination", dest.string()},
                                    {"copied", t.copied},
                                    {"copied_bytes", t.copied_bytes},
                                    {"unchanged", t.unchanged},
                                    {"removed", t.removed},
                                    {"failed", t.failed}})
                  << '\n';
    } else {
        std::cout << "copied " << t.copied << " (" << human_bytes(t.copied_bytes) << "), unchanged "
                  << t.unchanged << ", removed " << t.removed;
        if (t.failed) std::cout << ", failed " << t.failed;
        std::cout << '\n';
    }
    if (t.failed)
        throw command_error(std::to_string(t.failed) +
                            " item(s) could not be copied (see above); the others are in place: "
                            "run the export again");
    return exit_ok;
}

}  // namespace kho::cli
