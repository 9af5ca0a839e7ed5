#pragma once
// Who an approved version is for, and when.
//
// An audience either targets every unit (`all_units`), or narrows units along
// three dimensions: provinces, education levels and named units (a named
// unit includes its whole subtree). A unit is targeted when it satisfies
// every non-empty dimension: {provinces: [Hà Nội, Huế], levels:
// [upper_secondary]} is "the upper-secondary schools of Hà Nội and Huế".
// `press` offers the version to journalists as well.
//
// A validity window is [from, until): a version is offered from `from`
// (inclusive) until `until` (exclusive). Either end may be open.

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/unit.hpp"

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kho {

struct audience {
    bool all_units = false;
    std::vector<std::string> provinces;
    std::vector<education_level> levels;
    std::vector<std::string> units;  // unit codes
    bool press = false;

    // True when no unit is targeted (press may still be).
    bool targets_no_unit() const noexcept {
        return !all_units && provinces.empty() && levels.empty() && units.empty();
    }
};

// Where a unit sits: what targeting needs to know about it.
struct unit_position {
    std::string code;
    std::string province;
    education_level level = education_level::none;
    std::vector<std::string> ancestors;  // parent first, root last
};

bool targets(const audience& a, const unit_position& u);

struct validity_window {
    std::optional<unix_ms> from;   // inclusive
    std::optional<unix_ms> until;  // exclusive

    bool contains(unix_ms now) const noexcept {
        return (!from || now >= *from) && (!until || now < *until);
    }
};

// Vietnam's civil time (Asia/Ho_Chi_Minh, UTC+7, no daylight saving): a date
// without a time in an approval means that day in Vietnam.
inline constexpr int vietnam_utc_offset_minutes = 7 * 60;

// Parses a window bound: an RFC 3339 date-time, or a date "YYYY-MM-DD" in
// Vietnam's time. A date as `from` means the start of that day; as `until`
// the end of that day ("until 2027-03-31" includes the 31st).
result<unix_ms> parse_window_bound(std::string_view s, bool is_until);

// {"all_units":..., "provinces":[...], "levels":[...], "units":[...], "press":...}.
// Unknown fields, wrong types, unknown levels, duplicates trimmed away,
// `all_units` together with a narrowing list, and an audience that targets
// nobody are errc::invalid_parameter. `known_unit` checks unit codes.
result<audience> parse_audience(const nlohmann::json& j,
                                const std::function<bool(std::string_view)>& known_unit);

nlohmann::json to_json(const audience& a);
result<audience> audience_from_json(const nlohmann::json& j);  // storage: no unit check

}  // namespace kho
