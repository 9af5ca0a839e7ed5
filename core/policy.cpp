#include "core/policy.hpp"

namespace kho {
namespace {

bool is_staff(const actor& who) {
    return who.role == role::admin || who.role == role::reviewer;
}

bool owns(const actor& who, const asset_facts& a) {
    return who.role == role::designer && a.created_by == who.id;
}

// Published: approved and inside its validity window.
bool published(const version_facts& v, unix_ms now) {
    return v.state == version_state::approved && v.window.contains(now);
}

bool can_see_asset(const actor& who, const asset_facts& a, unix_ms now) {
    if (is_staff(who) || owns(who, a)) return true;
    if (a.trashed) return false;
    for (const auto& v : a.versions)
        if (can_see_version(who, a, v, now)) return true;
    return false;
}

bool has_approved_version(const asset_facts& a) {
    for (const auto& v : a.versions)
        if (v.state == version_state::approved) return true;
    return false;
}

// Actions on one asset, upload or press kit, where a caller who may not act
// must not learn that the resource exists either.
bool about_one_resource(action what) {
    switch (what) {
        case action::asset_read:
        case action::asset_update:
        case action::asset_trash:
        case action::asset_restore:
        case action::asset_purge:
        case action::version_create:
        case action::version_read:
        case action::version_transition:
        case action::comment_read:
        case action::comment_write:
        case action::upload_access:
        case action::press_kit_read:
            return true;
        default:
            return false;
    }
}

access transition(const actor& who, const asset_facts& a, const version_facts& v,
                  workflow_action t) {
    bool may = false;
    switch (t) {
        case workflow_action::submit:
        case workflow_action::revise:
            may = who.role == role::admin || owns(who, a);
            break;
        case workflow_action::approve:
        case workflow_action::reject:
            // Four eyes: nobody decides on their own work.
            may = is_staff(who) && v.uploaded_by != who.id && a.created_by != who.id;
            break;
        case workflow_action::archive:
            may = is_staff(who);
            break;
    }
    if (!may) return access::forbidden;
    if (a.trashed || !next_state(v.state, t)) return access::conflict;
    return access::allow;
}

}  // namespace

std::string_view to_string(access a) noexcept {
    switch (a) {
        case access::allow:
            return "allow";
        case access::forbidden:
            return "forbidden";
        case access::not_found:
            return "not_found";
        case access::conflict:
            return "conflict";
        case access::password_change_required:
            return "password_change_required";
    }
    return "forbidden";
}

std::string_view to_string(action a) noexcept {
    switch (a) {
        case action::asset_list: return "asset_list";
        case action::trash_list: return "trash_list";
        case action::asset_read: return "asset_read";
        case action::asset_create: return "asset_create";
        case action::asset_update: return "asset_update";
        case action::asset_trash: return "asset_trash";
        case action::asset_restore: return "asset_restore";
        case action::asset_purge: return "asset_purge";
        case action::version_create: return "version_create";
        case action::version_read: return "version_read";
        case action::version_transition: return "version_transition";
        case action::comment_read: return "comment_read";
        case action::comment_write: return "comment_write";
        case action::review_queue: return "review_queue";
        case action::published_for_unit: return "published_for_unit";
        case action::upload_access: return "upload_access";
        case action::self: return "self";
        case action::user_admin: return "user_admin";
        case action::unit_read: return "unit_read";
        case action::unit_admin: return "unit_admin";
        case action::audit_read: return "audit_read";
        case action::maintenance: return "maintenance";
        case action::usage_report: return "usage_report";
        case action::press_kit_manage: return "press_kit_manage";
        case action::press_kit_read: return "press_kit_read";
        case action::share_link_manage: return "share_link_manage";
        case action::media_work: return "media_work";
    }
    return "unknown";
}

bool press_kit_released(const press_kit_facts& k, unix_ms now) noexcept {
    return (!k.embargo_until || now >= *k.embargo_until) && (!k.expires_at || now < *k.expires_at);
}

bool can_see_version(const actor& who, const asset_facts& a, const version_facts& v, unix_ms now) {
    if (is_staff(who) || owns(who, a)) return true;
    if (a.trashed || !published(v, now)) return false;
    switch (who.role) {
        case role::designer:
            return true;  // the published library, whoever it targets
        case role::unit_member:
            return who.unit && targets(v.audience, *who.unit);
        case role::journalist:
            return v.audience.press;
        case role::admin:
        case role::reviewer:
            return true;
        case role::worker:
            return false;  // a machine account reads originals only through its jobs
    }
    return false;
}

access authorize(const actor& who, action what, const resource& on) {
    if (who.must_change_password && what != action::self) return access::password_change_required;
    const bool admin = who.role == role::admin;
    // A worker account (kho-worker on another machine) holds a long-lived
    // token on a machine that decodes untrusted files: it may do its media
    // work and look after its own credentials, and nothing else, so a stolen
    // worker token reads no catalogue, unit tree, kit or report.
    if (who.role == role::worker) {
        if (what == action::self || what == action::media_work) return access::allow;
        return about_one_resource(what) ? access::not_found : access::forbidden;
    }
    switch (what) {
        case action::self:
        case action::asset_list:
        case action::unit_read:
            return access::allow;
        case action::trash_list:
            return is_staff(who) || who.role == role::designer ? access::allow
                                                               : access::forbidden;
        case action::asset_create:
            return admin || who.role == role::designer ? access::allow : access::forbidden;
        case action::review_queue:
            return is_staff(who) ? access::allow : access::forbidden;
        case action::user_admin:
        case action::unit_admin:
        case action::audit_read:
        case action::maintenance:
        case action::media_work:
            return admin ? access::allow : access::forbidden;
        case action::upload_access:
            return admin || on.owner == who.id ? access::allow : access::not_found;
        case action::usage_report:
        case action::press_kit_manage:
        case action::share_link_manage:
            return is_staff(who) ? access::allow : access::forbidden;
        case action::press_kit_read:
            // Staff prepare kits; everyone else meets a kit only once it is
            // out, and before that it does not exist for them.
            if (is_staff(who)) return access::allow;
            return on.kit && press_kit_released(*on.kit, on.now) ? access::allow
                                                                 : access::not_found;
        case action::published_for_unit:
            // Staff look at any unit; a member at their own.
            if (is_staff(who)) return access::allow;
            if (who.role == role::unit_member)
                return who.unit && who.unit->code == on.unit ? access::allow : access::not_found;
            return access::forbidden;
        default:
            break;
    }

    // Everything below concerns one asset (and perhaps one version of it).
    if (!on.asset) return access::not_found;
    const asset_facts& a = *on.asset;
    if (!can_see_asset(who, a, on.now)) return access::not_found;
    if (on.version && !can_see_version(who, a, *on.version, on.now)) return access::not_found;

    switch (what) {
        case action::asset_read:
        case action::version_read:
            return access::allow;
        case action::asset_update:
            return admin || who.role == role::reviewer || owns(who, a) ? access::allow
                                                                       : access::forbidden;
        case action::version_create:
        case action::asset_restore:
            return admin || owns(who, a) ? access::allow : access::forbidden;
        case action::asset_trash:
            // Withdrawing published material is the ministry's decision.
            if (admin) return access::allow;
            return owns(who, a) && !has_approved_version(a) ? access::allow : access::forbidden;
        case action::asset_purge:
            return admin ? access::allow : access::forbidden;
        case action::comment_read:
        case action::comment_write:
            return is_staff(who) || owns(who, a) ? access::allow : access::forbidden;
        case action::version_transition:
            if (!on.version || !on.transition) return access::not_found;
            return transition(who, a, *on.version, *on.transition);
        default:
            return access::forbidden;
    }
}

}  // namespace kho
