#pragma once
// The kho subcommands. main.cpp parses the command line into these option
// structs and calls run_*; each returns the exit code (see context.hpp) or
// throws usage_error / command_error / transport_error.
//
// Empty strings and zero numbers mean "not given".

#include "tools/api_target.hpp"
#include "tools/context.hpp"

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
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

// kho reindex: rebuilds the catalog's search index from the records (admin).
int run_reindex(const global_options& g);

struct migrate_blobs_options {
    std::string to;  // "s3"
    bool no_wait = false;
};
// kho migrate-blobs --to s3: moves the server's local blobs into its S3
// bucket (online, resumable), printing progress until done (admin).
int run_migrate_blobs(const global_options& g, const migrate_blobs_options& o);

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

struct export_options {
    std::string destination;  // a folder, created when missing (a USB drive, say)
    bool approved = false;    // required: approved, published material is the only mode for now
    std::string unit;         // unit code; empty: what the caller may see (admin: everything)
};
// kho export: copies each asset's newest approved, in-window version offered
// to the unit (GET /api/v1/published) into DEST/<campaign>/<title> (<id8>)/,
// with DEST/danh-muc.csv (a catalogue for Excel) and DEST/kho-export.json
// (the manifest). Re-running copies only what changed and removes what is no
// longer published, but never a file the manifest does not list. An
// interrupted run is completed by running it again. Exit 1 when any item
// failed (the others are in place).
int run_export(const global_options& g, const export_options& o);

// ---- People, credentials and units (commands_people.cpp, commands_units.cpp) ----
// A USERNAME argument is the sign-in name; the commands that change an
// account look its id up with GET /api/v1/users?q= and the exact match, and
// fail with "no user is named ..." otherwise.

struct user_add_options {
    std::string username, display_name, role;
    std::string unit;             // unit code; empty: none
    bool password_stdin = false;  // first line of stdin; otherwise the server generates one
};
// kho users add: POST /api/v1/users; prints the account and, when the server
// generated it, the initial password (once: the server keeps only its hash).
int run_user_add(const global_options& g, const user_add_options& o);

struct user_list_options {
    std::string role, unit, query;
};
// kho users list: follows next_cursor; a table of user name, display name,
// role, unit and whether the account is disabled.
int run_user_list(const global_options& g, const user_list_options& o);

struct user_enable_options {
    std::string username;
    bool disabled = false;  // what to set
};
// kho users disable / enable: PATCH {"disabled": ...}. Disabling also ends
// every session and API token of the account (server side).
int run_user_enable(const global_options& g, const user_enable_options& o);

struct user_password_options {
    std::string username;
    bool password_stdin = false;  // first line of stdin; otherwise the server generates one
};
// kho users reset-password: POST /api/v1/users/{id}/password; prints a
// generated password once. The user's sessions end; API tokens stay.
int run_user_reset_password(const global_options& g, const user_password_options& o);

struct user_role_options {
    std::string username, role;
    std::string unit;  // empty: unchanged
};
// kho users set-role: PATCH {role[, unit]}.
int run_user_set_role(const global_options& g, const user_role_options& o);

struct token_create_options {
    std::string label;
    std::string expires;  // RFC 3339; empty: never
};
// kho tokens create: a personal API token of the caller, printed once.
int run_token_create(const global_options& g, const token_create_options& o);

// kho tokens list: the caller's sessions and API tokens, newest first.
int run_token_list(const global_options& g);

struct token_revoke_options {
    std::string id;
};
// kho tokens revoke: DELETE /api/v1/tokens/{id}; it stops working at once.
int run_token_revoke(const global_options& g, const token_revoke_options& o);

struct units_import_options {
    std::string file;
};
// kho units import: streams a CSV (code,name,parent_code,province,level) to
// POST /api/v1/units/import. All or nothing: on 422 every bad row is printed
// as "line N: message" on stderr and the exit code is 1.
int run_units_import(const global_options& g, const units_import_options& o);

struct units_export_options {
    std::string output;  // empty: standard output
};
// kho units export: the server's CSV byte for byte (byte order mark included).
int run_units_export(const global_options& g, const units_export_options& o);

struct units_list_options {
    std::string parent, province, level, query;
};
// kho units list: follows next_cursor; a table of code, name, parent,
// province and level, ordered by code.
int run_units_list(const global_options& g, const units_list_options& o);

// The asset kinds the server knows, for option validation.
const std::vector<std::string>& asset_kinds();
// The roles and the education levels (without "none"), likewise.
const std::vector<std::string>& user_roles();
const std::vector<std::string>& education_levels();

// Calls `on_item` with every item of a paged listing (`items` plus
// `next_cursor`), following the cursor; stops when `on_item` returns false.
// `what` names the listing in errors ("listing users: ...").
void for_each_listed(context& ctx, std::initializer_list<std::string_view> segments,
                     const query_list& query, std::string_view what,
                     const std::function<bool(const nlohmann::json&)>& on_item);

// Prints rows as columns padded to their widest cell, counted in characters
// so that Vietnamese lines up; the first row is the header. Cells must
// already be terminal_safe; the last column is not padded.
void print_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace kho::cli
