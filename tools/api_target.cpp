#include "tools/api_target.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>

namespace kho::cli {

std::string api_target(const server_address& server,
                       std::initializer_list<std::string_view> segments, const query_list& query) {
    boost::urls::url u;
    u.set_encoded_path(server.base_path);
    u.set_path_absolute(true);
    auto path = u.segments();
    for (auto segment : segments) path.push_back(segment);
    // The server reads '+' as a space (form convention). Boost.URL leaves a
    // literal '+' unescaped in params(), so encode keys and values with the
    // unreserved set: '+' becomes %2B, a space %20.
    auto params = u.encoded_params();
    for (const auto& [key, value] : query)
        params.append({boost::urls::encode(key, boost::urls::unreserved_chars),
                       boost::urls::encode(value, boost::urls::unreserved_chars)});
    return std::string(u.encoded_target());
}

}  // namespace kho::cli
