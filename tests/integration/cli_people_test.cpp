// kho users / tokens / units against the real server: the binary is run as a
// child process (KHO_CLI_PATH) with a controlled environment and, for
// --password-stdin, a given standard input; what it did is then checked
// through the HTTP API (signing in, GET /api/v1/me, GET /api/v1/users/{id}).

#include "tests/support/cli_runner.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>

using namespace kho::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

// kho --url <server> --token <admin> args...
cli_result kho_as_admin(const server_process& s, std::vector<std::string> args,
                        const std::string& in = {}) {
    args.insert(args.begin(),
                {"--url", "http://127.0.0.1:" + std::to_string(s.port()), "--token", admin_token});
    return run_kho(args, cli_options{{}, {}, in});
}

void write_file(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary);
    out << bytes;
    REQUIRE(out.good());
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// The value of the line "<label>  <value>" in the CLI's output; empty when absent.
std::string labelled(const std::string& out, const std::string& label) {
    for (const auto& line : lines_of(out))
        if (line.starts_with(label + " ")) {
            auto value = line.substr(label.size());
            return value.substr(value.find_first_not_of(' '));
        }
    return {};
}

// The table row (of `kho ... list`) whose first column is `key`.
std::optional<std::string> row_of(const std::string& out, const std::string& key) {
    for (const auto& line : lines_of(out))
        if (line.starts_with(key + " ")) return line;
    return std::nullopt;
}

// Where `what` starts in `line`, in characters (code points).
std::size_t char_column(std::string_view line, std::string_view what) {
    const auto at = line.find(what);
    REQUIRE(at != std::string_view::npos);
    std::size_t chars = 0;
    for (std::size_t i = 0; i < at; ++i)
        if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) ++chars;
    return chars;
}

header_fields bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
}

http_response sign_in(http_client& c, const std::string& username, const std::string& password) {
    return c.request("POST", "/api/v1/sessions", {{"Content-Type", "application/json"}},
                     json{{"username", username}, {"password", password}}.dump());
}

const std::string good_units_csv =
    "code,name,parent_code,province,level\r\n"
    "BGDDT,Bộ Giáo dục và Đào tạo,,,\r\n"
    "SGD-HN,Sở GDĐT Hà Nội,BGDDT,Hà Nội,\r\n"
    "THPT-CHU-VAN-AN,Trường THPT Chu Văn An,SGD-HN,Hà Nội,upper_secondary\r\n";

// Three bad rows among good ones (lines 3, 4 and 6): nothing may be imported.
const std::string bad_units_csv =
    "code,name,parent_code,province,level\n"
    "SGD-HCM,Sở GDĐT Thành phố Hồ Chí Minh,BGDDT,Thành phố Hồ Chí Minh,\n"
    "THCS-LE-LOI,Trường THCS Lê Lợi,SGD-HN,Hà Nội,trung_hoc_co_so\n"
    ",Trường không có mã,SGD-HN,Hà Nội,primary\n"
    "TH-KIM-DONG,Trường Tiểu học Kim Đồng,SGD-HN,Hà Nội,primary\n"
    "TH-MO-COI,Trường Tiểu học Mồ Côi,SGD-KHONG-CO,Hà Nội,primary\n";

void import_good_units(const server_process& server, const fs::path& dir) {
    write_file(dir / "đơn vị.csv", good_units_csv);
    auto r = kho_as_admin(server, {"units", "import", (dir / "đơn vị.csv").string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
}

std::set<std::string> unit_codes(const server_process& server) {
    auto r = kho_as_admin(server, {"units", "list", "--json"});
    REQUIRE(r.exit_code == 0);
    std::set<std::string> codes;
    for (const auto& u : json::parse(r.out)) codes.insert(u.at("code").get<std::string>());
    return codes;
}

}  // namespace

TEST_CASE("kho units import, list and export keep Vietnamese names, a bad file changes nothing",
          "[cli][people]") {
    server_process server;
    temp_dir work;
    const fs::path good = work.path() / "đơn vị.csv";
    write_file(good, good_units_csv);

    auto imported = kho_as_admin(server, {"units", "import", good.string()});
    INFO(imported.err);
    REQUIRE(imported.exit_code == 0);
    CHECK(imported.out == good.string() + ": 3 created, 0 updated, 0 unchanged\n");

    auto listed = kho_as_admin(server, {"units", "list"});
    REQUIRE(listed.exit_code == 0);
    auto rows = lines_of(listed.out);
    REQUIRE(rows.size() == 4);
    CHECK(rows[0].starts_with("CODE "));
    const auto school = row_of(listed.out, "THPT-CHU-VAN-AN");
    REQUIRE(school);
    CHECK(school->find("Trường THPT Chu Văn An") != std::string::npos);
    CHECK(school->find("SGD-HN") != std::string::npos);
    CHECK(school->ends_with("upper_secondary"));
    const auto ministry = row_of(listed.out, "BGDDT");
    REQUIRE(ministry);
    CHECK(ministry->find("Bộ Giáo dục và Đào tạo") != std::string::npos);
    // Columns line up in characters, not bytes: PARENT and PROVINCE start
    // where "SGD-HN" and "Hà Nội" do in the school's row.
    CHECK(char_column(rows[0], "PARENT") == char_column(*school, "SGD-HN"));
    CHECK(char_column(rows[0], "PROVINCE") == char_column(*school, "Hà Nội"));

    auto as_json = kho_as_admin(server, {"units", "list", "--json"});
    REQUIRE(as_json.exit_code == 0);
    auto units = json::parse(as_json.out);
    REQUIRE(units.size() == 3);
    CHECK(units[2]["code"] == "THPT-CHU-VAN-AN");
    CHECK(units[2]["name"] == "Trường THPT Chu Văn An");
    CHECK(units[2]["parent_code"] == "SGD-HN");
    CHECK(units[1]["province"] == "Hà Nội");

    SECTION("filters reach the server intact") {
        auto children = json::parse(
            kho_as_admin(server, {"units", "list", "--parent", "SGD-HN", "--json"}).out);
        REQUIRE(children.size() == 1);
        CHECK(children[0]["code"] == "THPT-CHU-VAN-AN");
        auto in_hanoi = json::parse(
            kho_as_admin(server, {"units", "list", "--province", "Hà Nội", "--json"}).out);
        CHECK(in_hanoi.size() == 2);
        auto upper = json::parse(
            kho_as_admin(server, {"units", "list", "--level", "upper_secondary", "--json"}).out);
        REQUIRE(upper.size() == 1);
        CHECK(upper[0]["code"] == "THPT-CHU-VAN-AN");
        auto found = json::parse(
            kho_as_admin(server, {"units", "list", "--query", "chu van an", "--json"}).out);
        REQUIRE(found.size() == 1);
        CHECK(found[0]["name"] == "Trường THPT Chu Văn An");
        auto none = kho_as_admin(server, {"units", "list", "--query", "Đà Nẵng"});
        CHECK(none.exit_code == 0);
        CHECK(none.out.empty());
        auto bad_level = kho_as_admin(server, {"units", "list", "--level", "cap_3"});
        CHECK(bad_level.exit_code == 2);
    }

    SECTION("a bad file reports every bad line, exits 1 and imports nothing") {
        const fs::path bad = work.path() / "sai.csv";
        write_file(bad, bad_units_csv);
        auto r = kho_as_admin(server, {"units", "import", bad.string()});
        CHECK(r.exit_code == 1);
        INFO(r.err);
        CHECK(r.out.empty());
        std::vector<std::string> reported;
        for (const auto& line : lines_of(r.err))
            if (line.starts_with("line ")) reported.push_back(line);
        REQUIRE(reported.size() == 3);
        CHECK(reported[0].starts_with("line 3: "));
        CHECK(reported[0].find("trung_hoc_co_so") != std::string::npos);
        CHECK(reported[1].starts_with("line 4: "));
        CHECK(reported[2].starts_with("line 6: "));
        CHECK(reported[2].find("SGD-KHONG-CO") != std::string::npos);
        CHECK(r.err.find("HTTP 422") != std::string::npos);
        CHECK(unit_codes(server) == std::set<std::string>{"BGDDT", "SGD-HN", "THPT-CHU-VAN-AN"});

        auto as_json = kho_as_admin(server, {"--json", "units", "import", bad.string()});
        CHECK(as_json.exit_code == 1);
        CHECK(json::parse(as_json.out)["errors"].size() == 3);
    }

    SECTION("export is the server's bytes, and importing it again changes nothing") {
        const fs::path exported = work.path() / "xuất.csv";
        auto to_file = kho_as_admin(server, {"units", "export", "-o", exported.string()});
        INFO(to_file.err);
        REQUIRE(to_file.exit_code == 0);
        const std::string bytes = read_file(exported);
        CHECK(
            bytes.starts_with("\xEF\xBB\xBF"
                              "code,name,parent_code,province,level\r\n"));
        CHECK(bytes.find("Trường THPT Chu Văn An") != std::string::npos);

        http_client c(server.port());
        auto direct = c.request("GET", "/api/v1/units/export", auth());
        REQUIRE(direct.status == 200);
        CHECK(bytes == direct.body);
        auto to_stdout = kho_as_admin(server, {"units", "export"});
        REQUIRE(to_stdout.exit_code == 0);
        CHECK(to_stdout.out == direct.body);

        auto again = kho_as_admin(server, {"units", "import", exported.string()});
        INFO(again.err);
        REQUIRE(again.exit_code == 0);
        CHECK(again.out == exported.string() + ": 0 created, 0 updated, 3 unchanged\n");
    }

    SECTION("a missing file and a missing token are reported before anything is sent") {
        auto missing =
            kho_as_admin(server, {"units", "import", (work.path() / "không có.csv").string()});
        CHECK(missing.exit_code == 1);
        CHECK(missing.err.find("không có.csv") != std::string::npos);
        auto no_token = run_kho(
            {"--url", "http://127.0.0.1:" + std::to_string(server.port()), "units", "list"});
        CHECK(no_token.exit_code == 2);
    }
}

TEST_CASE("kho users add, list, set-role, disable, enable and reset-password", "[cli][people]") {
    server_process server;
    temp_dir work;
    import_good_units(server, work.path());
    http_client c(server.port());

    auto added = kho_as_admin(server, {"users", "add", "lan.nguyen", "--name", "Nguyễn Thị Lan",
                                       "--role", "designer", "--unit", "SGD-HN"});
    INFO(added.err);
    REQUIRE(added.exit_code == 0);
    CHECK(labelled(added.out, "user") == "lan.nguyen");
    CHECK(labelled(added.out, "name") == "Nguyễn Thị Lan");
    CHECK(labelled(added.out, "unit") == "SGD-HN (Sở GDĐT Hà Nội)");
    const std::string first_password = labelled(added.out, "initial password");
    REQUIRE(first_password.size() >= 10);
    CHECK(added.err.find("shown only this once") != std::string::npos);
    const std::string id = labelled(added.out, "id");
    REQUIRE(id.size() == 26);

    auto session = sign_in(c, "lan.nguyen", first_password);
    REQUIRE(session.status == 201);
    const std::string session_token = json::parse(session.body)["token"];
    auto me = c.request("GET", "/api/v1/me", bearer(session_token));
    REQUIRE(me.status == 200);
    CHECK(json::parse(me.body)["display_name"] == "Nguyễn Thị Lan");

    SECTION("list shows the account, and its filters reach the server") {
        auto listed = kho_as_admin(server, {"users", "list"});
        REQUIRE(listed.exit_code == 0);
        CHECK(lines_of(listed.out)[0].starts_with("USERNAME "));
        auto row = row_of(listed.out, "lan.nguyen");
        REQUIRE(row);
        CHECK(row->find("Nguyễn Thị Lan") != std::string::npos);
        CHECK(row->find("designer") != std::string::npos);
        CHECK(row->find("SGD-HN") != std::string::npos);
        CHECK(row->ends_with("no"));
        CHECK(row_of(listed.out, "admin").has_value());

        auto by_query = json::parse(
            kho_as_admin(server, {"users", "list", "--query", "nguyen thi", "--json"}).out);
        REQUIRE(by_query.size() == 1);
        CHECK(by_query[0]["username"] == "lan.nguyen");
        auto designers = json::parse(
            kho_as_admin(server, {"users", "list", "--role", "designer", "--json"}).out);
        REQUIRE(designers.size() == 1);
        auto in_ministry =
            json::parse(kho_as_admin(server, {"users", "list", "--unit", "BGDDT", "--json"}).out);
        CHECK(in_ministry.empty());
    }

    SECTION("set-role changes the role and the unit") {
        auto r = kho_as_admin(server,
                              {"users", "set-role", "lan.nguyen", "reviewer", "--unit", "BGDDT"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(labelled(r.out, "role") == "reviewer");
        auto u = c.request("GET", "/api/v1/users/" + id, auth());
        REQUIRE(u.status == 200);
        CHECK(json::parse(u.body)["role"] == "reviewer");
        CHECK(json::parse(u.body)["unit"] == "BGDDT");

        auto unknown_unit = kho_as_admin(
            server, {"users", "set-role", "lan.nguyen", "designer", "--unit", "SGD-XX"});
        CHECK(unknown_unit.exit_code == 1);
        CHECK(unknown_unit.err.find("SGD-XX") != std::string::npos);
        auto bad_role = kho_as_admin(server, {"users", "set-role", "lan.nguyen", "hiệu_trưởng"});
        CHECK(bad_role.exit_code == 2);
    }

    SECTION("disable ends the session at once and refuses sign-in; enable lets her back") {
        auto r = kho_as_admin(server, {"users", "disable", "lan.nguyen"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(c.request("GET", "/api/v1/me", bearer(session_token)).status == 401);
        CHECK(sign_in(c, "lan.nguyen", first_password).status == 401);
        CHECK(json::parse(c.request("GET", "/api/v1/users/" + id, auth()).body)["disabled"] ==
              true);
        CHECK(row_of(kho_as_admin(server, {"users", "list"}).out, "lan.nguyen")
                  .value()
                  .ends_with("yes"));

        auto enabled = kho_as_admin(server, {"users", "enable", "LAN.NGUYEN"});
        REQUIRE(enabled.exit_code == 0);
        CHECK(sign_in(c, "lan.nguyen", first_password).status == 201);
        CHECK(c.request("GET", "/api/v1/me", bearer(session_token)).status == 401);
    }

    SECTION("reset-password prints a new password that works; the old one does not") {
        auto r = kho_as_admin(server, {"users", "reset-password", "lan.nguyen"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        const std::string fresh = labelled(r.out, "new password");
        REQUIRE(fresh.size() >= 10);
        CHECK(fresh != first_password);
        CHECK(r.err.find("shown only this once") != std::string::npos);
        CHECK(c.request("GET", "/api/v1/me", bearer(session_token)).status == 401);
        CHECK(sign_in(c, "lan.nguyen", first_password).status == 401);
        CHECK(sign_in(c, "lan.nguyen", fresh).status == 201);

        const std::string chosen = "Mật khẩu mới của Lan 2026";
        auto from_stdin = kho_as_admin(
            server, {"users", "reset-password", "lan.nguyen", "--password-stdin"}, chosen + "\n");
        INFO(from_stdin.err);
        REQUIRE(from_stdin.exit_code == 0);
        CHECK(labelled(from_stdin.out, "new password").empty());
        CHECK(from_stdin.out.find(chosen) == std::string::npos);
        CHECK(sign_in(c, "lan.nguyen", chosen).status == 201);
    }

    SECTION("add with --password-stdin prints no password; that password signs in") {
        const std::string chosen = "Thầy Hùng dạy Toán 12A1";
        auto r = kho_as_admin(server,
                              {"users", "add", "hung.tran", "--name", "Trần Văn Hùng", "--role",
                               "unit_member", "--unit", "THPT-CHU-VAN-AN", "--password-stdin"},
                              chosen + "\r\n");
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(labelled(r.out, "initial password").empty());
        CHECK(r.out.find(chosen) == std::string::npos);
        CHECK(sign_in(c, "hung.tran", chosen).status == 201);
    }

    SECTION("mistakes are reported with the server's words") {
        auto duplicate = kho_as_admin(server, {"users", "add", "lan.nguyen", "--name", "Lan khác",
                                               "--role", "designer", "--unit", "SGD-HN"});
        CHECK(duplicate.exit_code == 1);
        CHECK(duplicate.err.find("HTTP 409") != std::string::npos);
        auto nobody = kho_as_admin(server, {"users", "disable", "khong.ai"});
        CHECK(nobody.exit_code == 1);
        CHECK(nobody.err == "kho: no user is named khong.ai\n");
        // "lan" matches lan.nguyen as a search but is nobody's exact name.
        auto partial = kho_as_admin(server, {"users", "disable", "lan"});
        CHECK(partial.exit_code == 1);
        CHECK(c.request("GET", "/api/v1/me", bearer(session_token)).status == 200);
        auto member_without_unit = kho_as_admin(
            server, {"users", "add", "mai.le", "--name", "Lê Thị Mai", "--role", "unit_member"});
        CHECK(member_without_unit.exit_code == 1);
        CHECK(member_without_unit.err.find("unit") != std::string::npos);
        auto empty_stdin =
            kho_as_admin(server, {"users", "reset-password", "lan.nguyen", "--password-stdin"});
        CHECK(empty_stdin.exit_code == 2);
    }
}

TEST_CASE("kho tokens create, list and revoke", "[cli][people]") {
    server_process server;
    http_client c(server.port());

    auto created = kho_as_admin(server, {"tokens", "create", "--label", "máy chủ báo cáo",
                                         "--expires", "2099-01-01T00:00:00Z"});
    INFO(created.err);
    REQUIRE(created.exit_code == 0);
    const std::string token = labelled(created.out, "token");
    const std::string id = labelled(created.out, "id");
    REQUIRE(token.starts_with("kho_"));
    REQUIRE(id.size() == 26);
    CHECK(labelled(created.out, "label") == "máy chủ báo cáo");
    CHECK(labelled(created.out, "expires") == "2099-01-01T00:00:00.000Z");
    CHECK(created.err.find("shown only this once") != std::string::npos);

    auto me = c.request("GET", "/api/v1/me", bearer(token));
    REQUIRE(me.status == 200);
    CHECK(json::parse(me.body)["username"] == "admin");

    auto listed = kho_as_admin(server, {"tokens", "list"});
    REQUIRE(listed.exit_code == 0);
    auto row = row_of(listed.out, id);
    REQUIRE(row);
    CHECK(row->find("api_token") != std::string::npos);
    CHECK(row->find("2099-01-01T00:00:00.000Z") != std::string::npos);
    CHECK(row->ends_with("máy chủ báo cáo"));
    CHECK(listed.out.find(token) == std::string::npos);  // secrets are never listed

    auto revoked = kho_as_admin(server, {"tokens", "revoke", id});
    INFO(revoked.err);
    REQUIRE(revoked.exit_code == 0);
    CHECK(c.request("GET", "/api/v1/me", bearer(token)).status == 401);
    CHECK_FALSE(row_of(kho_as_admin(server, {"tokens", "list"}).out, id).has_value());

    auto again = kho_as_admin(server, {"tokens", "revoke", id});
    CHECK(again.exit_code == 1);
    CHECK(again.err.find("HTTP 404") != std::string::npos);

    auto bad_expiry =
        kho_as_admin(server, {"tokens", "create", "--label", "thử", "--expires", "ngày mai"});
    CHECK(bad_expiry.exit_code == 1);
    CHECK(bad_expiry.err.find("RFC 3339") != std::string::npos);
    auto no_label = kho_as_admin(server, {"tokens", "create"});
    CHECK(no_label.exit_code == 2);
}
