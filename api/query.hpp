#pragma once
// Query strings, decoded with Boost.URL (never by hand). '+' decodes to a
// space, as in HTML forms; a literal plus must be sent as %2B.

#include "core/error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kho::api {

class query_params {
  public:
    // errc::bad_request on invalid percent-encoding or invalid UTF-8.
    static result<query_params> parse(std::string_view raw_query);

    std::optional<std::string> get(std::string_view key) const;
    std::vector<std::string> get_all(std::string_view key) const;
    bool has(std::string_view key) const;
    const std::vector<std::pair<std::string, std::string>>& items() const noexcept {
        return params_;
    }

    // Typed helpers with errc::invalid_parameter naming the parameter.
    result<std::optional<std::uint64_t>> get_uint(std::string_view key, std::uint64_t min,
                                                  std::uint64_t max) const;
    result<std::optional<bool>> get_bool(std::string_view key) const;

  private:
    std::vector<std::pair<std::string, std::string>> params_;
};

}  // namespace kho::api
