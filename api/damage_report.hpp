#pragma once
// What the session does when a blob it sends does not hash to its digest
// (file_segment::verify_sha256): the connection is already aborted; this
// logs the damage and records it in the damage registry
// (storage/damage_registry.hpp), so that the asset shows "damaged": true
// and `kho verify` lists it. The record is written on the blocking pool.

#include <string>

namespace kho::api {

struct app;

void report_damaged_blob(app& a, const std::string& sha256_hex, const std::string& detail);

}  // namespace kho::api
