#include "core/workflow.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace kho;

TEST_CASE("workflow: the transition table", "[workflow]") {
    using s = version_state;
    using a = workflow_action;
    // Every (state, action) pair: the state it leads to, or none.
    const std::map<std::pair<s, a>, s> legal = {
        {{s::draft, a::submit}, s::in_review},   {{s::in_review, a::approve}, s::approved},
        {{s::in_review, a::reject}, s::rejected}, {{s::rejected, a::revise}, s::draft},
        {{s::approved, a::archive}, s::archived},
    };
    for (auto from : all_version_states())
        for (auto step : all_workflow_actions()) {
            INFO(to_string(from) << " + " << to_string(step));
            auto it = legal.find({from, step});
            auto to = next_state(from, step);
            if (it == legal.end())
                CHECK_FALSE(to.has_value());
            else
                CHECK(to == it->second);
        }
    CHECK(allowed_actions(s::draft) == std::vector<a>{a::submit});
    CHECK(allowed_actions(s::in_review) == std::vector<a>{a::approve, a::reject});
    CHECK(allowed_actions(s::archived).empty());
}

TEST_CASE("workflow: names round-trip", "[workflow]") {
    for (auto st : all_version_states()) CHECK(parse_version_state(to_string(st)).value() == st);
    for (auto ac : all_workflow_actions()) CHECK(parse_workflow_action(to_string(ac)).value() == ac);
    CHECK_FALSE(parse_version_state("published").has_value());
    CHECK(parse_workflow_action("publish").error().code == errc::invalid_parameter);
    CHECK(audit_action(workflow_action::approve) == "version.approved");
}
