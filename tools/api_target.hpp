#pragma once
// Request targets for the kho API, built with Boost.URL: path segments and
// query keys and values are percent-encoded by the library (everything but
// unreserved characters: a space is %20, a plus %2B, since the server reads a
// bare '+' as a space), never by hand.
//
//   api_target(s, {"api", "v1", "assets"}, {{"filename", "Áp phích.png"}})
//     == "/api/v1/assets?filename=%C3%81p%20ph%C3%ADch.png"   (with s.base_path "")

#include "tools/http_client.hpp"

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kho::cli {

using query_list = std::vector<std::pair<std::string, std::string>>;

std::string api_target(const server_address& server,
                       std::initializer_list<std::string_view> segments,
                       const query_list& query = {});

}  // namespace kho::cli
