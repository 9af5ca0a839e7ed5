// The authorization policy as a table: every action x role x workflow state,
// including attempts to reach another designer's or another unit's material.
// Letters: A allow, F forbidden (403), N not found (404: existence must not
// leak), C conflict (409: not from this state), P password change required.
// The worker role (a remote media worker's machine account) may do media
// work and look after its own credentials, nothing else.

#include "api/router.hpp"
#include "core/policy.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>

using namespace kho;

namespace {

constexpr unix_ms now = 1'790'000'000'000;  // inside every window below

char letter(kho::access a) {
    switch (a) {
        case kho::access::allow: return 'A';
        case kho::access::forbidden: return 'F';
        case kho::access::not_found: return 'N';
        case kho::access::conflict: return 'C';
        case kho::access::password_change_required: return 'P';
    }
    return '?';
}

unit_position hanoi_high_school() {
    return unit_position{"THPT-CVA", "Hà Nội", education_level::upper_secondary,
                         {"SGD-HN", "BGDDT"}};
}

unit_position hue_primary_school() {
    return unit_position{"TH-HUE", "Huế", education_level::primary, {"SGD-HUE", "BGDDT"}};
}

// The actors of the table, in column-group order.
struct cast {
    actor admin{"u-admin", role::admin, std::nullopt, false};
    actor reviewer{"u-reviewer", role::reviewer, std::nullopt, false};
    actor owner{"u-designer", role::designer, std::nullopt, false};
    actor other_designer{"u-designer-2", role::designer, std::nullopt, false};
    actor member_in{"u-member-hn", role::unit_member, hanoi_high_school(), false};
    actor member_out{"u-member-hue", role::unit_member, hue_primary_school(), false};
    actor journalist{"u-press", role::journalist, std::nullopt, false};
    actor worker{"u-worker", role::worker, std::nullopt, false};
    std::vector<const actor*> all() const {
        return {&admin,     &reviewer,   &owner,      &other_designer,
                &member_in, &member_out, &journalist, &worker};
    }
};

// One asset by u-designer with one version in `state`; when approved (or
// archived) its audience is upper-secondary schools of Hà Nội, and the press.
struct scene {
    version_facts version;
    asset_facts asset;
    scene(version_state state, bool trashed) {
        version.state = state;
        version.uploaded_by = "u-designer";
        version.audience.provinces = {"Hà Nội"};
        version.audience.levels = {education_level::upper_secondary};
        version.audience.press = true;
        version.window = validity_window{now - 86'400'000, now + 86'400'000};
        asset.created_by = "u-designer";
        asset.trashed = trashed;
        asset.versions = {version};
    }
};

// 8 groups (actors) of 5 letters (draft, in_review, approved, rejected, archived).
std::string evaluate(action what, std::optional<workflow_action> step, bool trashed) {
    cast c;
    std::string out;
    for (const actor* who : c.all()) {
        if (!out.empty()) out += ' ';
        for (auto st : all_version_states()) {
            scene s(st, trashed);
            resource r;
            r.asset = &s.asset;
            r.version = &s.version;
            r.transition = step;
            r.now = now;
            out += letter(authorize(*who, what, r));
        }
    }
    return out;
}

struct row {
    const char* name;
    action what;
    std::optional<workflow_action> step;
    bool trashed;
    const char* expected;  // admin reviewer owner other in out press worker
};

}  // namespace

TEST_CASE("policy: every asset action x role x workflow state", "[policy]") {
    using w = workflow_action;
    const row table[] = {
        // clang-format off
        //                                                        admin reviewer owner other member-in member-out journalist worker
        {"read an asset",      action::asset_read,     {}, false, "AAAAA AAAAA AAAAA NNANN NNANN NNNNN NNANN NNNNN"},
        {"read a version",     action::version_read,   {}, false, "AAAAA AAAAA AAAAA NNANN NNANN NNNNN NNANN NNNNN"},
        {"edit metadata",      action::asset_update,   {}, false, "AAAAA AAAAA AAAAA NNFNN NNFNN NNNNN NNFNN NNNNN"},
        {"move to the trash",  action::asset_trash,    {}, false, "AAAAA FFFFF AAFAA NNFNN NNFNN NNNNN NNFNN NNNNN"},
        {"add a version",      action::version_create, {}, false, "AAAAA FFFFF AAAAA NNFNN NNFNN NNNNN NNFNN NNNNN"},
        {"read comments",      action::comment_read,   {}, false, "AAAAA AAAAA AAAAA NNFNN NNFNN NNNNN NNFNN NNNNN"},
        {"write a comment",    action::comment_write,  {}, false, "AAAAA AAAAA AAAAA NNFNN NNFNN NNNNN NNFNN NNNNN"},
        {"submit",             action::version_transition, w::submit,  false, "ACCCC FFFFF ACCCC NNFNN NNFNN NNNNN NNFNN NNNNN"},
        {"approve",            action::version_transition, w::approve, false, "CACCC CACCC FFFFF NNFNN NNFNN NNNNN NNFNN NNNNN"},
        {"reject",             action::version_transition, w::reject,  false, "CACCC CACCC FFFFF NNFNN NNFNN NNNNN NNFNN NNNNN"},
        {"revise",             action::version_transition, w::revise,  false, "CCCAC FFFFF CCCAC NNFNN NNFNN NNNNN NNFNN NNNNN"},
        {"archive",            action::version_transition, w::archive, false, "CCACC CCACC FFFFF NNFNN NNFNN NNNNN NNFNN NNNNN"},
        // In the trash: only staff and the owner know it exists.
        {"read trashed",       action::asset_read,     {}, true,  "AAAAA AAAAA AAAAA NNNNN NNNNN NNNNN NNNNN NNNNN"},
        {"restore",            action::asset_restore,  {}, true,  "AAAAA FFFFF AAAAA NNNNN NNNNN NNNNN NNNNN NNNNN"},
        {"purge",              action::asset_purge,    {}, true,  "AAAAA FFFFF FFFFF NNNNN NNNNN NNNNN NNNNN NNNNN"},
        {"approve trashed",    action::version_transition, w::approve, true, "CCCCC CCCCC FFFFF NNNNN NNNNN NNNNN NNNNN NNNNN"},
        // clang-format on
    };
    for (const auto& r : table) {
        INFO(r.name << "\n  columns: admin reviewer owner other-designer member-in member-out "
                       "journalist worker; states: draft in_review approved rejected archived");
        CHECK(evaluate(r.what, r.step, r.trashed) == r.expected);
    }
}

TEST_CASE("policy: actions that do not depend on one resource", "[policy]") {
    cast c;
    const std::vector<const actor*> roles = {&c.admin,     &c.reviewer,   &c.owner,
                                             &c.member_in, &c.journalist, &c.worker};
    auto row_for = [&](action what, const resource& r = {}) {
        std::string out;
        for (const actor* who : roles) out += letter(authorize(*who, what, r));
        return out;
    };
    // Columns: admin reviewer designer unit_member journalist worker.
    CHECK(row_for(action::asset_list) == "AAAAAF");
    CHECK(row_for(action::trash_list) == "AAAFFF");
    CHECK(row_for(action::asset_create) == "AFAFFF");
    CHECK(row_for(action::review_queue) == "AAFFFF");
    CHECK(row_for(action::self) == "AAAAAA");
    CHECK(row_for(action::unit_read) == "AAAAAF");
    CHECK(row_for(action::user_admin) == "AFFFFF");
    CHECK(row_for(action::unit_admin) == "AFFFFF");
    CHECK(row_for(action::audit_read) == "AFFFFF");
    CHECK(row_for(action::maintenance) == "AFFFFF");
    CHECK(row_for(action::usage_report) == "AAFFFF");
    CHECK(row_for(action::press_kit_manage) == "AAFFFF");
    CHECK(row_for(action::share_link_manage) == "AAFFFF");
    CHECK(row_for(action::media_work) == "AFFFFA");
    // Another person's unfinished upload does not exist for you.
    resource someone_elses;
    someone_elses.owner = "u-somebody";
    CHECK(row_for(action::upload_access, someone_elses) == "ANNNNN");
    for (const actor* who : roles) {
        if (who->role == role::worker) continue;  // it cannot start one (asset_create)
        resource own;
        own.owner = who->id;
        CHECK(authorize(*who, action::upload_access, own) == kho::access::allow);
    }
    // What another unit is offered: staff may look; a member only at their own.
    resource hanoi;
    hanoi.unit = "THPT-CVA";
    CHECK(row_for(action::published_for_unit, hanoi) == "AAFAFF");
    resource hue;
    hue.unit = "TH-HUE";
    CHECK(row_for(action::published_for_unit, hue) == "AAFNFF");
    // An asset action without the asset: nothing to find.
    CHECK(row_for(action::asset_read) == "NNNNNN");
}

TEST_CASE("policy: a worker account may do media work and nothing else", "[policy]") {
    cast c;
    const action every[] = {
        action::asset_list,         action::trash_list,       action::asset_read,
        action::asset_create,       action::asset_update,     action::asset_trash,
        action::asset_restore,      action::asset_purge,      action::version_create,
        action::version_read,       action::version_transition, action::comment_read,
        action::comment_write,      action::review_queue,     action::published_for_unit,
        action::upload_access,      action::self,             action::user_admin,
        action::unit_read,          action::unit_admin,       action::audit_read,
        action::maintenance,        action::usage_report,     action::press_kit_manage,
        action::press_kit_read,     action::share_link_manage, action::media_work,
    };
    // Whatever the resource: a published asset for everyone, its own upload,
    // a released press kit, its own unit.
    scene s(version_state::approved, false);
    s.version.audience.all_units = true;
    s.asset.versions = {s.version};
    kho::press_kit_facts released{};
    resource everything{&s.asset, &s.version, workflow_action::archive, c.worker.id, now, "THPT-CVA",
                        &released};
    for (auto what : every) {
        INFO(to_string(what));
        auto answer = authorize(c.worker, what, everything);
        if (what == action::media_work || what == action::self)
            CHECK(answer == kho::access::allow);
        else
            CHECK(answer != kho::access::allow);
        // Nor without the resource.
        if (what != action::media_work && what != action::self)
            CHECK(authorize(c.worker, what) != kho::access::allow);
    }
    // Where others learn nothing of a resource they may not see, neither does a worker.
    CHECK(authorize(c.worker, action::asset_read, everything) == kho::access::not_found);
    CHECK(authorize(c.worker, action::press_kit_read, everything) == kho::access::not_found);
    CHECK(authorize(c.worker, action::asset_list) == kho::access::forbidden);
    // Only admins besides: media work is not for the other roles.
    for (const actor* who : c.all())
        if (who->role != role::admin && who->role != role::worker)
            CHECK(authorize(*who, action::media_work) == kho::access::forbidden);
}

TEST_CASE("policy: nobody decides on their own work", "[policy]") {
    cast c;
    scene s(version_state::in_review, false);
    resource r{&s.asset, &s.version, workflow_action::approve, {}, now};
    // A reviewer who uploaded the version (say, a fix on the designer's asset).
    s.version.uploaded_by = c.reviewer.id;
    CHECK(authorize(c.reviewer, action::version_transition, r) == kho::access::forbidden);
    r.transition = workflow_action::reject;
    CHECK(authorize(c.reviewer, action::version_transition, r) == kho::access::forbidden);
    // An admin who created the asset.
    scene mine(version_state::in_review, false);
    mine.asset.created_by = c.admin.id;
    mine.version.uploaded_by = c.admin.id;
    resource r2{&mine.asset, &mine.version, workflow_action::approve, {}, now};
    CHECK(authorize(c.admin, action::version_transition, r2) == kho::access::forbidden);
    CHECK(authorize(c.reviewer, action::version_transition, r2) == kho::access::allow);
}

TEST_CASE("policy: an account that must change its password may only do that", "[policy]") {
    cast c;
    for (const actor* who : c.all()) {
        actor a = *who;
        a.must_change_password = true;
        CHECK(authorize(a, action::self) == kho::access::allow);
        for (auto what : {action::asset_list, action::asset_create, action::user_admin,
                          action::review_queue, action::unit_read}) {
            INFO(to_string(what));
            CHECK(authorize(a, what) == kho::access::password_change_required);
        }
    }
}

TEST_CASE("policy: audience rules", "[policy]") {
    cast c;
    scene s(version_state::approved, false);
    resource r{&s.asset, &s.version, {}, {}, now};
    auto member_at = [&](unit_position u) {
        actor a{"u-m", role::unit_member, std::move(u), false};
        return authorize(a, action::version_read, r);
    };
    SECTION("provinces and levels narrow together") {
        CHECK(member_at(hanoi_high_school()) == kho::access::allow);
        CHECK(member_at(unit_position{"THPT-QH", "Huế", education_level::upper_secondary,
                                      {"SGD-HUE", "BGDDT"}}) == kho::access::not_found);
        CHECK(member_at(unit_position{"THCS-HN", "Hà Nội", education_level::lower_secondary,
                                      {"SGD-HN", "BGDDT"}}) == kho::access::not_found);
        // A department itself has no level: not an upper-secondary school.
        CHECK(member_at(unit_position{"SGD-HN", "Hà Nội", education_level::none, {"BGDDT"}}) ==
              access::not_found);
    }
    SECTION("a named unit includes its subtree") {
        s.version.audience = audience{};
        s.version.audience.units = {"SGD-HUE"};
        s.asset.versions = {s.version};
        CHECK(member_at(hue_primary_school()) == kho::access::allow);
        CHECK(member_at(unit_position{"SGD-HUE", "Huế", education_level::none, {"BGDDT"}}) ==
              access::allow);
        CHECK(member_at(hanoi_high_school()) == kho::access::not_found);
    }
    SECTION("all units, but not the press unless asked") {
        s.version.audience = audience{};
        s.version.audience.all_units = true;
        s.asset.versions = {s.version};
        CHECK(member_at(hue_primary_school()) == kho::access::allow);
        CHECK(authorize(c.journalist, action::version_read, r) == kho::access::not_found);
        // A member without a unit sees nothing targeted at units.
        CHECK(member_at(unit_position{}) == kho::access::allow);  // all_units: every unit
        actor no_unit{"u-x", role::unit_member, std::nullopt, false};
        CHECK(authorize(no_unit, action::version_read, r) == kho::access::not_found);
    }
}

TEST_CASE("policy: validity window, one second either side of each boundary", "[policy]") {
    cast c;
    const unix_ms from = 1'796'058'000'000;  // 2026-12-01T00:00:00+07:00
    const unix_ms until = from + 121LL * 86'400'000;
    scene s(version_state::approved, false);
    s.version.window = validity_window{from, until};
    s.asset.versions = {s.version};
    auto at = [&](const actor& who, unix_ms t) {
        resource r{&s.asset, &s.version, {}, {}, t};
        return letter(authorize(who, action::version_read, r));
    };
    for (const actor* who : {&c.member_in, &c.journalist, &c.other_designer}) {
        INFO(who->id);
        CHECK(at(*who, from - 1000) == 'N');
        CHECK(at(*who, from) == 'A');
        CHECK(at(*who, from + 1000) == 'A');
        CHECK(at(*who, until - 1000) == 'A');
        CHECK(at(*who, until) == 'N');
        CHECK(at(*who, until + 1000) == 'N');
    }
    // Staff and the owner see it at any time.
    for (const actor* who : {&c.admin, &c.reviewer, &c.owner}) {
        CHECK(at(*who, from - 1000) == 'A');
        CHECK(at(*who, until + 1000) == 'A');
    }
}

TEST_CASE("policy: a new version in review does not hide the approved one", "[policy]") {
    cast c;
    scene s(version_state::approved, false);
    version_facts v2;
    v2.state = version_state::in_review;
    v2.uploaded_by = "u-designer";
    s.asset.versions = {s.version, v2};
    resource r1{&s.asset, &s.version, {}, {}, now};
    resource r2{&s.asset, &v2, {}, {}, now};
    CHECK(authorize(c.member_in, action::version_read, r1) == kho::access::allow);
    CHECK(authorize(c.member_in, action::version_read, r2) == kho::access::not_found);
    CHECK(authorize(c.member_in, action::asset_read, r2) == kho::access::not_found);
    resource asset_only{&s.asset, nullptr, {}, {}, now};
    CHECK(authorize(c.member_in, action::asset_read, asset_only) == kho::access::allow);
}

// Which policy action guards each endpoint. Routes with a gate are checked
// by dispatch before the handler; the others ask in the handler once the
// resource is loaded (see api/access.hpp). A new route must be added here.
TEST_CASE("policy: every endpoint answers to a policy action", "[policy]") {
    const std::map<std::string, std::string> guarded_by = {
        {"GET /api/v1/assets", "asset_list | trash_list, then asset_read per item"},
        {"POST /api/v1/assets", "asset_create"},
        {"GET /api/v1/assets/{id}", "asset_read"},
        {"PATCH /api/v1/assets/{id}", "asset_update"},
        {"DELETE /api/v1/assets/{id}", "asset_trash | asset_purge"},
        {"POST /api/v1/assets/{id}/restore", "asset_restore"},
        {"POST /api/v1/assets/{id}/versions", "version_create"},
        {"GET /api/v1/assets/{id}/versions", "asset_read, then version_read per item"},
        {"GET /api/v1/assets/{id}/versions/{n}", "version_read"},
        {"GET /api/v1/assets/{id}/original", "version_read (newest visible)"},
        {"GET /api/v1/assets/{id}/versions/{n}/original", "version_read"},
        {"POST /api/v1/assets/{id}/versions/{n}/submit", "version_transition"},
        {"POST /api/v1/assets/{id}/versions/{n}/approve", "version_transition"},
        {"POST /api/v1/assets/{id}/versions/{n}/reject", "version_transition"},
        {"POST /api/v1/assets/{id}/versions/{n}/revise", "version_transition"},
        {"POST /api/v1/assets/{id}/versions/{n}/archive", "version_transition"},
        {"GET /api/v1/assets/{id}/versions/{n}/comments", "comment_read"},
        {"POST /api/v1/assets/{id}/versions/{n}/comments", "comment_write"},
        {"GET /api/v1/reviews", "review_queue"},
        {"GET /api/v1/assets/{id}/history", "asset_read, then comment_read"},
        {"GET /api/v1/published", "asset_list (+ published_for_unit with ?unit)"},
        {"GET /api/v1/assets/{id}/renditions", "version_read (newest visible)"},
        {"GET /api/v1/assets/{id}/renditions/{name}", "version_read (newest visible)"},
        {"GET /api/v1/assets/{id}/versions/{n}/renditions", "version_read"},
        {"GET /api/v1/assets/{id}/versions/{n}/renditions/{name}", "version_read"},
        {"GET /api/v1/jobs", "maintenance"},
        {"POST /api/v1/jobs/{id}/retry", "maintenance"},
        {"GET /api/v1/audit", "audit_read"},
        {"POST /api/v1/uploads", "asset_create (+ version_create for asset_id)"},
        {"HEAD /api/v1/uploads/{id}", "upload_access"},
        {"GET /api/v1/uploads/{id}", "upload_access"},
        {"PATCH /api/v1/uploads/{id}", "upload_access"},
        {"DELETE /api/v1/uploads/{id}", "upload_access"},
        {"POST /api/v1/admin/gc", "maintenance"},
        {"POST /api/v1/admin/verify", "maintenance"},
        {"POST /api/v1/admin/backup", "maintenance"},
        {"POST /api/v1/admin/blob-migration", "maintenance"},
        {"GET /api/v1/admin/blob-migration", "maintenance"},
        {"DELETE /api/v1/sessions/current", "self"},
        {"GET /api/v1/me", "self"},
        {"POST /api/v1/me/password", "self"},
        {"GET /api/v1/tokens", "self"},
        {"POST /api/v1/tokens", "self"},
        {"DELETE /api/v1/tokens/{id}", "self"},
        {"GET /api/v1/users", "user_admin"},
        {"POST /api/v1/users", "user_admin"},
        {"GET /api/v1/users/{id}", "user_admin"},
        {"PATCH /api/v1/users/{id}", "user_admin"},
        {"POST /api/v1/users/{id}/password", "user_admin"},
        {"GET /api/v1/users/{id}/tokens", "user_admin"},
        {"DELETE /api/v1/users/{id}/tokens/{token}", "user_admin"},
        {"GET /api/v1/units", "unit_read"},
        {"GET /api/v1/units/{code}", "unit_read"},
        {"POST /api/v1/units", "unit_admin"},
        {"PATCH /api/v1/units/{code}", "unit_admin"},
        {"DELETE /api/v1/units/{code}", "unit_admin"},
        {"POST /api/v1/units/import", "unit_admin"},
        {"GET /api/v1/units/export", "unit_admin"},
        {"GET /api/v1/catalog", "asset_list, then version_read per item"},
        {"POST /api/v1/admin/reindex", "maintenance"},
        {"GET /api/v1/reports/downloads", "usage_report"},
        {"GET /api/v1/reports/downloads/events", "usage_report"},
        {"GET /api/v1/reports/coverage", "usage_report"},
        {"POST /api/v1/press-kits", "press_kit_manage"},
        {"GET /api/v1/press-kits", "press_kit_read per item"},
        {"GET /api/v1/press-kits/{id}", "press_kit_read"},
        {"PATCH /api/v1/press-kits/{id}", "press_kit_manage"},
        {"DELETE /api/v1/press-kits/{id}", "press_kit_manage"},
        {"GET /api/v1/press-kits/{id}/download", "press_kit_read"},
        {"GET /api/v1/press-kits/{id}/items/{n}", "press_kit_read"},
        {"GET /api/v1/press-kits/{id}/items/{n}/thumb", "press_kit_read"},
        {"POST /api/v1/share-links", "share_link_manage"},
        {"GET /api/v1/share-links", "share_link_manage"},
        {"DELETE /api/v1/share-links/{id}", "share_link_manage"},
        {"POST /api/v1/admin/link-keys/rotate", "maintenance"},
        {"POST /api/v1/worker/jobs/claim", "media_work"},
        {"POST /api/v1/worker/jobs/{id}/heartbeat", "media_work (+ the job's lease)"},
        {"GET /api/v1/worker/jobs/{id}/input", "media_work (+ the job's lease)"},
        {"PUT /api/v1/worker/jobs/{id}/renditions/{name}", "media_work (+ the job's lease)"},
        {"POST /api/v1/worker/jobs/{id}/complete", "media_work (+ the job's lease)"},
        {"POST /api/v1/worker/jobs/{id}/fail", "media_work (+ the job's lease)"},
    };
    auto r = api::make_router();
    std::set<std::string> routed;
    for (const auto& rt : r.routes()) {
        if (!rt.needs_auth) continue;
        auto key = rt.method + " " + rt.pattern;
        routed.insert(key);
        INFO(key);
        REQUIRE(guarded_by.count(key) == 1);
        // A gate, when present, is the action documented here.
        if (rt.gate) CHECK(guarded_by.at(key).starts_with(std::string(to_string(*rt.gate))));
    }
    for (const auto& [key, what] : guarded_by) {
        INFO("documented but not routed: " << key);
        CHECK(routed.count(key) == 1);
    }
}

TEST_CASE("policy: a press kit is out from its embargo until its expiry", "[policy]") {
    cast c;
    const std::vector<const actor*> roles = {&c.admin, &c.reviewer, &c.owner, &c.member_in,
                                             &c.journalist};
    kho::press_kit_facts kit{1'000'000, 5'000'000};
    auto row_at = [&](kho::unix_ms now, const kho::press_kit_facts* k) {
        resource r;
        r.kit = k;
        r.now = now;
        std::string out;
        for (const actor* who : roles) out += letter(authorize(*who, action::press_kit_read, r));
        return out;
    };
    // Columns: admin reviewer designer unit_member journalist. Staff always
    // see it (to prepare it); for everyone else it does not exist under
    // embargo or after expiry, to the millisecond.
    CHECK(row_at(999'999, &kit) == "AANNN");
    CHECK(row_at(1'000'000, &kit) == "AAAAA");
    CHECK(row_at(4'999'999, &kit) == "AAAAA");
    CHECK(row_at(5'000'000, &kit) == "AANNN");
    CHECK(row_at(1'000'000, nullptr) == "AANNN");
    kho::press_kit_facts open_ended{};
    CHECK(row_at(0, &open_ended) == "AAAAA");
    // A worker account never meets a kit.
    resource out_now;
    out_now.kit = &open_ended;
    CHECK(authorize(c.worker, action::press_kit_read, out_now) == kho::access::not_found);
}
