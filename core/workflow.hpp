#pragma once
// The review workflow of one asset version:
//
//   draft --submit--> in_review --approve--> approved --archive--> archived
//                         |
//                         +------reject--> rejected --revise--> draft
//
// Only this table decides which transitions exist; who may take them is the
// policy's question (core/policy.hpp).

#include "core/error.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace kho {

enum class version_state { draft, in_review, approved, rejected, archived };
enum class workflow_action { submit, approve, reject, revise, archive };

std::string_view to_string(version_state s) noexcept;
std::string_view to_string(workflow_action a) noexcept;
result<version_state> parse_version_state(std::string_view s);
result<workflow_action> parse_workflow_action(std::string_view s);

// Every state and every action, in declaration order (for tables and tests).
const std::vector<version_state>& all_version_states();
const std::vector<workflow_action>& all_workflow_actions();

// The state `a` leads to from `from`, or nothing when the transition does not exist.
std::optional<version_state> next_state(version_state from, workflow_action a) noexcept;

// The actions that exist from `from`, in declaration order.
std::vector<workflow_action> allowed_actions(version_state from);

// The audit action recorded for a transition: "version.submitted", ...
std::string_view audit_action(workflow_action a) noexcept;

}  // namespace kho
