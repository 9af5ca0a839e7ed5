// Bit rot: one flipped byte in a stored blob (on disk, or the object in the
// bucket in an S3 run) is never served as good data. A full download checks
// the bytes against the blob's digest on the way and cuts the response
// short instead of completing it; the asset is then flagged damaged (and
// stays so across a restart) until a verify finds the blob intact or the
// same bytes are uploaded again; `kho verify` (POST /api/v1/admin/verify)
// reports it. Ranged requests are not checked (docs/storage.md): they get
// the stored bytes of their range.

#include "core/sha256.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/people.hpp"
#include "tests/support/server_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace kho::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string random_bytes(std::uint64_t seed, std::size_t size) {
    std::string s(size, '\0');
    byte_stream(seed, size).fill(s.data(), size);
    return s;
}

// Overwrites the stored blob `sha` with `bytes` in place: the file under
// blobs/ (made writable for a moment: blobs are 0440), or the bucket's object.
void overwrite_blob(const server_process& server, const std::string& sha, const std::string& bytes) {
    const std::string rel = "blobs/sha256/" + sha.substr(0, 2) + "/" + sha.substr(2, 2) + "/" + sha;
    if (s3_backend()) {
        auto s3 = test_bucket(server.data_dir());
        auto put = s3.put(rel, bytes.size(), [&](std::uint64_t at, char* buf, std::size_t n) {
            std::memcpy(buf, bytes.data() + at, n);
            return kho::result<void>();
        });
        REQUIRE(put.has_value());
        return;
    }
    auto path = server.data_dir() / rel;
    REQUIRE(fs::exists(path));
    REQUIRE(::chmod(path.c_str(), 0640) == 0);
    {
        // In place (same inode), as a failing disk would: the server's open
        // descriptor sees it too.
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        REQUIRE(f);
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    REQUIRE(::chmod(path.c_str(), 0440) == 0);
}

// Puts `bytes` back as a new file renamed over the blob, as rsync or
// `cp` from a backup do (a new inode: a descriptor the server kept open
// would still read the old file); in an S3 run, a new object.
void restore_blob(const server_process& server, const std::string& sha, const std::string& bytes) {
    if (s3_backend()) return overwrite_blob(server, sha, bytes);
    const auto path = server.data_dir() / "blobs/sha256" / sha.substr(0, 2) / sha.substr(2, 2) / sha;
    const auto tmp = fs::path(path.string() + ".restore");
    {
        std::ofstream f(tmp, std::ios::binary);
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        REQUIRE(f);
    }
    REQUIRE(::chmod(tmp.c_str(), 0440) == 0);
    fs::rename(tmp, path);
}

std::string flipped(std::string bytes, std::size_t at) {
    bytes[at] = static_cast<char>(bytes[at] ^ 0x20);
    return bytes;
}

struct attempt {
    int status = 0;
    std::uint64_t received = 0;
    std::uint64_t declared = 0;
    bool failed = false;  // the connection broke before the end
    std::string sha256;
};

attempt full_download(std::uint16_t port, const std::string& target,
                      const header_fields& extra = {}) {
    attempt a;
    http_client c(port);
    kho::sha256 h;
    try {
        auto r = c.download("GET", target, auth(extra), [&](std::string_view d) {
            a.received += d.size();
            h.update(d);
        });
        a.status = r.status;
        a.declared = std::stoull(r.header("Content-Length").value_or("0"));
    } catch (const std::exception&) {
        a.failed = true;
    }
    a.sha256 = h.finish_hex();
    return a;
}

json asset_json(std::uint16_t port, const std::string& id) {
    http_client c(port);
    auto r = c.request("GET", "/api/v1/assets/" + id, auth());
    REQUIRE(r.status == 200);
    return json::parse(r.body);
}

// The download path records the damage off the I/O thread: wait for it.
bool becomes_damaged(std::uint16_t port, const std::string& id) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        if (asset_json(port, id)["damaged"] == true) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

json verify(std::uint16_t port) {
    http_client c(port);
    auto r = c.request("POST", "/api/v1/admin/verify?max_mb_per_second=0", auth());
    REQUIRE(r.status == 200);
    return json::parse(r.body);
}

}  // namespace

TEST_CASE("a flipped byte in a stored original is never served as good data") {
    server_process server(with_args({"--allowed-types", "*"}));
    http_client c(server.port());
    // Large (sent with sendfile, the last 64 KiB held back) and small (held
    // back whole) files take different paths through the session.
    auto size = GENERATE(std::size_t{3u << 20}, std::size_t{10000});
    INFO("size " << size);
    const auto bytes = random_bytes(size, size);
    const auto sha = sha256_hex(bytes);
    auto up = c.request("POST", "/api/v1/assets?filename=rot.bin", auth(), bytes);
    REQUIRE(up.status == 201);
    const std::string id = json::parse(up.body)["id"];
    const std::string original = "/api/v1/assets/" + id + "/original";
    CHECK(asset_json(server.port(), id)["damaged"] == false);
    auto good = full_download(server.port(), original);
    CHECK(good.sha256 == sha);

    overwrite_blob(server, sha, flipped(bytes, size / 2));

    // A full download never completes: fewer bytes than declared, and a
    // broken connection.
    auto bad = full_download(server.port(), original);
    CHECK(bad.failed);
    CHECK(bad.received < size);
    CHECK(bad.sha256 != sha);
    CHECK(becomes_damaged(server.port(), id));
    auto j = asset_json(server.port(), id);
    CHECK(j["versions"][0]["damaged"] == true);
    // The server is fine otherwise (HEAD, metadata, other connections).
    CHECK(c.request("HEAD", original, auth()).status == 200);

    // A range is not checked: it gets the stored bytes (documented).
    auto ranged = full_download(server.port(), original, {{"Range", "bytes=0-99"}});
    CHECK(ranged.status == 206);
    CHECK(ranged.received == 100);

    // kho verify reports it, and it stays flagged after a restart.
    auto v = verify(server.port());
    INFO(v.dump());
    CHECK(v["ok"] == false);
    REQUIRE(v["problems"].size() == 1);
    CHECK(v["problems"][0]["sha256"] == sha);
    CHECK(v["problems"][0]["problem"] == "corrupt");
    CHECK(v["problems"][0]["versions"][0] == id + " v1");
    REQUIRE(v["damaged"].size() == 1);
    CHECK(v["damaged"][0]["sha256"] == sha);
    CHECK(v["damaged"][0]["found_by"] == "download");
    server.restart();
    CHECK(asset_json(server.port(), id)["damaged"] == true);
    CHECK(full_download(server.port(), original).failed);

    // Uploading the same bytes again replaces the damaged file (rather than
    // deduplicating against it): the old asset is whole again.
    http_client again(server.port());
    auto repaired = again.request("POST", "/api/v1/assets?filename=rot-again.bin", auth(), bytes);
    REQUIRE(repaired.status == 201);
    CHECK(asset_json(server.port(), id)["damaged"] == false);
    auto fixed = full_download(server.port(), original);
    CHECK_FALSE(fixed.failed);
    CHECK(fixed.sha256 == sha);
    CHECK(verify(server.port())["ok"] == true);
}

TEST_CASE("verify flags a damaged blob and clears the flag once it is intact again") {
    server_process server(with_args({"--allowed-types", "*"}));
    http_client c(server.port());
    const auto bytes = random_bytes(77, 200000);
    const auto sha = sha256_hex(bytes);
    auto up = c.request("POST", "/api/v1/assets?filename=v.bin", auth(), bytes);
    REQUIRE(up.status == 201);
    const std::string id = json::parse(up.body)["id"];

    overwrite_blob(server, sha, flipped(bytes, 0));
    auto v = verify(server.port());
    CHECK(v["ok"] == false);
    REQUIRE(v["damaged"].size() == 1);
    CHECK(v["damaged"][0]["found_by"] == "verify");
    CHECK(asset_json(server.port(), id)["damaged"] == true);

    // The disk gave the byte back (a restored file, a repaired RAID): the
    // next verify clears the flag.
    overwrite_blob(server, sha, bytes);
    v = verify(server.port());
    CHECK(v["ok"] == true);
    CHECK(v["damaged"].empty());
    CHECK(asset_json(server.port(), id)["damaged"] == false);
}

TEST_CASE("a damaged blob restored from a backup as a new file is served again without a restart") {
    server_process server(with_args({"--allowed-types", "*"}));
    http_client c(server.port());
    const auto bytes = random_bytes(91, 2u << 20);
    const auto sha = sha256_hex(bytes);
    auto up = c.request("POST", "/api/v1/assets?filename=restore.bin", auth(), bytes);
    REQUIRE(up.status == 201);
    const std::string id = json::parse(up.body)["id"];
    const std::string original = "/api/v1/assets/" + id + "/original";
    CHECK(full_download(server.port(), original).sha256 == sha);  // the server keeps it open

    overwrite_blob(server, sha, flipped(bytes, 12345));
    CHECK(full_download(server.port(), original).failed);
    CHECK(becomes_damaged(server.port(), id));

    // The operations guide's repair: restore the file, run verify.
    restore_blob(server, sha, bytes);
    auto v = verify(server.port());
    INFO(v.dump());
    CHECK(v["ok"] == true);
    CHECK(v["damaged"].empty());
    CHECK(asset_json(server.port(), id)["damaged"] == false);
    auto fixed = full_download(server.port(), original);
    CHECK_FALSE(fixed.failed);
    CHECK(fixed.sha256 == sha);
}

TEST_CASE("a blob cut short on disk is never served as a complete download") {
    if (s3_backend()) return;  // objects are replaced whole; see the flipped-byte case
    server_process server(with_args({"--allowed-types", "*"}));
    http_client c(server.port());
    const auto bytes = random_bytes(92, 3u << 20);
    const auto sha = sha256_hex(bytes);
    auto up = c.request("POST", "/api/v1/assets?filename=short.bin", auth(), bytes);
    REQUIRE(up.status == 201);
    const std::string id = json::parse(up.body)["id"];
    const std::string original = "/api/v1/assets/" + id + "/original";
    CHECK(full_download(server.port(), original).sha256 == sha);  // the server keeps it open

    // A lost tail, in place: the kept descriptor sees a shorter file.
    const auto path = server.data_dir() / "blobs/sha256" / sha.substr(0, 2) / sha.substr(2, 2) / sha;
    REQUIRE(::chmod(path.c_str(), 0640) == 0);
    fs::resize_file(path, 1u << 20);
    auto bad = full_download(server.port(), original);
    CHECK(bad.failed);
    CHECK(bad.received < bytes.size());
    CHECK(becomes_damaged(server.port(), id));
    auto v = verify(server.port());
    INFO(v.dump());
    REQUIRE(v["problems"].size() == 1);
    CHECK(v["problems"][0]["problem"] == "size");
}

TEST_CASE("a damaged file inside a press kit ZIP cuts the ZIP short") {
    // Press kits stream their files' blobs into the ZIP; each one is checked
    // like a download of its own.
    server_process server(with_args({"--allowed-types", "*"}));
    http_client c(server.port());
    // Four eyes: a designer uploads, the admin approves.
    create_user(c, "lan.nguyen", "Nguyễn Thị Lan", "designer");
    const auto designer = bearer(session_for(c, "lan.nguyen"));
    const auto bytes = random_bytes(91, 500000);
    const auto sha = sha256_hex(bytes);
    auto up = c.request("POST", "/api/v1/assets?filename=kit.bin&title=Kit", designer, bytes);
    REQUIRE(up.status == 201);
    const std::string id = json::parse(up.body)["id"];
    auto step = [&](const header_fields& who, const std::string& action, const json& body) {
        auto r = c.request("POST", "/api/v1/assets/" + id + "/versions/1/" + action, who,
                           body.dump());
        INFO(r.body);
        REQUIRE(r.status == 200);
    };
    step(designer, "submit", json::object());
    step(auth(), "approve", {{"audience", {{"all_units", true}, {"press", true}}}});
    auto kit = c.request("POST", "/api/v1/press-kits", auth(),
                         json{{"title", "Kit"},
                              {"release", "Text"},
                              {"items", {{{"asset", id}, {"version", 1}}}}}
                             .dump());
    INFO(kit.body);
    REQUIRE(kit.status == 201);
    const std::string zip = "/api/v1/press-kits/" + json::parse(kit.body)["id"].get<std::string>() +
                            "/download";
    auto whole = full_download(server.port(), zip);
    REQUIRE(whole.status == 200);
    CHECK_FALSE(whole.failed);

    overwrite_blob(server, sha, flipped(bytes, 1000));
    auto cut = full_download(server.port(), zip);
    CHECK(cut.failed);
    CHECK(cut.received < whole.received);
    CHECK(becomes_damaged(server.port(), id));
}
