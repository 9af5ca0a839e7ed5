#pragma once
// One file streamed to the server as a new asset (or as a new version with
// o.version_of), with a progress bar on a terminal. Used by kho upload and
// kho import.

#include "tools/commands.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace kho::cli {

// Returns the server's answer (the asset, or the version). Throws
// command_error with the problem's detail on an HTTP error, transport_error
// when the server cannot be reached.
nlohmann::json upload_file(context& ctx, const upload_options& o, const std::string& path);

}  // namespace kho::cli
