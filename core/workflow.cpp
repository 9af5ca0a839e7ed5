#include "core/workflow.hpp"

#include <string>

namespace kho {

std::string_view to_string(version_state s) noexcept {
    switch (s) {
        case version_state::draft:
            return "draft";
        case version_state::in_review:
            return "in_review";
        case version_state::approved:
            return "approved";
        case version_state::rejected:
            return "rejected";
        case version_state::archived:
            return "archived";
    }
    return "draft";
}

std::string_view to_string(workflow_action a) noexcept {
    switch (a) {
        case workflow_action::submit:
            return "submit";
        case workflow_action::approve:
            return "approve";
        case workflow_action::reject:
            return "reject";
        case workflow_action::revise:
            return "revise";
        case workflow_action::archive:
            return "archive";
    }
    return "submit";
}

const std::vector<version_state>& all_version_states() {
    static const std::vector<version_state> all{version_state::draft, version_state::in_review,
                                                version_state::approved, version_state::rejected,
                                                version_state::archived};
    return all;
}

const std::vector<workflow_action>& all_workflow_actions() {
    static const std::vector<workflow_action> all{workflow_action::submit, workflow_action::approve,
                                                  workflow_action::reject, workflow_action::revise,
                                                  workflow_action::archive};
    return all;
}

result<version_state> parse_version_state(std::string_view s) {
    for (auto v : all_version_states())
        if (to_string(v) == s) return v;
    return make_error(errc::invalid_parameter,
                      "unknown state \"" + std::string(s) +
                          "\"; expected draft, in_review, approved, rejected or archived");
}

result<workflow_action> parse_workflow_action(std::string_view s) {
    for (auto a : all_workflow_actions())
        if (to_string(a) == s) return a;
    return make_error(errc::invalid_parameter,
                      "unknown action \"" + std::string(s) +
                          "\"; expected submit, approve, reject, revise or archive");
}

std::optional<version_state> next_state(version_state from, workflow_action a) noexcept {
    using s = version_state;
    using w = workflow_action;
    switch (a) {
        case w::submit:
            if (from == s::draft) return s::in_review;
            break;
        case w::approve:
            if (from == s::in_review) return s::approved;
            break;
        case w::reject:
            if (from == s::in_review) return s::rejected;
            break;
        case w::revise:
            if (from == s::rejected) return s::draft;
            break;
        case w::archive:
            if (from == s::approved) return s::archived;
            break;
    }
    return std::nullopt;
}

std::vector<workflow_action> allowed_actions(version_state from) {
    std::vector<workflow_action> out;
    for (auto a : all_workflow_actions())
        if (next_state(from, a)) out.push_back(a);
    return out;
}

std::string_view audit_action(workflow_action a) noexcept {
    switch (a) {
        case workflow_action::submit:
            return "version.submitted";
        case workflow_action::approve:
            return "version.approved";
        case workflow_action::reject:
            return "version.rejected";
        case workflow_action::revise:
            return "version.revised";
        case workflow_action::archive:
            return "version.archived";
    }
    return "version.changed";
}

}  // namespace kho
