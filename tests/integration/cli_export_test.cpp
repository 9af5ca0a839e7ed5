// kho export --approved against the real server: a designer uploads three
// posters with Vietnamese titles, a reviewer approves two of them for
// different audiences, and the CLI (KHO_CLI_PATH, run as a child process
// with the admin token) copies what each school may use into a folder. Then
// the library changes (a new version, an archived poster) and the export is
// run again, and once more after being killed mid-way.

#include "tests/support/cli_runner.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/people.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

using namespace kho::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// `kho --url <server> --token <admin> args...`, its output going to files.
pid_t spawn_kho(const server_process& s, std::vector<std::string> args, const fs::path& out,
                const fs::path& err) {
    args.insert(args.begin(),
                {"--url", "http://127.0.0.1:" + std::to_string(s.port()), "--token", admin_token});
    return kho::test::spawn_kho(args, out, err);
}

cli_result kho_as_admin(const server_process& s, const std::vector<std::string>& args) {
    temp_dir logs("kho-export-log");
    const pid_t pid = spawn_kho(s, args, logs.path() / "out", logs.path() / "err");
    cli_result r;
    r.exit_code = wait_kho(pid);
    r.out = read_file(logs.path() / "out");
    r.err = read_file(logs.path() / "err");
    return r;
}

// Percent-encodes a query value (everything but unreserved characters).
std::string pct(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string file_sha256(const fs::path& p) {
    return sha256_hex(read_file(p));
}

// Every regular file under `dir`, as '/'-separated paths relative to it.
std::set<std::string> files_in(const fs::path& dir) {
    std::set<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) out.insert(fs::relative(e.path(), dir).generic_string());
    return out;
}

struct library {
    server_process server;
    http_client c{0};
    std::string designer, reviewer;

    library() : c(server.port()) {
        import_sample_units(c);
        create_user(c, "lan.nguyen", "Nguyễn Thị Lan", "designer");
        create_user(c, "binh.tran", "Trần Văn Bình", "reviewer");
        designer = session_for(c, "lan.nguyen");
        reviewer = session_for(c, "binh.tran");
    }

    std::string create(const std::string& title, const std::string& file_name,
                       const std::string& extra_query, const std::string& bytes) {
        auto r = c.request(
            "POST",
            "/api/v1/assets?title=" + pct(title) + "&filename=" + pct(file_name) + extra_query,
            bearer(designer, {{"Content-Type", "image/png"}}), bytes);
        INFO(r.body);
        REQUIRE(r.status == 201);
        return json_of(r)["id"].get<std::string>();
    }

    int add_version(const std::string& id, const std::string& file_name, std::uint32_t seed) {
        auto r = c.request("POST", "/api/v1/assets/" + id + "/versions?filename=" + pct(file_name),
                           bearer(designer, {{"Content-Type", "image/png"}}), fake_png(seed));
        INFO(r.body);
        REQUIRE(r.status == 201);
        return json_of(r)["number"].get<int>();
    }

    void step(const std::string& token, const std::string& id, int n, const std::string& action,
              const json& body = json::object()) {
        auto r = c.request("POST",
                           "/api/v1/assets/" + id + "/versions/" + std::to_string(n) + "/" + action,
                           bearer(token), body.dump());
        INFO(action << ": " << r.body);
        REQUIRE(r.status == 200);
    }

    void publish(const std::string& id, int n, const json& audience) {
        step(designer, id, n, "submit");
        step(reviewer, id, n, "approve", {{"audience", audience}});
    }
};

const json hanoi_upper_secondary{{"provinces", {"Hà Nội"}}, {"levels", {"upper_secondary"}}};
const json everyone{{"all_units", true}};

}  // namespace

TEST_CASE("kho export copies what a unit may use and keeps the copy up to date", "[cli][export]") {
    library lib;
    // A title and a file name with every character FAT refuses; a poster
    // without a campaign; a draft that is submitted but never approved.
    const std::string nq71 = lib.create(
        "Áp phích Nghị quyết 71/NQ-TW: \"Đổi mới\"?", "áp phích*nq71.png",
        "&campaign=" + pct("Nghị quyết 71") + "&tags=" + pct("nq71,áp phích"), fake_png(1));
    const std::string atgt = lib.create(
        "Infographic An toàn giao thông", "an-toan-giao-thong.png",
        "&description=" + pct("- Dùng cho tiết sinh hoạt lớp, \"An toàn\"\nlớp 10"), fake_png(2));
    const std::string draft = lib.create("Bản nháp chưa duyệt", "ban-nhap.png", "", fake_png(3));
    lib.publish(nq71, 1, hanoi_upper_secondary);
    lib.publish(atgt, 1, everyone);
    lib.step(lib.designer, draft, 1, "submit");

    const std::string nq71_dir =
        "Nghị quyết 71/Áp phích Nghị quyết 71_NQ-TW_ _Đổi mới__ (" + nq71.substr(nq71.size() - 8) + ")";
    const std::string nq71_v1 = nq71_dir + "/áp phích_nq71.png";
    const std::string atgt_dir = "khac/Infographic An toàn giao thông (" + atgt.substr(atgt.size() - 8) + ")";
    const std::string atgt_v1 = atgt_dir + "/an-toan-giao-thong.png";

    temp_dir out("kho-export");
    const fs::path hn = out.path() / "THPT Chu Văn An";
    const fs::path ct = out.path() / "THPT Châu Văn Liêm";

    SECTION("a school in Hà Nội gets both approved posters, with a catalogue and a manifest") {
        auto r =
            kho_as_admin(lib.server, {"export", hn.string(), "--approved", "--unit", "THPT-CVA"});
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(r.out.find("copied 2 (") != std::string::npos);
        CHECK(r.out.find("unchanged 0, removed 0") != std::string::npos);
        CHECK(files_in(hn) ==
              std::set<std::string>{nq71_v1, atgt_v1, "danh-muc.csv", "kho-export.json"});
        CHECK(file_sha256(hn / nq71_v1) == sha256_hex(fake_png(1)));
        CHECK(file_sha256(hn / atgt_v1) == sha256_hex(fake_png(2)));

        const std::string csv = read_file(hn / "danh-muc.csv");
        REQUIRE(
            csv.starts_with("\xEF\xBB\xBF"
                            "title,kind,campaign,tags,description,version,file,sha256,size,"
                            "valid_from,valid_until\r\n"));
        CHECK(csv.find("\"Áp phích Nghị quyết 71/NQ-TW: \"\"Đổi mới\"\"?\",poster,Nghị quyết 71,"
                       "\"nq71, áp phích\",,1," +
                       nq71_v1 + "," + sha256_hex(fake_png(1)) + "," +
                       std::to_string(fake_png(1).size()) + ",,\r\n") != std::string::npos);
        // A description starting with "-" stays text in Excel.
        CHECK(csv.find("\"'- Dùng cho tiết sinh hoạt lớp, \"\"An toàn\"\"\nlớp 10\"") !=
              std::string::npos);
        CHECK(csv.find("Bản nháp") == std::string::npos);
        std::size_t crlf = 0;
        for (std::size_t p = 0; (p = csv.find("\r\n", p)) != std::string::npos; p += 2) ++crlf;
        CHECK(crlf == 3);

        auto manifest = json::parse(read_file(hn / "kho-export.json"));
        CHECK(manifest["unit"] == "THPT-CVA");
        CHECK(manifest["server"] == "http://127.0.0.1:" + std::to_string(lib.server.port()));
        CHECK(manifest["exported_at"].get<std::string>().ends_with("Z"));
        CHECK_FALSE(manifest.contains("pending"));
        REQUIRE(manifest["items"].size() == 2);
        for (const auto& item : manifest["items"]) {
            const bool is_nq71 = item["asset_id"] == nq71;
            CHECK(item["version"] == 1);
            CHECK(item["path"] == (is_nq71 ? nq71_v1 : atgt_v1));
            CHECK(item["sha256"] == sha256_hex(fake_png(is_nq71 ? 1 : 2)));
            CHECK(item["size"] == fake_png(1).size());
            CHECK(item["renditions"] == json::array());
        }
        // Nothing FAT or exFAT refuses in any name.
        for (const auto& path : files_in(hn))
            CHECK(path.find_first_of("\\:*?\"<>|") == std::string::npos);

        SECTION("a school in Cần Thơ gets only the poster for every unit") {
            auto c = kho_as_admin(lib.server,
                                  {"export", ct.string(), "--approved", "--unit", "THPT-CVL"});
            INFO(c.out << c.err);
            REQUIRE(c.exit_code == 0);
            CHECK(files_in(ct) ==
                  std::set<std::string>{atgt_v1, "danh-muc.csv", "kho-export.json"});
            CHECK(file_sha256(ct / atgt_v1) == sha256_hex(fake_png(2)));
        }

        SECTION("re-running copies only what changed") {
            const auto nq71_time = fs::last_write_time(hn / nq71_v1);
            const auto atgt_time = fs::last_write_time(hn / atgt_v1);
            auto again = kho_as_admin(lib.server,
                                      {"export", hn.string(), "--approved", "--unit", "THPT-CVA"});
            INFO(again.out << again.err);
            REQUIRE(again.exit_code == 0);
            CHECK(again.out.find("copied 0 (0 B), unchanged 2, removed 0") != std::string::npos);
            CHECK(fs::last_write_time(hn / nq71_v1) == nq71_time);

            // Version 2 of the Nghị quyết poster, under another file name.
            REQUIRE(lib.add_version(nq71, "áp phích nq71 (bản 2).png", 11) == 2);
            lib.publish(nq71, 2, hanoi_upper_secondary);
            auto replaced = kho_as_admin(
                lib.server, {"export", hn.string(), "--approved", "--unit", "THPT-CVA"});
            INFO(replaced.out << replaced.err);
            REQUIRE(replaced.exit_code == 0);
            CHECK(replaced.out.find("copied 1 (") != std::string::npos);
            CHECK(replaced.out.find("unchanged 1, removed 0") != std::string::npos);
            const std::string nq71_v2 = nq71_dir + "/áp phích nq71 (bản 2).png";
            CHECK(files_in(hn) ==
                  std::set<std::string>{nq71_v2, atgt_v1, "danh-muc.csv", "kho-export.json"});
            CHECK(file_sha256(hn / nq71_v2) == sha256_hex(fake_png(11)));
            CHECK(fs::last_write_time(hn / atgt_v1) == atgt_time);
            auto manifest2 = json::parse(read_file(hn / "kho-export.json"));
            CHECK(manifest2["items"][nq71 < atgt ? 0 : 1]["version"] == 2);

            // Files of the user's own are left alone, even inside an export folder.
            std::ofstream(hn / "ghi chú của thầy.txt") << "đừng xoá";
            std::ofstream(hn / atgt_dir / "nhận xét.txt") << "của trường";
            lib.step(lib.reviewer, atgt, 1, "archive");
            auto removed = kho_as_admin(
                lib.server, {"export", hn.string(), "--approved", "--unit", "THPT-CVA"});
            INFO(removed.out << removed.err);
            REQUIRE(removed.exit_code == 0);
            CHECK(removed.out.find("copied 0 (0 B), unchanged 1, removed 1") != std::string::npos);
            CHECK(files_in(hn) == std::set<std::string>{nq71_v2, "ghi chú của thầy.txt",
                                                        atgt_dir + "/nhận xét.txt", "danh-muc.csv",
                                                        "kho-export.json"});
            const std::string csv3 = read_file(hn / "danh-muc.csv");
            CHECK(csv3.find("Infographic") == std::string::npos);
            CHECK(csv3.find(nq71_v2) != std::string::npos);
        }
    }

    SECTION("an unknown unit fails with the server's detail and writes nothing") {
        auto r =
            kho_as_admin(lib.server, {"export", hn.string(), "--approved", "--unit", "KHONG-CO"});
        CHECK(r.exit_code == 1);
        CHECK(r.err.find("no unit with code KHONG-CO") != std::string::npos);
        CHECK(r.err.find("HTTP 404") != std::string::npos);
        CHECK_FALSE(fs::exists(hn));
    }

    SECTION("--approved is required") {
        auto r = kho_as_admin(lib.server, {"export", hn.string(), "--unit", "THPT-CVA"});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("--approved") != std::string::npos);
        CHECK_FALSE(fs::exists(hn));
    }
}

TEST_CASE("an export killed mid-way is completed by running it again", "[cli][export]") {
    library lib;
    // Large enough that the copy is still running when the test kills it.
    const std::string big = fake_png(5, std::size_t{192} << 20);
    const std::string id = lib.create("Video bài giảng (bản lớn)", "bai-giang.png", "", big);
    const std::string small = lib.create("Áp phích nhỏ", "nho.png", "", fake_png(6));
    lib.publish(id, 1, everyone);
    lib.publish(small, 1, everyone);

    temp_dir out("kho-export");
    const fs::path dest = out.path() / "usb";
    const auto part_of = [&]() -> std::optional<fs::path> {
        if (!fs::exists(dest)) return std::nullopt;
        for (const auto& e : fs::recursive_directory_iterator(dest))
            if (e.path().string().ends_with(".kho-part") && e.file_size() > 0) return e.path();
        return std::nullopt;
    };
    temp_dir logs("kho-export-log");
    const pid_t pid = spawn_kho(lib.server, {"export", dest.string(), "--approved"},
                                logs.path() / "out", logs.path() / "err");
    std::optional<fs::path> part;
    int status = 0;
    bool exited = false;
    for (int i = 0; i < 20000 && !part && !exited; ++i) {
        part = part_of();
        exited = ::waitpid(pid, &status, WNOHANG) == pid;
        if (!part && !exited) std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    if (!exited) {
        ::kill(pid, SIGKILL);
        wait_kho(pid);
    }
    if (part) {
        // The killed run left its partial download, and a manifest that lists it.
        CHECK(fs::exists(*part));
        auto journal = json::parse(read_file(dest / "kho-export.json"));
        CHECK(journal["items"].empty());
        CHECK(journal["pending"].size() == 4);  // two files and their partial downloads
    } else {
        WARN("the first export finished before it could be killed");
    }

    auto r = kho_as_admin(lib.server, {"export", dest.string(), "--approved"});
    INFO(r.out << r.err << read_file(logs.path() / "err"));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("removed 0") != std::string::npos);
    const std::string big_path =
        "khac/Video bài giảng (bản lớn) (" + id.substr(id.size() - 8) + ")/bai-giang.png";
    const std::string small_path = "khac/Áp phích nhỏ (" + small.substr(small.size() - 8) + ")/nho.png";
    CHECK(files_in(dest) ==
          std::set<std::string>{big_path, small_path, "danh-muc.csv", "kho-export.json"});
    CHECK(file_sha256(dest / big_path) == sha256_hex(big));
    CHECK(file_sha256(dest / small_path) == sha256_hex(fake_png(6)));
    auto manifest = json::parse(read_file(dest / "kho-export.json"));
    CHECK(manifest["items"].size() == 2);
    CHECK_FALSE(manifest.contains("pending"));
    if (part) CHECK_FALSE(fs::exists(*part));

    auto again = kho_as_admin(lib.server, {"export", dest.string(), "--approved"});
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("copied 0 (0 B), unchanged 2, removed 0") != std::string::npos);
}

TEST_CASE("kho export carries the renditions that are made", "[cli][export][media]") {
    library lib;
    temp_dir work("kho-export-media");
    auto jpeg = work.path() / "anh.jpg";
    auto cmd = "vips gaussnoise " + (work.path() / "n.v").string() + " 900 600 && vips copy " +
               (work.path() / "n.v").string() + " " + jpeg.string() + "[Q=85] >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    auto r = lib.c.request("POST", "/api/v1/assets?title=" + pct("Ảnh hoạt động ngoại khoá"),
                           bearer(lib.designer, {{"Content-Type", "image/jpeg"}}), read_file(jpeg));
    REQUIRE(r.status == 201);
    const std::string id = json_of(r)["id"];
    // Wait for the renditions.
    for (int i = 0; i < 600; ++i) {
        auto v = json_of(lib.c.request("GET", "/api/v1/assets/" + id + "/versions/1", auth()));
        bool done = !v["renditions"].empty();
        for (const auto& x : v["renditions"]) done = done && x["state"] == "done";
        if (done) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    lib.publish(id, 1, everyone);
    temp_dir dest("kho-export-dest");
    auto out = kho_as_admin(lib.server, {"export", dest.path().string(), "--approved", "--unit",
                                         "THPT-CVL"});
    INFO(out.out << out.err);
    REQUIRE(out.exit_code == 0);
    const std::string folder = "khac/Ảnh hoạt động ngoại khoá (" + id.substr(id.size() - 8) + ")";
    auto files = files_in(dest.path());
    for (const char* f : {"/renditions/thumb.webp", "/renditions/preview.webp",
                          "/renditions/preview_jpeg.jpg", "/renditions/web.jpg"}) {
        INFO(f);
        CHECK(files.count(folder + f) == 1);
    }
    auto thumb = lib.c.request("GET", "/api/v1/assets/" + id + "/renditions/thumb", auth());
    CHECK(read_file(dest.path() / (folder + "/renditions/thumb.webp")) == thumb.body);
    auto manifest = json::parse(read_file(dest.path() / "kho-export.json"));
    CHECK(manifest["items"][0]["renditions"].size() == 4);
    // Nothing changes: nothing is copied.
    auto again = kho_as_admin(lib.server, {"export", dest.path().string(), "--approved", "--unit",
                                           "THPT-CVL"});
    CHECK(again.out.find("unchanged 1") != std::string::npos);
}
