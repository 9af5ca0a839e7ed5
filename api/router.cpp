#include "api/router.hpp"

#include <algorithm>

namespace kho::api {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> segs;
    size_t pos = 0;
    if (!path.empty() && path.front() == '/') pos = 1;
    while (pos <= path.size()) {
        auto next = path.find('/', pos);
        if (next == std::string_view::npos) next = path.size();
        segs.push_back(path.substr(pos, next - pos));
        pos = next + 1;
    }
    return segs;
}

bool match_pattern(const std::vector<std::string>& pat, const std::vector<std::string_view>& segs,
                   std::vector<std::string>& params) {
    if (pat.size() != segs.size()) return false;
    std::vector<std::string> captured;
    for (size_t i = 0; i < pat.size(); ++i) {
        if (pat[i].starts_with('{')) {
            if (segs[i].empty()) return false;
            captured.emplace_back(segs[i]);
        } else if (pat[i] != segs[i]) {
            return false;
        }
    }
    params = std::move(captured);
    return true;
}

}  // namespace

void router::add(route r) {
    std::vector<std::string> segs;
    for (auto seg : split_path(r.pattern)) segs.emplace_back(seg);
    segments_.push_back(std::move(segs));
    routes_.push_back(std::move(r));
}

route_match router::match(std::string_view method, std::string_view path) const {
    route_match m;
    auto segs = split_path(path);
    // HEAD is answered by a route's own HEAD handler if it has one (tus),
    // else by its GET handler.
    const route* head_fallback = nullptr;
    std::vector<std::string> fallback_params;
    for (size_t i = 0; i < routes_.size(); ++i) {
        const auto& r = routes_[i];
        std::vector<std::string> params;
        if (!match_pattern(segments_[i], segs, params)) continue;
        if (r.method == method) {
            m.matched = &r;
            m.params = std::move(params);
            return m;
        }
        if (method == "HEAD" && r.method == "GET" && !head_fallback) {
            head_fallback = &r;
            fallback_params = params;
        }
        auto allow = [&](const std::string& verb) {
            if (std::find(m.allowed.begin(), m.allowed.end(), verb) == m.allowed.end())
                m.allowed.push_back(verb);
        };
        allow(r.method);
        if (r.method == "GET") allow("HEAD");
    }
    if (head_fallback) {
        m.matched = head_fallback;
        m.params = std::move(fallback_params);
        m.allowed.clear();
    }
    return m;
}

}  // namespace kho::api
