// The kho command-line client against the real server: the binary is run as
// a child process (KHO_CLI_PATH) with a controlled environment, and its exit
// code, stdout and stderr are checked. Files are compared by SHA-256.

#include "tests/support/cli_runner.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

using namespace kho::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string url_of(const server_process& s) {
    return "http://127.0.0.1:" + std::to_string(s.port());
}

// kho --url <server> --token <admin> args...
cli_result kho_as_admin(const server_process& s, std::vector<std::string> args,
                        const fs::path& cwd = {}) {
    args.insert(args.begin(), {"--url", url_of(s), "--token", admin_token});
    return run_kho(args, cli_options{{}, cwd, {}});
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

std::string file_sha256(const fs::path& p) {
    return sha256_hex(read_file(p));
}

std::string pseudo_random_bytes(std::uint64_t seed, std::size_t n) {
    std::string s(n, '\0');
    byte_stream(seed, n).fill(s.data(), n);
    return s;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// The access log lines (JSON) of the server, for checking what it was asked.
std::vector<json> access_log(const server_process& s) {
    std::vector<json> out;
    for (const auto& line : lines_of(read_file(s.data_dir().parent_path() / "access.log"))) {
        auto j = json::parse(line, nullptr, false);
        if (!j.is_discarded()) out.push_back(std::move(j));
    }
    return out;
}

// A loopback port nothing listens on.
std::uint16_t unused_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    ::close(fd);
    return ntohs(addr.sin_port);
}

using kho::test::temp_dir;

const std::string poster_name = "Áp phích Nghị quyết 71.png";
const std::string document_name = "Tài liệu hướng dẫn chuyển đổi số.bin";

}  // namespace

TEST_CASE("kho uploads, lists, shows and downloads assets with Vietnamese names", "[cli]") {
    server_process server(with_args({"--allowed-types", "*"}));
    temp_dir work;
    const auto poster = fake_png(71, 300000);
    const auto document = pseudo_random_bytes(2025, (3u << 20) + 12345);  // several 1 MiB pieces
    write_file(work.path() / poster_name, poster);
    write_file(work.path() / document_name, document);

    auto up = kho_as_admin(server,
                           {"upload", poster_name, document_name, "--tags", "nq71,chuyển đổi số",
                            "--campaign", "NQ71", "--description", "Tài liệu cho các trường"},
                           work.path());
    INFO(up.err);
    REQUIRE(up.exit_code == 0);
    auto out = lines_of(up.out);
    REQUIRE(out.size() == 2);
    const std::string poster_id = out[0].substr(0, 26);
    const std::string document_id = out[1].substr(0, 26);
    CHECK(out[0] == poster_id + "\t" + poster_name);
    CHECK(out[1] == document_id + "\t" + document_name);

    SECTION("ls prints both with their kinds and intact titles") {
        auto ls = kho_as_admin(server, {"ls"});
        REQUIRE(ls.exit_code == 0);
        auto rows = lines_of(ls.out);
        REQUIRE(rows.size() == 3);  // header + 2, newest first
        CHECK(rows[0].rfind("ID", 0) == 0);
        CHECK(rows[1].rfind(document_id + "  other", 0) == 0);
        CHECK(rows[1].find("1  " + document_name) != std::string::npos);
        CHECK(rows[2].rfind(poster_id + "  poster", 0) == 0);
        CHECK(rows[2].find("1  " + poster_name) != std::string::npos);

        auto by_tag = kho_as_admin(server, {"ls", "--tag", "chuyển đổi số", "--json"});
        REQUIRE(by_tag.exit_code == 0);
        auto items = json::parse(by_tag.out);
        REQUIRE(items.size() == 2);
        CHECK(items[1]["title"] == poster_name);

        auto limited = kho_as_admin(server, {"ls", "--campaign", "NQ71", "--limit", "1", "--json"});
        REQUIRE(limited.exit_code == 0);
        CHECK(json::parse(limited.out).size() == 1);

        auto posters = kho_as_admin(server, {"ls", "--kind", "poster", "--json"});
        REQUIRE(posters.exit_code == 0);
        REQUIRE(json::parse(posters.out).size() == 1);
        CHECK(json::parse(posters.out)[0]["id"] == poster_id);
    }

    SECTION("show prints the metadata and the version") {
        auto show = kho_as_admin(server, {"show", poster_id});
        REQUIRE(show.exit_code == 0);
        CHECK(show.out.find(poster_name) != std::string::npos);
        CHECK(show.out.find("Tài liệu cho các trường") != std::string::npos);
        CHECK(show.out.find("nq71, chuyển đổi số") != std::string::npos);
        CHECK(show.out.find(sha256_hex(poster)) != std::string::npos);

        auto as_json = kho_as_admin(server, {"--json", "show", document_id});
        REQUIRE(as_json.exit_code == 0);
        auto a = json::parse(as_json.out);
        CHECK(a["title"] == document_name);
        CHECK(a["campaign"] == "NQ71");
        CHECK(a["versions"][0]["sha256"] == sha256_hex(document));
    }

    SECTION("status counts the stored blobs") {
        auto status = run_kho({"status"}, cli_options{{{"KHO_URL", url_of(server)}}, {}, {}});
        REQUIRE(status.exit_code == 0);
        CHECK(status.out.find("ready   yes") != std::string::npos);
        CHECK(status.out.find("blobs   2") != std::string::npos);
        auto as_json =
            json::parse(run_kho({"status", "--json"}, cli_options{{{"KHO_URL", url_of(server)}}, {}, {}}).out);
        CHECK(as_json["blob_bytes"] == poster.size() + document.size());
    }

    SECTION("download restores byte-identical files under the server's names") {
        temp_dir into;
        for (const auto& id : {poster_id, document_id}) {
            auto dl = kho_as_admin(server, {"download", id}, into.path());
            INFO(dl.err);
            REQUIRE(dl.exit_code == 0);
        }
        CHECK(file_sha256(into.path() / poster_name) == sha256_hex(poster));
        CHECK(file_sha256(into.path() / document_name) == sha256_hex(document));

        auto named = kho_as_admin(
            server, {"download", document_id, "-o", (into.path() / "copy.bin").string()});
        REQUIRE(named.exit_code == 0);
        CHECK(file_sha256(into.path() / "copy.bin") == sha256_hex(document));
    }

    SECTION("a truncated partial download is resumed with a range request") {
        temp_dir into;
        const auto target = into.path() / "partial.bin";
        const std::size_t kept = 1500000;
        write_file(target, document.substr(0, kept));
        auto dl = kho_as_admin(server, {"download", document_id, "-o", target.string()});
        INFO(dl.err);
        REQUIRE(dl.exit_code == 0);
        CHECK(dl.err.find("resumed") != std::string::npos);
        CHECK(file_sha256(target) == sha256_hex(document));
        // The server sent only the missing part.
        bool saw_range = false;
        for (const auto& entry : access_log(server))
            saw_range |= entry.value("status", 0) == 206 &&
                         entry.value("bytes_out", std::uint64_t{0}) == document.size() - kept;
        CHECK(saw_range);

        // A complete file is left alone.
        auto again = kho_as_admin(server, {"download", document_id, "-o", target.string()});
        CHECK(again.exit_code == 0);
        CHECK(again.err.find("already complete") != std::string::npos);
    }

    SECTION("a partial file with foreign bytes fails the SHA-256 check") {
        temp_dir into;
        const auto target = into.path() / "wrong.bin";
        write_file(target, pseudo_random_bytes(7, 1000));
        auto dl = kho_as_admin(server, {"download", document_id, "-o", target.string()});
        CHECK(dl.exit_code == 1);
        CHECK(dl.err.find("SHA-256 mismatch") != std::string::npos);
        CHECK(lines_of(dl.err).size() == 1);

        auto forced =
            kho_as_admin(server, {"download", document_id, "-o", target.string(), "--force"});
        CHECK(forced.exit_code == 0);
        CHECK(file_sha256(target) == sha256_hex(document));
    }

    SECTION("a new version is uploaded and both versions download") {
        const auto second = fake_png(72, 5000);
        write_file(work.path() / "Áp phích (bản 2).png", second);
        auto v = kho_as_admin(server, {"upload", "--version-of", poster_id, "Áp phích (bản 2).png"},
                              work.path());
        INFO(v.err);
        REQUIRE(v.exit_code == 0);
        CHECK(v.out == poster_id + "\tversion 2\tÁp phích (bản 2).png\n");

        temp_dir into;
        REQUIRE(kho_as_admin(server, {"download", poster_id}, into.path()).exit_code == 0);
        CHECK(file_sha256(into.path() / "Áp phích (bản 2).png") == sha256_hex(second));
        REQUIRE(kho_as_admin(server, {"download", poster_id, "--version", "1"}, into.path())
                    .exit_code == 0);
        CHECK(file_sha256(into.path() / poster_name) == sha256_hex(poster));
    }

    SECTION("metadata with URL delimiters arrives intact") {
        const std::string title = "Tiêu đề: 50% + 50% = 100% & #1? a/b";
        auto up2 = kho_as_admin(server,
                                {"upload", poster_name, "--title", title, "--tags", "a+b,c&d",
                                 "--kind", "infographic", "--language", "en"},
                                work.path());
        REQUIRE(up2.exit_code == 0);
        auto a = json::parse(kho_as_admin(server, {"show", "--json", up2.out.substr(0, 26)}).out);
        CHECK(a["title"] == title);
        CHECK(a["tags"] == json::array({"a+b", "c&d"}));
        CHECK(a["kind"] == "infographic");
        CHECK(a["language"] == "en");
    }

    SECTION("an unknown asset is an HTTP error with the server's detail") {
        auto show = kho_as_admin(server, {"show", "01ARZ3NDEKTSV4RRFFQ69G5FAV"});
        CHECK(show.exit_code == 1);
        CHECK(show.err.find("not_found") != std::string::npos);
        CHECK(show.err.find("404") != std::string::npos);
        auto dl =
            kho_as_admin(server, {"download", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "-o", "/dev/null"});
        CHECK(dl.exit_code == 1);
        CHECK(dl.err.find("not_found") != std::string::npos);
    }
}

TEST_CASE("kho ls follows next_cursor across pages", "[cli]") {
    server_process server;
    http_client c(server.port());
    const int count = 205;  // the server sends at most 200 per page
    std::set<std::string> ids;
    for (int i = 0; i < count; ++i) {
        auto r = c.request("POST", "/api/v1/assets?filename=p" + std::to_string(i) + ".png", auth(),
                           fake_png(static_cast<std::uint32_t>(1000 + i), 64));
        REQUIRE(r.status == 201);
        ids.insert(json::parse(r.body)["id"].get<std::string>());
    }

    auto all = kho_as_admin(server, {"ls", "--json"});
    REQUIRE(all.exit_code == 0);
    std::set<std::string> listed;
    for (const auto& item : json::parse(all.out)) listed.insert(item["id"].get<std::string>());
    CHECK(listed == ids);

    auto table = kho_as_admin(server, {"ls"});
    REQUIRE(table.exit_code == 0);
    CHECK(lines_of(table.out).size() == count + 1);

    auto limited = kho_as_admin(server, {"ls", "--limit", "203", "--json"});
    REQUIRE(limited.exit_code == 0);
    CHECK(json::parse(limited.out).size() == 203);
}

TEST_CASE("kho upload of HTML to a default server fails with the 415 detail", "[cli]") {
    server_process server;
    temp_dir work;
    write_file(work.path() / "Trang chủ.html",
               "<!DOCTYPE html>\n<html><head><title>Trang chủ</title></head><body>Xin "
               "chào</body></html>\n");
    write_file(work.path() / "ảnh.png", fake_png(3));

    auto one = kho_as_admin(server, {"upload", "Trang chủ.html"}, work.path());
    CHECK(one.exit_code == 1);
    CHECK(one.out.empty());
    CHECK(one.err.find("text/html") != std::string::npos);
    CHECK(one.err.find("unsupported_media_type, HTTP 415") != std::string::npos);
    CHECK(lines_of(one.err).size() == 1);

    // The other files still go up, and the summary says what happened.
    auto mixed = kho_as_admin(server, {"upload", "Trang chủ.html", "ảnh.png"}, work.path());
    CHECK(mixed.exit_code == 1);
    CHECK(lines_of(mixed.out).size() == 1);
    CHECK(mixed.out.find("\tảnh.png") != std::string::npos);
    CHECK(mixed.err.find("uploaded 1 of 2 files; 1 failed") != std::string::npos);
}

TEST_CASE("kho without a token is a usage error", "[cli]") {
    // Port 1: a usage error must come before any attempt to connect.
    auto r = run_kho({"--url", "http://127.0.0.1:1", "ls"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("KHO_TOKEN") != std::string::npos);
    CHECK(lines_of(r.err).size() == 1);

    auto up = run_kho({"upload", "a.png"}, cli_options{{{"KHO_URL", "http://127.0.0.1:1"}}, {}, {}});
    CHECK(up.exit_code == 2);
    CHECK(up.err.find("token") != std::string::npos);
}

TEST_CASE("kho reports other usage errors with exit code 2", "[cli]") {
    const cli_options env{{{"KHO_TOKEN", admin_token}, {"KHO_URL", "http://127.0.0.1:1"}}, {}, {}};
    CHECK(run_kho({"ls", "--kind", "poem"}, env).exit_code == 2);
    CHECK(run_kho({"frobnicate"}, env).exit_code == 2);
    CHECK(run_kho({}, env).exit_code == 2);
    CHECK(run_kho({"upload", "--version-of", "X", "--title", "t", "a.png"}, env).exit_code == 2);
    auto https = run_kho({"--url", "https://kho.example", "status"}, env);
    CHECK(https.exit_code == 2);
    CHECK(https.err.find("http://") != std::string::npos);
    auto help = run_kho({"--help"}, env);
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("download") != std::string::npos);
}

TEST_CASE("kho reports an unreachable server with exit code 1", "[cli]") {
    const auto port = std::to_string(unused_port());
    const std::string url = "http://127.0.0.1:" + port;
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--url", url, "--token", admin_token, "ls"},
             {"--url", url, "status"},
             {"--url", url, "--token", admin_token, "download", "01ARZ3NDEKTSV4RRFFQ69G5FAV"}}) {
        auto r = run_kho(args);
        CHECK(r.exit_code == 1);
        CHECK(r.err == "kho: cannot connect to 127.0.0.1:" + port + ": Connection refused\n");
    }
}

TEST_CASE("kho gc removes only unreferenced blobs, kho verify reports a flipped byte by version",
          "[cli]") {
    server_process server;
    temp_dir work;
    write_file(work.path() / "Áp phích.png", fake_png(21, 50000));
    auto up = kho_as_admin(server, {"upload", "Áp phích.png"}, work.path());
    REQUIRE(up.exit_code == 0);
    const std::string id = up.out.substr(0, 26);

    // A blob left by a crash between placing it and committing its asset.
    auto orphan_dir = server.data_dir() / "blobs" / "sha256" / "00" / "00";
    fs::create_directories(orphan_dir);
    write_file(orphan_dir / std::string(64, '0').replace(0, 4, "0000"), "orphan bytes");

    auto dry = kho_as_admin(server, {"gc", "--dry-run", "--json"});
    REQUIRE(dry.exit_code == 0);
    CHECK(nlohmann::json::parse(dry.out)["unreferenced_blobs"] == 1);
    CHECK(fs::exists(orphan_dir / std::string(64, '0')));
    auto gc = kho_as_admin(server, {"gc"});
    REQUIRE(gc.exit_code == 0);
    CHECK(gc.out.find("removed 1 unreferenced blob") != std::string::npos);
    CHECK_FALSE(fs::exists(orphan_dir / std::string(64, '0')));

    // kho reindex rebuilds the catalog from the records.
    auto reindexed = kho_as_admin(server, {"reindex"});
    CHECK(reindexed.exit_code == 0);
    CHECK(reindexed.out == "indexed 1 assets\n");

    auto clean = kho_as_admin(server, {"verify"});
    CHECK(clean.exit_code == 0);
    CHECK(clean.out.find("everything is intact") != std::string::npos);

    // Bit rot: one byte of the stored original changes.
    fs::path blob;
    for (const auto& e : fs::recursive_directory_iterator(server.data_dir() / "blobs"))
        if (e.is_regular_file()) blob = e.path();
    REQUIRE_FALSE(blob.empty());
    fs::permissions(blob, fs::perms::owner_write, fs::perm_options::add);
    {
        std::fstream f(blob, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(1000);
        f.put('\x42');
    }
    auto rotten = kho_as_admin(server, {"verify", "--json"});
    CHECK(rotten.exit_code == 1);
    auto report = nlohmann::json::parse(rotten.out);
    CHECK(report["ok"] == false);
    REQUIRE(report["problems"].size() == 1);
    CHECK(report["problems"][0]["problem"] == "corrupt");
    CHECK(report["problems"][0]["versions"][0] == id + " v1");
    // The referenced (if damaged) blob is never collected.
    CHECK(kho_as_admin(server, {"gc"}).exit_code == 0);
    CHECK(fs::exists(blob));
}

TEST_CASE("kho backup while uploads run, kho restore into a new directory, every asset intact",
          "[cli]") {
    server_process server;
    temp_dir work;
    http_client c(server.port());
    std::map<std::string, std::string> before;  // id -> sha256, acknowledged before the backup
    for (std::uint32_t i = 0; i < 6; ++i) {
        auto bytes = fake_png(100 + i, 20000 + i * 1000);
        auto r =
            c.request("POST", "/api/v1/assets?title=T%C3%A0i%20li%E1%BB%87u%20" + std::to_string(i),
                      auth(), bytes);
        REQUIRE(r.status == 201);
        before[nlohmann::json::parse(r.body)["id"]] = sha256_hex(bytes);
    }
    // Uploads go on during the backup.
    std::atomic<bool> stop{false};
    std::thread uploader([&] {
        http_client u(server.port());
        for (std::uint32_t i = 0; !stop; ++i)
            u.request("POST", "/api/v1/assets?title=during", auth(), fake_png(1000 + i, 50000));
    });
    auto dest = work.path() / "Sao lưu";
    auto first = kho_as_admin(server, {"backup", dest.string(), "--json"});
    stop = true;
    uploader.join();
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    auto report = nlohmann::json::parse(first.out);
    CHECK(report["blobs_copied"].get<int>() >= 6);
    CHECK(fs::exists(dest / "manifest.json"));
    // The share link keys come along, owner-only.
    const auto keys = dest / "secrets" / "link-keys.json";
    REQUIRE(fs::exists(keys));
    CHECK((fs::status(keys).permissions() & (fs::perms::group_all | fs::perms::others_all)) ==
          fs::perms::none);
    CHECK(read_file(keys) == read_file(server.data_dir() / "secrets" / "link-keys.json"));

    // A later backup copies only what is new (uploads that finished during
    // the first one, and one more), and one right after it copies nothing.
    REQUIRE(c.request("POST", "/api/v1/assets?title=after", auth(), fake_png(5000, 1000)).status ==
            201);
    auto second = kho_as_admin(server, {"backup", dest.string(), "--json"});
    REQUIRE(second.exit_code == 0);
    auto second_report = nlohmann::json::parse(second.out);
    CHECK(second_report["blobs_copied"].get<int>() >= 1);
    CHECK(second_report["blobs_copied"].get<int>() < second_report["blobs"].get<int>());
    auto third = kho_as_admin(server, {"backup", dest.string(), "--json"});
    REQUIRE(third.exit_code == 0);
    CHECK(nlohmann::json::parse(third.out)["blobs_copied"] == 0);

    // Restore refuses a directory a server uses, and a non-empty one.
    auto busy = run_kho({"restore", dest.string(), server.data_dir().string()});
    CHECK(busy.exit_code == 1);
    CHECK(busy.err.find("in use") != std::string::npos);

    auto restored_dir = work.path() / "restored";
    auto restore = run_kho({"restore", dest.string(), restored_dir.string()});
    INFO(restore.err);
    REQUIRE(restore.exit_code == 0);
    CHECK(run_kho({"restore", dest.string(), restored_dir.string()}).exit_code == 1);

    server_options opts;
    opts.data_dir = restored_dir;
    server_process copy(opts);
    http_client rc(copy.port());
    for (const auto& [id, sha] : before) {
        INFO(id);
        auto got = rc.request("GET", "/api/v1/assets/" + id + "/original", auth());
        REQUIRE(got.status == 200);
        CHECK(sha256_hex(got.body) == sha);
    }
    auto verify = kho_as_admin(copy, {"verify"});
    CHECK(verify.exit_code == 0);
    CHECK(read_file(restored_dir / "secrets" / "link-keys.json") == read_file(keys));
}

TEST_CASE("kho import brings in a folder tree with a sidecar, and a re-run skips what is there",
          "[cli]") {
    server_process server;
    temp_dir work;
    auto root = work.path() / "Kho cũ";
    fs::create_directories(root / "Áp phích");
    fs::create_directories(root / ".git");
    write_file(root / "Áp phích" / "nq71.png", fake_png(301));
    write_file(root / "Áp phích" / "đào tạo.png", fake_png(302));
    write_file(root / "hướng dẫn.png", fake_png(303));
    write_file(root / "trang.png", "<!DOCTYPE html><html><body>not an image</body></html>");
    write_file(root / ".git" / "config", "[core]");
    write_file(root / ".DS_Store", "junk");
    write_file(
        root / "kho-import.csv",
        "\xEF\xBB\xBF"
        "file,title,tags,kind,campaign\n"
        "Áp phích/nq71.png,\"Áp phích, Nghị quyết 71\",\"nq71,poster\",poster,Nghị quyết 71-NQ/TW\n"
        "hướng dẫn.png,\"Hướng dẫn \"\"chuyển đổi số\"\"\",,infographic,\n");

    auto first = kho_as_admin(server, {"import", root.string()});
    INFO(first.out << first.err);
    CHECK(first.exit_code == 1);  // one file was refused
    CHECK(first.err.find("imported 3, skipped 0 (already present), refused 1") !=
          std::string::npos);
    CHECK(first.err.find("trang.png") != std::string::npos);
    CHECK(first.err.find("text/html") != std::string::npos);

    http_client c(server.port());
    auto list = nlohmann::json::parse(c.request("GET", "/api/v1/assets", auth()).body)["items"];
    REQUIRE(list.size() == 3);
    std::map<std::string, nlohmann::json> by_title;
    for (auto& a : list) by_title[a["title"].get<std::string>()] = a;
    REQUIRE(by_title.count("Áp phích, Nghị quyết 71") == 1);
    CHECK(by_title["Áp phích, Nghị quyết 71"]["tags"] == nlohmann::json::array({"nq71", "poster"}));
    CHECK(by_title["Áp phích, Nghị quyết 71"]["campaign"] == "Nghị quyết 71-NQ/TW");
    REQUIRE(by_title.count("Hướng dẫn \"chuyển đổi số\"") == 1);
    CHECK(by_title["Hướng dẫn \"chuyển đổi số\""]["kind"] == "infographic");
    CHECK(by_title.count("đào tạo.png") == 1);  // no sidecar row: the file name

    auto again = kho_as_admin(server, {"import", root.string(), "--json"});
    auto summary = nlohmann::json::parse(again.out);
    CHECK(summary["imported"] == 0);
    CHECK(summary["skipped"] == 3);
    CHECK(summary["refused"] == 1);

    // A sidecar with a bad row stops everything before the first upload.
    auto bad_root = work.path() / "bad";
    fs::create_directories(bad_root);
    write_file(bad_root / "a.png", fake_png(401));
    write_file(bad_root / "meta.csv", "file,title\na.png,A,extra\n");
    auto bad = kho_as_admin(
        server, {"import", bad_root.string(), "--metadata", (bad_root / "meta.csv").string()});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("row 2") != std::string::npos);
    write_file(bad_root / "meta.json", R"({"missing.png": {"title": "x"}})");
    auto missing = kho_as_admin(
        server, {"import", bad_root.string(), "--metadata", (bad_root / "meta.json").string()});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("missing.png") != std::string::npos);
    CHECK(nlohmann::json::parse(c.request("GET", "/api/v1/assets", auth()).body)["items"].size() ==
          3);

    // JSON sidecar, array form.
    fs::remove(bad_root / "meta.csv");
    write_file(bad_root / "meta.json", R"([{"file": "a.png", "title": "Ảnh từ JSON"}])");
    auto json_import = kho_as_admin(
        server, {"import", bad_root.string(), "--metadata", (bad_root / "meta.json").string()});
    CHECK(json_import.exit_code == 0);
    auto found = nlohmann::json::parse(
        c.request("GET", "/api/v1/assets?sha256=" + sha256_hex(fake_png(401)), auth())
            .body)["items"];
    REQUIRE(found.size() == 1);
    CHECK(found[0]["title"] == "Ảnh từ JSON");
}
