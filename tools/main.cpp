// kho: the command-line client for a running kho-server. This file only wires
// the command line (CLI11) to the commands in tools/commands_*.cpp.

#include "tools/commands.hpp"
#include "tools/http_client.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <functional>
#include <iostream>
#include <vector>

namespace {

using namespace kho::cli;

void add_global_options(CLI::App& app, global_options& g) {
    app.add_option("--url", g.url, "Server URL (plain http://)")
        ->envname("KHO_URL")
        ->capture_default_str();
    app.add_option("--token", g.token,
                   "API token; prefer KHO_TOKEN, since arguments are visible to other users")
        ->envname("KHO_TOKEN");
    app.add_flag("--json", g.json, "Machine-readable JSON output");
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);  // a closed stdout or socket is an error, not a crash

    CLI::App app{"kho: manage the assets of a kho server over its HTTP API", "kho"};
    app.fallthrough();  // global options also after the subcommand
    app.require_subcommand(1);
    global_options g;
    add_global_options(app, g);
    std::vector<std::pair<CLI::App*, std::function<int()>>> commands;

    auto* status =
        app.add_subcommand("status", "Show whether the server is ready and what it stores");
    commands.emplace_back(status, [&] { return run_status(g); });

    list_options list;
    auto* ls = app.add_subcommand("ls", "List assets, newest first");
    ls->add_option("--kind", list.kind, "Only this kind")->check(CLI::IsMember(asset_kinds()));
    ls->add_option("--tag", list.tag, "Only assets with this tag");
    ls->add_option("--campaign", list.campaign, "Only assets of this campaign");
    ls->add_flag("--trash", list.trash, "List the trash instead");
    ls->add_option("--limit", list.limit, "At most this many (default: all)")
        ->check(CLI::PositiveNumber);
    commands.emplace_back(ls, [&] { return run_list(g, list); });

    show_options show;
    auto* show_cmd = app.add_subcommand("show", "Show an asset with its versions");
    show_cmd->add_option("id", show.id, "Asset id")->required();
    commands.emplace_back(show_cmd, [&] { return run_show(g, show); });

    upload_options up;
    auto* upload = app.add_subcommand("upload", "Upload files as new assets (or as new versions)");
    upload->add_option("files", up.files, "Files to upload")->required();
    std::vector<CLI::Option*> metadata{
        upload->add_option("--title", up.title, "Title (default: the file name)"),
        upload->add_option("--description", up.description, "Description"),
        upload->add_option("--tags", up.tags, "Comma-separated tags"),
        upload->add_option("--kind", up.kind, "Kind (default: inferred from the type)")
            ->check(CLI::IsMember(asset_kinds())),
        upload->add_option("--campaign", up.campaign, "Campaign"),
        upload->add_option("--language", up.language, "Language (default: vi)")};
    auto* version_of =
        upload->add_option("--version-of", up.version_of,
                           "Upload as a new version of this asset (no metadata options)");
    for (auto* m : metadata) version_of->excludes(m);
    commands.emplace_back(upload, [&] { return run_upload(g, up); });

    download_options down;
    auto* download =
        app.add_subcommand("download", "Download an original, resuming a partial file");
    download->add_option("id", down.id, "Asset id")->required();
    download->add_option("-o,--output", down.output,
                         "Output file (default: the server's file name)");
    download->add_option("--version", down.version, "Version number (default: the latest)")
        ->check(CLI::PositiveNumber);
    download->add_flag("--force", down.force,
                       "Replace an existing file instead of resuming or refusing");
    commands.emplace_back(download, [&] { return run_download(g, down); });

    import_options imp;
    auto* import_cmd = app.add_subcommand(
        "import", "Import a folder tree; files the server already has are skipped");
    import_cmd->add_option("directory", imp.directory, "Folder to import")->required();
    import_cmd->add_option("--metadata", imp.metadata,
                           "CSV or JSON sidecar (default: kho-import.csv/.json in the folder)");
    commands.emplace_back(import_cmd, [&] { return run_import(g, imp); });

    export_options exp;
    auto* export_cmd = app.add_subcommand(
        "export", "Copy what a unit may use into a folder, e.g. a USB drive (incremental)");
    export_cmd->add_option("destination", exp.destination, "Folder to export into")->required();
    export_cmd->add_flag("--approved", exp.approved,
                         "Export approved, published material (required; the only mode for now)");
    export_cmd->add_option("--unit", exp.unit,
                           "Code of the unit whose material to export (default: all you may see)");
    commands.emplace_back(export_cmd, [&] { return run_export(g, exp); });

    gc_options gc;
    auto* gc_cmd = app.add_subcommand("gc", "Remove blobs nothing references and expired uploads");
    gc_cmd->add_flag("--dry-run", gc.dry_run, "Only report what would be removed");
    commands.emplace_back(gc_cmd, [&] { return run_gc(g, gc); });

    auto* reindex_cmd =
        app.add_subcommand("reindex", "Rebuild the catalog's search index from the records");
    commands.emplace_back(reindex_cmd, [&] { return run_reindex(g); });

    migrate_blobs_options migrate;
    auto* migrate_cmd = app.add_subcommand(
        "migrate-blobs",
        "Move the server's local blobs into its S3 bucket while it keeps serving (resumable)");
    migrate_cmd->add_option("--to", migrate.to, "the destination: s3")
        ->required()
        ->check(CLI::IsMember({"s3"}));
    migrate_cmd->add_flag("--no-wait", migrate.no_wait, "start it and return");
    commands.emplace_back(migrate_cmd, [&] { return run_migrate_blobs(g, migrate); });

    verify_options verify;
    auto* verify_cmd = app.add_subcommand(
        "verify", "Re-hash every stored original; exit 1 when any is missing or corrupt");
    verify_cmd
        ->add_option("--max-mb-per-second", verify.max_mb_per_second,
                     "Read rate limit on the server (0: unlimited)")
        ->capture_default_str();
    commands.emplace_back(verify_cmd, [&] { return run_verify(g, verify); });

    backup_options backup;
    auto* backup_cmd = app.add_subcommand(
        "backup", "Back up the running server into a directory of its machine (incremental)");
    backup_cmd->add_option("destination", backup.destination, "Backup directory")->required();
    commands.emplace_back(backup_cmd, [&] { return run_backup(g, backup); });

    restore_options restore;
    auto* restore_cmd = app.add_subcommand(
        "restore", "Copy a backup into a new data directory (offline, no server needed)");
    restore_cmd->add_option("source", restore.source, "Backup directory")->required();
    restore_cmd->add_option("data_dir", restore.data_dir, "New data directory")->required();
    commands.emplace_back(restore_cmd, [&] { return run_restore(g, restore); });

    auto* users = app.add_subcommand("users", "Manage people's accounts (admin)");
    users->require_subcommand(1);

    user_add_options user_add;
    auto* users_add =
        users->add_subcommand("add", "Create an account; prints the generated first password once");
    users_add->add_option("username", user_add.username, "Sign-in name: a-z, 0-9 and . _ @ -")
        ->required();
    users_add->add_option("--name", user_add.display_name, "Display name, e.g. \"Nguyễn Thị Lan\"")
        ->required();
    users_add->add_option("--role", user_add.role, "Role")
        ->required()
        ->check(CLI::IsMember(user_roles()));
    users_add->add_option("--unit", user_add.unit, "Code of the unit the person belongs to");
    users_add->add_flag("--password-stdin", user_add.password_stdin,
                        "Read the password from the first line of stdin instead of generating one");
    commands.emplace_back(users_add, [&] { return run_user_add(g, user_add); });

    user_list_options user_list;
    auto* users_list = users->add_subcommand("list", "List accounts by user name");
    users_list->add_option("--role", user_list.role, "Only this role")
        ->check(CLI::IsMember(user_roles()));
    users_list->add_option("--unit", user_list.unit, "Only members of this unit (code)");
    users_list->add_option("--query", user_list.query,
                           "Only names containing this text (accents optional)");
    commands.emplace_back(users_list, [&] { return run_user_list(g, user_list); });

    user_enable_options user_disable{.username = {}, .disabled = true};
    auto* users_disable = users->add_subcommand(
        "disable", "Disable an account; its sessions and API tokens stop working at once");
    users_disable->add_option("username", user_disable.username, "User name")->required();
    commands.emplace_back(users_disable, [&] { return run_user_enable(g, user_disable); });

    user_enable_options user_enable{.username = {}, .disabled = false};
    auto* users_enable = users->add_subcommand("enable", "Enable a disabled account");
    users_enable->add_option("username", user_enable.username, "User name")->required();
    commands.emplace_back(users_enable, [&] { return run_user_enable(g, user_enable); });

    user_password_options user_password;
    auto* users_password = users->add_subcommand(
        "reset-password", "Set a new password (generated and printed once unless given)");
    users_password->add_option("username", user_password.username, "User name")->required();
    users_password->add_flag("--password-stdin", user_password.password_stdin,
                             "Read the password from the first line of stdin");
    commands.emplace_back(users_password,
                          [&] { return run_user_reset_password(g, user_password); });

    user_role_options user_role;
    auto* users_role = users->add_subcommand("set-role", "Change an account's role (and unit)");
    users_role->add_option("username", user_role.username, "User name")->required();
    users_role->add_option("role", user_role.role, "New role")
        ->required()
        ->check(CLI::IsMember(user_roles()));
    users_role->add_option("--unit", user_role.unit, "New unit (code)");
    commands.emplace_back(users_role, [&] { return run_user_set_role(g, user_role); });

    auto* tokens = app.add_subcommand("tokens", "Manage your own API tokens");
    tokens->require_subcommand(1);

    token_create_options token_create;
    auto* tokens_create =
        tokens->add_subcommand("create", "Create an API token for scripts; printed once");
    tokens_create->add_option("--label", token_create.label, "What the token is for")->required();
    tokens_create->add_option("--expires", token_create.expires,
                              "Expiry as RFC 3339, e.g. 2027-01-01T00:00:00Z (default: never)");
    commands.emplace_back(tokens_create, [&] { return run_token_create(g, token_create); });

    auto* tokens_list = tokens->add_subcommand("list", "List your sessions and API tokens");
    commands.emplace_back(tokens_list, [&] { return run_token_list(g); });

    token_revoke_options token_revoke;
    auto* tokens_revoke = tokens->add_subcommand("revoke", "Revoke a token or session at once");
    tokens_revoke->add_option("id", token_revoke.id, "Token id (from kho tokens list)")->required();
    commands.emplace_back(tokens_revoke, [&] { return run_token_revoke(g, token_revoke); });

    auto* units = app.add_subcommand("units", "Manage the unit tree (Bộ, Sở, schools)");
    units->require_subcommand(1);

    units_import_options units_import;
    auto* units_import_cmd =
        units->add_subcommand("import", "Create or update units from a CSV file (all or nothing)");
    units_import_cmd
        ->add_option("file", units_import.file, "CSV with code,name,parent_code,province,level")
        ->required();
    commands.emplace_back(units_import_cmd, [&] { return run_units_import(g, units_import); });

    units_export_options units_export;
    auto* units_export_cmd =
        units->add_subcommand("export", "Write every unit as CSV (UTF-8 with BOM, for Excel)");
    units_export_cmd->add_option("-o,--output", units_export.output,
                                 "Output file (default: standard output)");
    commands.emplace_back(units_export_cmd, [&] { return run_units_export(g, units_export); });

    units_list_options units_list;
    auto* units_list_cmd = units->add_subcommand("list", "List units by code");
    units_list_cmd->add_option("--parent", units_list.parent, "Only children of this unit");
    units_list_cmd->add_option("--province", units_list.province, "Only this province");
    units_list_cmd->add_option("--level", units_list.level, "Only this education level")
        ->check(CLI::IsMember(education_levels()));
    units_list_cmd->add_option("--query", units_list.query,
                               "Only codes or names containing this text (accents optional)");
    commands.emplace_back(units_list_cmd, [&] { return run_units_list(g, units_list); });

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help
        std::cerr << "kho: " << e.what() << " (see --help)\n";
        return exit_usage;
    }
    try {
        for (auto& [cmd, run] : commands)
            if (cmd->parsed()) return run();
        return exit_usage;
    } catch (const usage_error& e) {
        std::cerr << "kho: " << e.what() << '\n';
        return exit_usage;
    } catch (const std::exception& e) {
        std::cerr << "kho: " << e.what() << '\n';
        return exit_failure;
    }
}
