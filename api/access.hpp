#pragma once
// The bridge between handlers and the policy (core/policy.hpp): gather the
// facts about a resource, ask authorize(), turn its answer into an error.
// Handlers never decide access themselves.

#include "api/http_message.hpp"
#include "core/asset.hpp"
#include "core/audit.hpp"
#include "core/policy.hpp"

#include <vector>

namespace kho::api {

struct app;

// Who acts, for audit entries.
audit_context audit_who(const request& req);

version_facts facts_of(const asset_version& v);
asset_facts facts_of(const asset& a, const std::vector<asset_version>& versions);

// The policy's answer as an error (or ok): not_found says the same as a
// missing id, so that existence does not leak.
result<void> to_result(access answer, std::string_view what);

// Asks the policy about the caller.
result<void> check(const app& a, const request& req, action what, const resource& on = {});

// An asset with its versions, loaded and checked for `what` (and, with a
// version number, for that version).
struct checked_asset {
    asset record;
    std::vector<asset_version> versions;
    asset_facts facts;
};
result<checked_asset> load_checked(const app& a, const request& req, const ulid& id, action what);

// The versions of `c` the caller may see.
std::vector<asset_version> visible_versions(const app& a, const request& req,
                                            const checked_asset& c);

}  // namespace kho::api
