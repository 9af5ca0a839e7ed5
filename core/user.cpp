#include "core/user.hpp"

#include "core/text.hpp"

#include <nlohmann/json.hpp>

namespace kho {

std::string_view to_string(role r) noexcept {
    switch (r) {
        case role::admin:
            return "admin";
        case role::reviewer:
            return "reviewer";
        case role::designer:
            return "designer";
        case role::unit_member:
            return "unit_member";
        case role::journalist:
            return "journalist";
        case role::worker:
            return "worker";
    }
    return "unit_member";
}

const std::vector<role>& all_roles() {
    static const std::vector<role> all{role::admin, role::reviewer, role::designer,
                                       role::unit_member, role::journalist, role::worker};
    return all;
}

result<role> parse_role(std::string_view s) {
    for (auto r : all_roles())
        if (to_string(r) == s) return r;
    return make_error(errc::invalid_parameter,
                      "unknown role \"" + std::string(s) +
                          "\"; expected admin, reviewer, designer, unit_member, journalist or worker");
}

result<std::string> normalize_username(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '@' || c == '-';
        if (!ok)
            return make_error(errc::invalid_parameter,
                              "a user name may contain only letters a-z, digits and . _ @ -");
        out += c;
    }
    if (out.size() < 3 || out.size() > 64)
        return make_error(errc::invalid_parameter, "a user name is 3 to 64 characters long");
    if (!((out[0] >= 'a' && out[0] <= 'z') || (out[0] >= '0' && out[0] <= '9')))
        return make_error(errc::invalid_parameter, "a user name starts with a letter or a digit");
    return out;
}

result<std::string> normalize_display_name(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    if (s.empty() || s.size() > 200)
        return make_error(errc::invalid_parameter, "a display name is 1 to 200 bytes long");
    if (!is_valid_utf8(s))
        return make_error(errc::invalid_parameter, "the display name is not valid UTF-8");
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f)
            return make_error(errc::invalid_parameter,
                              "the display name contains a control character");
    return std::string(s);
}

std::string encode_record(const user& u) {
    nlohmann::json j{{"id", u.id},
                     {"username", u.username},
                     {"display_name", u.display_name},
                     {"role", std::string(to_string(u.role))},
                     {"unit", u.unit_code},
                     {"disabled", u.disabled},
                     {"must_change_password", u.must_change_password},
                     {"password_hash", u.password_hash},
                     {"created_at", u.created_at},
                     {"updated_at", u.updated_at},
                     {"password_changed_at", u.password_changed_at}};
    return j.dump();
}

result<user> decode_user_record(std::string_view bytes) {
    auto j = nlohmann::json::parse(bytes, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return make_error(errc::internal, "corrupt user record");
    try {
        user u;
        u.id = j.at("id").get<std::string>();
        u.username = j.at("username").get<std::string>();
        u.display_name = j.at("display_name").get<std::string>();
        auto r = parse_role(j.at("role").get<std::string>());
        if (!r) return make_error(errc::internal, "corrupt user record: role");
        u.role = *r;
        u.unit_code = j.value("unit", "");
        u.disabled = j.value("disabled", false);
        u.must_change_password = j.value("must_change_password", false);
        u.password_hash = j.value("password_hash", "");
        u.created_at = j.value("created_at", unix_ms{0});
        u.updated_at = j.value("updated_at", unix_ms{0});
        u.password_changed_at = j.value("password_changed_at", unix_ms{0});
        return u;
    } catch (const nlohmann::json::exception&) {
        return make_error(errc::internal, "corrupt user record");
    }
}

nlohmann::json to_api_json(const user& u) {
    return nlohmann::json{{"id", u.id},
                          {"username", u.username},
                          {"display_name", u.display_name},
                          {"role", std::string(to_string(u.role))},
                          {"unit", u.unit_code.empty() ? nlohmann::json(nullptr)
                                                       : nlohmann::json(u.unit_code)},
                          {"disabled", u.disabled},
                          {"must_change_password", u.must_change_password},
                          {"created_at", format_rfc3339(u.created_at)},
                          {"updated_at", format_rfc3339(u.updated_at)}};
}

}  // namespace kho
