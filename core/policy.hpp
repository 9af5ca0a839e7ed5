#pragma once
// kho's authorization policy: the one function that answers every
// (who, action, resource, state) question. Handlers gather the facts, call
// authorize() and act on its answer; nothing else decides access. The whole
// table is in tests/core/policy_test.cpp.
//
// Answers:
//  - allow
//  - forbidden: the actor may know the resource exists but may not do this (403)
//  - not_found: the actor may not even know it exists (404, same as a missing id)
//  - conflict: the actor may take this transition, but not from the current
//    state (409 with the transitions that are allowed)
//  - password_change_required: the account must set a new password first (403)

#include "core/audience.hpp"
#include "core/clock.hpp"
#include "core/user.hpp"
#include "core/workflow.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kho {

enum class access { allow, forbidden, not_found, conflict, password_change_required };

std::string_view to_string(access a) noexcept;

enum class action {
    // Assets and versions.
    asset_list,          // the catalogue (each item is then checked with asset_read)
    trash_list,          // the trash (each item is then checked with asset_read)
    asset_read,          // an asset's record
    asset_create,        // upload a new asset (multipart or tus)
    asset_update,        // edit metadata
    asset_trash,         // move to the trash
    asset_restore,       // take out of the trash
    asset_purge,         // delete for good
    version_create,      // upload a new version
    version_read,        // a version's record and its files
    version_transition,  // submit, approve, reject, revise, archive (resource.transition)
    comment_read,        // a version's comment thread
    comment_write,
    review_queue,        // versions waiting for review
    published_for_unit,  // what a given unit is offered (resource.unit)
    upload_access,  // an unfinished resumable upload (resource.owner)
    // People, units, operations.
    self,         // one's own account, password, sessions and tokens
    user_admin,   // create, disable, reset, change role/unit; others' tokens
    unit_read,    // the unit tree
    unit_admin,   // create, edit, delete, import units
    audit_read,   // the audit log
    maintenance,  // gc, verify, backup, job retries
    // Distribution.
    usage_report,      // download reports and coverage
    press_kit_manage,  // create, edit and delete press kits; list all of them
    press_kit_read,    // one press kit and its ZIP (resource.kit)
    share_link_manage, // create, list and revoke share links
    // Remote media workers.
    media_work,  // claim media jobs, read their originals, deliver renditions
};

std::string_view to_string(action a) noexcept;

// The authenticated caller.
struct actor {
    std::string id;
    kho::role role = kho::role::unit_member;
    std::optional<unit_position> unit;  // where the caller's unit sits, if any
    bool must_change_password = false;
};

struct version_facts {
    version_state state = version_state::draft;
    std::string uploaded_by;
    kho::audience audience;  // meaningful once approved
    validity_window window;
};

struct asset_facts {
    std::string created_by;
    bool trashed = false;
    std::vector<version_facts> versions;  // all of them: asset_read asks whether any is visible
};

// When a press kit may be seen by people outside the ministry.
struct press_kit_facts {
    std::optional<unix_ms> embargo_until;  // invisible before (exclusive bound of the embargo)
    std::optional<unix_ms> expires_at;     // invisible from
};

// Whether a kit is out: past its embargo and not yet expired.
bool press_kit_released(const press_kit_facts& k, unix_ms now) noexcept;

struct resource {
    const asset_facts* asset = nullptr;
    const version_facts* version = nullptr;
    std::optional<workflow_action> transition;  // for version_transition
    std::string owner;                          // for upload_access
    unix_ms now = 0;
    std::string unit = {};  // for published_for_unit
    const press_kit_facts* kit = nullptr;  // for press_kit_read
};

access authorize(const actor& who, action what, const resource& on = {});

// True when `who` may see version `v` of asset `a` at `now` (the rule behind
// asset_read and version_read, for filtering lists).
bool can_see_version(const actor& who, const asset_facts& a, const version_facts& v, unix_ms now);

}  // namespace kho
