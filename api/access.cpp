#include "api/access.hpp"

#include "api/app.hpp"
#include "storage/asset_store.hpp"

namespace kho::api {

audit_context audit_who(const request& req) {
    return audit_context{req.principal ? req.principal->id : std::string(), req.client_address};
}

version_facts facts_of(const asset_version& v) {
    return version_facts{v.state, v.uploaded_by, v.audience, v.window};
}

asset_facts facts_of(const asset& a, const std::vector<asset_version>& versions) {
    asset_facts f;
    f.created_by = a.created_by;
    f.trashed = a.deleted_at.has_value();
    f.versions.reserve(versions.size());
    for (const auto& v : versions) f.versions.push_back(facts_of(v));
    return f;
}

result<void> to_result(access answer, std::string_view what) {
    switch (answer) {
        case access::allow:
            return ok();
        case access::forbidden:
            return make_error(errc::forbidden, "you may not " + std::string(what));
        case access::not_found:
            return make_error(errc::not_found, "no such resource");
        case access::conflict:
            return make_error(errc::conflict, "this cannot be done in the current state");
        case access::password_change_required:
            return make_error(errc::password_change_required,
                              "set a new password first (POST /api/v1/me/password)");
    }
    return make_error(errc::forbidden, "not allowed");
}

namespace {

// What a refusal says the caller tried to do.
std::string_view phrase(action what, const resource& on) {
    switch (what) {
        case action::trash_list: return "see the trash";
        case action::asset_create: return "upload materials";
        case action::asset_update: return "edit this asset";
        case action::asset_trash: return "move this asset to the trash (published material is withdrawn by an administrator)";
        case action::asset_restore: return "restore this asset";
        case action::asset_purge: return "delete this asset for good";
        case action::version_create: return "add a version to this asset";
        case action::comment_read:
        case action::comment_write: return "take part in this version's review discussion";
        case action::review_queue: return "see the review queue";
        case action::published_for_unit: return "see what another unit is offered";
        case action::user_admin: return "administer users";
        case action::unit_admin: return "administer units";
        case action::audit_read: return "read the audit log";
        case action::maintenance: return "run maintenance";
        case action::version_transition:
            if (on.transition == workflow_action::approve || on.transition == workflow_action::reject)
                return "decide on this version (reviewers decide, and never on their own work)";
            if (on.transition == workflow_action::archive) return "archive this version";
            return "submit or revise this version (its designer does)";
        default: return "do this";
    }
}

}  // namespace

result<void> check(const app& a, const request& req, action what, const resource& on) {
    if (!req.principal) return make_error(errc::unauthorized, "this request needs credentials");
    resource r = on;
    if (r.now == 0) r.now = a.clock.now();
    return to_result(authorize(req.principal->actor, what, r), phrase(what, r));
}

result<checked_asset> load_checked(const app& a, const request& req, const ulid& id, action what) {
    auto found = a.assets.get(id);
    if (!found) return found.error();
    auto versions = a.assets.list_versions(id);
    if (!versions) return versions.error();
    checked_asset c{std::move(*found), std::move(*versions), {}};
    c.facts = facts_of(c.record, c.versions);
    resource r;
    r.asset = &c.facts;
    if (auto ok = check(a, req, what, r); !ok) {
        if (ok.error().code == errc::not_found)
            return make_error(errc::not_found, "no asset with id " + id.to_string());
        return ok.error();
    }
    return c;
}

std::vector<asset_version> visible_versions(const app& a, const request& req,
                                            const checked_asset& c) {
    std::vector<asset_version> out;
    auto now = a.clock.now();
    for (std::size_t i = 0; i < c.versions.size(); ++i)
        if (can_see_version(req.principal->actor, c.facts, c.facts.versions[i], now))
            out.push_back(c.versions[i]);
    return out;
}

}  // namespace kho::api
