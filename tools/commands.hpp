#pragma once
// The kho subcommands. main.cpp parses the command line into these option
// structs and calls run_*; each returns the exit code (see context.hpp) or
// throws usage_error / command_error / transport_error.
//
// Empty strings and zero numbers mean "not given".

#include "tools/context.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kho::cli {

// kho status: readiness plus stored blob count and bytes. Needs no token.
// Exit 1 when the server answers but is not ready.
int run_status(const global_options& g);

struct list_options {
    std::string kind, tag, campaign;
    bool trash = false;
    std::uint64_t limit = 0;  // 0: all
};
// kho ls: follows next_cursor; a table of id, kind, version count, title.
int run_list(const global_options& g, const list_options& o);

struct show_options {
    std::string id;
};
// kho show: the asset with its versions.
int run_show(const global_options& g, const show_options& o);

struct upload_options {
    std::vector<std::string> files;
    std::string title, description, tags, kind, campaign, language;
    std::string version_of;  // upload as a new version of this asset
};
// kho upload: each file streamed as a raw body; continues after a failed file
// and exits 1 when any failed.
int run_upload(const global_options& g, const upload_options& o);

struct download_options {
    std::string id;
    std::string output;         // empty: the server's file name in the current directory
    std::uint32_t version = 0;  // 0: the latest
    bool force = false;         // replace an existing file instead of resuming or refusing
};
// kho download: streams the original to a file, resumes a shorter existing
// file, verifies SHA-256 against the ETag.
int run_download(const global_options& g, const download_options& o);

struct gc_options {
    bool dry_run = false;
};
// kho gc: removes blobs nothing references and expired uploads (admin).
int run_gc(const global_options& g, const gc_options& o);

struct verify_options {
    std::uint64_t max_mb_per_second = 200;  // 0: unlimited
};
// kho verify: re-hashes every referenced blob on the server; exit 1 when any
// is missing or corrupt, listing the versions that use it.
int run_verify(const global_options& g, const verify_options& o);

struct import_options {
    std::string directory;
    std::string metadata;  // CSV or JSON sidecar; default: DIR/kho-import.csv or .json
};
// kho import: every file under the folder (hidden ones excepted) becomes an
// asset; files whose bytes the server has are skipped, so re-running resumes.
// Exit 1 when any file was refused.
int run_import(const global_options& g, const import_options& o);

struct backup_options {
    std::string destination;  // a directory on the server's machine
};
// kho backup: an online backup (database checkpoint + new blobs) written by
// the server into `destination`; re-running it copies only new blobs.
int run_backup(const global_options& g, const backup_options& o);

struct restore_options {
    std::string source, data_dir;
};
// kho restore: offline, copies a backup into a new data directory; refuses a
// directory in use by a server or not empty.
int run_restore(const global_options& g, const restore_options& o);

// The asset kinds the server knows, for option validation.
const std::vector<std::string>& asset_kinds();

}  // namespace kho::cli
