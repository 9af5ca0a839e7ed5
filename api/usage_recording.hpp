#pragma once
// Download usage, recorded when a download response has gone out (see
// storage/usage_store.hpp for how requests of one download count once).

#include "api/http_message.hpp"
#include "storage/usage_store.hpp"

namespace kho::api {

struct app;

// Fills in who downloaded (user and unit, from the request's principal),
// the representation's ETag and size (from the response) and makes the
// response record the event once sent. Only 200 and 206 responses count.
void record_usage(app& a, const request& req, response& r, storage::download_subject s);

}  // namespace kho::api
