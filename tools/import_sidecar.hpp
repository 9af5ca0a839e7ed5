#pragma once
// Metadata for `kho import`, from a CSV or JSON sidecar:
//
//   file,title,description,tags,kind,campaign,language      (CSV: UTF-8, BOM allowed,
//   posters/nq71.png,"Áp phích, Nghị quyết 71",,"nq71,poster",poster,NQ71,vi   RFC 4180 quoting)
//
//   {"posters/nq71.png": {"title": "Áp phích Nghị quyết 71", "tags": "nq71,poster"}}
//   or [{"file": "posters/nq71.png", "title": "..."}]                    (JSON)
//
// `file` is the path relative to the imported folder. Every row is checked
// before anything is uploaded: a sidecar with any bad row is a usage error
// naming each bad row.

#include "tools/commands.hpp"

#include <map>
#include <string>

namespace kho::cli {

// Relative path -> metadata (the upload_options fields other than files).
using sidecar = std::map<std::string, upload_options>;

sidecar read_sidecar(const std::string& path);

// Exposed for tests: parses CSV text.
sidecar parse_csv_sidecar(std::string_view text);
sidecar parse_json_sidecar(std::string_view text);

}  // namespace kho::cli
