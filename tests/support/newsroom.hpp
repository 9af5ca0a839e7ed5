#pragma once
// A server with the sample units and one person per role, for the
// distribution tests (catalog, press kits, share links, usage): materials
// are uploaded with metadata, approved for an audience, then looked for and
// downloaded by the people they target.

#include "tests/support/fixtures.hpp"
#include "tests/support/people.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <ctime>
#include <map>
#include <string>

namespace kho::test {

// An RFC 3339 UTC time `seconds` from now (negative: in the past).
inline std::string rfc3339_from_now(long seconds) {
    auto t = std::chrono::system_clock::now() + std::chrono::seconds(seconds);
    auto tt = std::chrono::system_clock::to_time_t(t);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&tt));
    return buf;
}

inline std::string url_encode(std::string_view s) {
    return boost::urls::encode(s, boost::urls::unreserved_chars);
}

struct material {
    std::string title;
    std::string kind = "poster";
    std::string campaign;
    std::vector<std::string> tags;
    std::string description;
    std::string file_name = "";  // sent as Content-Disposition; the server says "file" without
};

struct newsroom {
    server_process server;
    http_client c{0};
    std::string designer, reviewer, member_hn, member_hue_primary, journalist;

    explicit newsroom(server_options options = {})
        : server(std::move(options)), c(server.port()) {
        import_sample_units(c);
        create_user(c, "lan.nguyen", "Nguyễn Thị Lan", "designer");
        create_user(c, "binh.tran", "Trần Văn Bình", "reviewer");
        create_user(c, "cuong.le", "Lê Văn Cường", "unit_member", "THPT-CVA");
        create_user(c, "dung.pham", "Phạm Thị Dung", "unit_member", "TH-VD");
        create_user(c, "phong.vien", "Phóng viên Báo GD&TĐ", "journalist");
        designer = session_for(c, "lan.nguyen");
        reviewer = session_for(c, "binh.tran");
        member_hn = session_for(c, "cuong.le");
        member_hue_primary = session_for(c, "dung.pham");
        journalist = session_for(c, "phong.vien");
    }

    // Uploads a draft as the designer; returns the asset id.
    std::string upload(const material& m, const std::string& bytes) {
        std::string target = "/api/v1/assets?title=" + url_encode(m.title) + "&kind=" + m.kind;
        if (!m.campaign.empty()) target += "&campaign=" + url_encode(m.campaign);
        if (!m.description.empty()) target += "&description=" + url_encode(m.description);
        for (const auto& t : m.tags) target += "&tag=" + url_encode(t);
        header_fields headers;
        if (!m.file_name.empty())
            headers.emplace_back("Content-Disposition",
                                 "attachment; filename*=UTF-8''" + url_encode(m.file_name));
        auto r = c.request("POST", target, bearer(designer, headers), bytes);
        INFO(r.body);
        REQUIRE(r.status == 201);
        return json_of(r)["id"].get<std::string>();
    }

    http_response step(const std::string& token, const std::string& asset, int n,
                       const std::string& action, const nlohmann::json& body = nlohmann::json::object()) {
        return c.request("POST",
                         "/api/v1/assets/" + asset + "/versions/" + std::to_string(n) + "/" + action,
                         bearer(token), body.dump());
    }

    // Submits (as the designer) and approves (as the reviewer) version n.
    void approve(const std::string& asset, const nlohmann::json& audience, int n = 1,
                 const nlohmann::json& window = nlohmann::json::object()) {
        auto s = step(designer, asset, n, "submit");
        INFO(s.body);
        REQUIRE(s.status == 200);
        nlohmann::json body = window;
        body["audience"] = audience;
        auto a = step(reviewer, asset, n, "approve", body);
        INFO(a.body);
        REQUIRE(a.status == 200);
    }

    std::string publish(const material& m, const std::string& bytes,
                        const nlohmann::json& audience = {{"all_units", true}, {"press", true}}) {
        auto id = upload(m, bytes);
        approve(id, audience);
        return id;
    }
};

}  // namespace kho::test
