#include "api/query.hpp"

#include "core/text.hpp"

#include <boost/url/params_encoded_view.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>

#include <charconv>

namespace kho::api {

result<query_params> query_params::parse(std::string_view raw_query) {
    query_params q;
    if (raw_query.empty()) return q;
    // Boost.URL 1.81's parse_query re-measures its input with strlen after
    // validating it (boostorg/url#757): given a view that is not followed
    // by a NUL it reads past the end and returns pairs from bytes outside
    // the view. A copy ends where the view ends. (Found by fuzz/query_fuzz.)
    const std::string terminated(raw_query);
    auto parsed = boost::urls::parse_query(terminated);
    if (!parsed) return make_error(errc::bad_request, "the query string is malformed");
    // '+' means a space in query strings, as HTML forms and URLSearchParams
    // write them; a literal plus is %2B.
    boost::urls::encoding_opts opts(/*space_as_plus=*/true);
    for (auto p : *parsed) {
        std::string key = p.key.decode(opts);
        std::string value = p.has_value ? p.value.decode(opts) : std::string();
        if (!is_valid_utf8(key) || !is_valid_utf8(value))
            return make_error(errc::bad_request, "the query string is not valid UTF-8");
        q.params_.emplace_back(std::move(key), std::move(value));
    }
    return q;
}

std::optional<std::string> query_params::get(std::string_view key) const {
    for (const auto& [k, v] : params_)
        if (k == key) return v;
    return std::nullopt;
}

std::vector<std::string> query_params::get_all(std::string_view key) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : params_)
        if (k == key) out.push_back(v);
    return out;
}

bool query_params::has(std::string_view key) const {
    return get(key).has_value();
}

result<std::optional<std::uint64_t>> query_params::get_uint(std::string_view key, std::uint64_t min,
                                                            std::uint64_t max) const {
    auto v = get(key);
    if (!v) return std::optional<std::uint64_t>{};
    std::uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || ptr != v->data() + v->size() || n < min || n > max)
        return make_error(errc::invalid_parameter, std::string(key) + " must be an integer from " +
                                                       std::to_string(min) + " to " +
                                                       std::to_string(max));
    return std::optional<std::uint64_t>{n};
}

result<std::optional<bool>> query_params::get_bool(std::string_view key) const {
    auto v = get(key);
    if (!v) return std::optional<bool>{};
    if (*v == "true" || *v == "1" || v->empty()) return std::optional<bool>{true};
    if (*v == "false" || *v == "0") return std::optional<bool>{false};
    return make_error(errc::invalid_parameter, std::string(key) + " must be true or false");
}

}  // namespace kho::api
