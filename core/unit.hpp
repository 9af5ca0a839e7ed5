#pragma once
// Units: the organisations that use kho, as a tree. The Ministry (Bộ GDĐT) is
// the root; provincial departments of education (Sở GDĐT) hang off it, and
// schools and other institutions off those (universities and vocational
// colleges directly under the Ministry hang off the Ministry itself).

#include "core/clock.hpp"
#include "core/error.hpp"

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kho {

// Cấp học / bậc học, as the Ministry's plan lists them. `none` is for units
// that are not schools (the Ministry, a provincial department).
enum class education_level {
    none,
    preschool,
    primary,
    lower_secondary,
    upper_secondary,
    continuing,
    vocational,
    higher,
};

// "upper_secondary", ... ("" for none).
std::string_view to_string(education_level l) noexcept;
// Accepts the codes above; errc::invalid_parameter otherwise. "" -> none.
result<education_level> parse_education_level(std::string_view s);
// Every level except none, in the order above.
const std::vector<education_level>& all_education_levels();

struct unit {
    std::string code;         // stable identifier: 1-64 of [A-Za-z0-9._-], e.g. "SGD-HN"
    std::string name;         // Vietnamese display name, e.g. "Sở GDĐT Hà Nội"
    std::string parent_code;  // empty only for the root
    std::string province;     // e.g. "Hà Nội"; empty for the Ministry
    education_level level = education_level::none;
    unix_ms created_at = 0;
    unix_ms updated_at = 0;
};

// Trims name and province; checks the code's alphabet and length, that name
// (1-300 bytes) and province (0-100 bytes) are valid UTF-8 without control
// characters, and that a unit is not its own parent. errc::invalid_parameter
// with a sentence naming the field otherwise.
result<unit> validate(unit u);

// Storage codec and API representation.
std::string encode_record(const unit& u);
result<unit> decode_unit_record(std::string_view bytes);
nlohmann::json to_api_json(const unit& u);

}  // namespace kho
