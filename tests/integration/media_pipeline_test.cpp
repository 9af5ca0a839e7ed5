// The media pipeline end to end: the real server, the real kho-worker, real
// images made by the vips command-line tool at test time. Renditions appear,
// are served with the download semantics of originals, a hostile or broken
// file fails its own job with a message, and the queue survives kill -9.

#include "tests/support/fixtures.hpp"
#include "tests/support/people.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

using namespace kho::test;
using json = nlohmann::json;

namespace {

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// A photo-like JPEG made by the vips CLI.
std::string make_jpeg(const temp_dir& dir, int width, int height, const std::string& name) {
    auto noise = dir.path() / (name + ".v");
    auto out = dir.path() / (name + ".jpg");
    auto cmd = "vips gaussnoise " + noise.string() + " " + std::to_string(width) + " " +
               std::to_string(height) + " && vips copy " + noise.string() + " " + out.string() +
               "[Q=85] >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    return read_file(out);
}

json version_of(http_client& c, const std::string& id, int n = 1) {
    auto r = c.request("GET", "/api/v1/assets/" + id + "/versions/" + std::to_string(n), auth());
    REQUIRE(r.status == 200);
    return json_of(r);
}

// Waits until no rendition of the version is pending or running.
json settled(http_client& c, const std::string& id, int n = 1,
             std::chrono::seconds limit = std::chrono::seconds(120)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        auto v = version_of(c, id, n);
        bool busy = v["renditions"].empty();
        for (const auto& r : v["renditions"])
            if (r["state"] == "pending" || r["state"] == "running") busy = true;
        if (!busy) return v;
        if (std::chrono::steady_clock::now() > deadline) {
            INFO(v.dump());
            FAIL("renditions did not settle");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

std::string upload(http_client& c, const std::string& bytes, const std::string& type,
                   const std::string& title = "%E1%BA%A2nh") {
    auto r = c.request("POST", "/api/v1/assets?title=" + title, auth({{"Content-Type", type}}),
                       bytes);
    INFO(r.body);
    REQUIRE(r.status == 201);
    return json_of(r)["id"].get<std::string>();
}

std::uint32_t crc32(const std::string& bytes) {
    std::uint32_t c = 0xffffffffu;
    for (unsigned char b : bytes) {
        c ^= b;
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

// A well-formed PNG header (valid CRC) declaring 100000×100000 pixels.
std::string huge_png() {
    std::string s = fake_png(3, 0);
    auto put32 = [&](std::size_t at, std::uint32_t v) {
        for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
    };
    put32(16, 100000);
    put32(20, 100000);
    put32(29, crc32(s.substr(12, 17)));
    // One small IDAT (zlib of 64 zero bytes), then IEND.
    const std::string idat("\x78\x9c\x63\x60\xa0\x0c\x00\x00\x00\x40\x00\x01", 12);
    s += std::string("\x00\x00\x00\x0cIDAT", 8) + idat;
    s += std::string(4, '\0');
    put32(s.size() - 4, crc32("IDAT" + idat));
    return s + std::string("\x00\x00\x00\x00IEND\xae\x42\x60\x82", 12);
}

const json* find(const json& renditions, const std::string& name) {
    for (const auto& r : renditions)
        if (r["name"] == name) return &r;
    return nullptr;
}

}  // namespace

TEST_CASE("a photo gets its thumbnail, preview and web renditions", "[media][integration]") {
    temp_dir dir;
    server_process server;
    http_client c(server.port());
    auto id = upload(c, make_jpeg(dir, 1800, 1200, "anh-chup"), "image/jpeg");
    auto v = settled(c, id);
    INFO(v.dump());
    for (const char* name : {"thumb", "preview", "preview_jpeg", "web"}) {
        auto* r = find(v["renditions"], name);
        REQUIRE(r != nullptr);
        CHECK((*r)["state"] == "done");
    }
    auto* thumb = find(v["renditions"], "thumb");
    CHECK((*thumb)["width"] == 320);
    CHECK((*thumb)["height"] == 213);
    CHECK((*thumb)["content_type"] == "image/webp");
    CHECK((*find(v["renditions"], "web"))["width"] == 1800);  // never upscaled
    CHECK(v["media"]["width"] == 1800);
    CHECK(v["media"]["height"] == 1200);

    // Served like an original: ETag, conditional GET, Range; inline (kho made it).
    auto file = c.request("GET", "/api/v1/assets/" + id + "/renditions/thumb", auth());
    REQUIRE(file.status == 200);
    CHECK(file.header("Content-Type") == "image/webp");
    CHECK(file.header("Content-Disposition").value_or("").starts_with("inline"));
    CHECK(file.body.substr(0, 4) == "RIFF");
    CHECK(file.body.size() == (*thumb)["size"].get<std::size_t>());
    auto etag = file.header("ETag").value_or("");
    CHECK(etag == "\"" + (*thumb)["sha256"].get<std::string>() + "\"");
    CHECK(c.request("GET", "/api/v1/assets/" + id + "/renditions/thumb",
                    auth({{"If-None-Match", etag}}))
              .status == 304);
    auto part = c.request("GET", "/api/v1/assets/" + id + "/versions/1/renditions/web",
                          auth({{"Range", "bytes=0-99"}}));
    CHECK(part.status == 206);
    CHECK(part.body.size() == 100);
    auto list = c.request("GET", "/api/v1/assets/" + id + "/renditions", auth());
    REQUIRE(list.status == 200);
    CHECK(json_of(list)["items"].size() == 4);
    check_problem(c.request("GET", "/api/v1/assets/" + id + "/renditions/khong-co", auth()), 404,
                  "not_found");
    // The job is listed as done.
    auto jobs = json_of(c.request("GET", "/api/v1/jobs?asset=" + id, auth()));
    REQUIRE(jobs["items"].size() == 1);
    CHECK(jobs["items"][0]["state"] == "done");
}

TEST_CASE("a broken or hostile image fails its own job with a message", "[media][integration]") {
    temp_dir dir;
    server_process server(with_args({"--media-retry-delay", "0"}));
    http_client c(server.port());
    // Truncated JPEG: the sniffer says image/jpeg, the decoder refuses it.
    auto jpeg = make_jpeg(dir, 800, 600, "cat-do");
    auto truncated = upload(c, jpeg.substr(0, jpeg.size() / 3), "image/jpeg");
    // A PNG whose header declares 100000×100000 pixels.
    auto huge = upload(c, huge_png(), "image/png");
    auto good = upload(c, make_jpeg(dir, 640, 480, "tot"), "image/jpeg");
    for (const auto& id : {truncated, huge}) {
        auto v = settled(c, id);
        INFO(v.dump());
        auto* thumb = find(v["renditions"], "thumb");
        REQUIRE(thumb != nullptr);
        CHECK((*thumb)["state"] == "failed");
        CHECK_FALSE((*thumb)["error"].get<std::string>().empty());
    }
    auto huge_error = (*find(settled(c, huge)["renditions"], "thumb"))["error"].get<std::string>();
    CHECK(huge_error.find("100000") != std::string::npos);
    CHECK((*find(settled(c, good)["renditions"], "thumb"))["state"] == "done");
    auto failed = json_of(c.request("GET", "/api/v1/jobs?state=failed", auth()));
    CHECK(failed["items"].size() == 2);
    // The server is fine and the originals are untouched.
    CHECK(c.request("GET", "/healthz", {}).status == 200);
    CHECK(c.request("GET", "/api/v1/assets/" + truncated + "/original", auth()).body ==
          jpeg.substr(0, jpeg.size() / 3));
    // An admin may retry; it fails again, the same way.
    auto job_id = failed["items"][0]["id"].get<std::string>();
    auto retried = c.request("POST", "/api/v1/jobs/" + job_id + "/retry", auth());
    REQUIRE(retried.status == 200);
    CHECK(json_of(retried)["state"] == "pending");
    check_problem(c.request("POST", "/api/v1/jobs/" + job_id + "/retry", auth()), 409, "conflict");
    check_problem(c.request("POST", "/api/v1/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV/retry", auth()), 404,
                  "not_found");
    check_problem(c.request("GET", "/api/v1/jobs?state=dang-chay", auth()), 400,
                  "invalid_parameter");
}

TEST_CASE("a worker that crashes fails only its job", "[media][integration]") {
    temp_dir dir;
    auto crasher = dir.path() / "crashing-worker.sh";
    {
        std::ofstream(crasher) << "#!/bin/sh\nkill -SEGV $$\n";
    }
    std::filesystem::permissions(crasher, std::filesystem::perms::owner_all);
    server_process server(with_args({"--worker", crasher.string(), "--media-retry-delay", "0",
                                     "--media-attempts", "2"}));
    http_client c(server.port());
    auto id = upload(c, make_jpeg(dir, 400, 300, "anh"), "image/jpeg");
    auto v = settled(c, id);
    auto* thumb = find(v["renditions"], "thumb");
    REQUIRE(thumb != nullptr);
    CHECK((*thumb)["state"] == "failed");
    CHECK((*thumb)["error"].get<std::string>().find("worker died") != std::string::npos);
    auto jobs = json_of(c.request("GET", "/api/v1/jobs?asset=" + id, auth()));
    CHECK(jobs["items"][0]["attempts"] == 2);
    CHECK(c.request("GET", "/healthz", {}).status == 200);
    CHECK(c.request("GET", "/api/v1/assets/" + id, auth()).status == 200);
}

TEST_CASE("queued jobs survive kill -9 and run after the restart", "[media][integration]") {
    temp_dir dir;
    server_options paused;
    paused.extra_args = {"--media-concurrency", "0"};
    server_process server(paused);
    std::vector<std::string> ids;
    {
        http_client c(server.port());
        for (int i = 0; i < 3; ++i)
            ids.push_back(upload(c, make_jpeg(dir, 500 + i, 400, "anh" + std::to_string(i)),
                                 "image/jpeg"));
        auto pending = json_of(c.request("GET", "/api/v1/jobs?state=pending", auth()));
        CHECK(pending["items"].size() == 3);
    }
    server.kill9();
    server_options running;
    running.data_dir = server.data_dir();
    server_process again(running);
    http_client c(again.port());
    for (const auto& id : ids) {
        auto v = settled(c, id);
        CHECK((*find(v["renditions"], "thumb"))["state"] == "done");
    }
}

TEST_CASE("hostile files are refused at upload or fail their own job", "[media][integration]") {
    server_process server(with_args({"--media-retry-delay", "0"}));
    http_client c(server.port());
    auto post = [&](const std::string& name, const std::string& bytes) {
        return c.request("POST", "/api/v1/assets?title=x&filename=" + name,
                         auth({{"Content-Type", "application/octet-stream"}}), bytes);
    };
    // Refused at upload: the sniffed type is not a material kho takes (415),
    // whatever the name says; nothing is stored.
    const std::pair<const char*, std::string> refused[] = {
        {"trang.png", "<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"},
        {"anh.jpg", "push graphic-context\nviewbox 0 0 640 480\nimage over 0,0 0,0 'https://x/y.png'\n"
                    "pop graphic-context\n"},
        {"video.mp4", "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile:///etc/passwd\n"
                      "#EXT-X-ENDLIST\n"},
        {"video.mov", "ffconcat version 1.0\nfile '/etc/passwd'\n"},
        {"ngau-nhien.mp4", std::string("\x01\x02\x03\x04\xfe\xfd\xfc\xfb\x00\x7f", 10) +
                               std::string(4096, '\x5a')},
    };
    for (const auto& [name, bytes] : refused) {
        INFO(name);
        check_problem(post(name, bytes), 415, "unsupported_media_type");
    }
    auto empty = post("rong.png", "");
    INFO(empty.body);
    CHECK(empty.status >= 400);
    CHECK(empty.status < 500);
    auto listed = json_of(c.request("GET", "/api/v1/assets", auth()));
    CHECK(listed["items"].empty());

    // An SVG with script and onload is stored, its original is served only as
    // a sandboxed attachment, and its renditions are plain raster images.
    const std::string svg =
        R"svg(<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" onload="alert(1)">)svg"
        R"svg(<script>alert(document.cookie)</script>)svg"
        R"svg(<rect width="200" height="100" fill="#c00"/></svg>)svg";
    auto stored = post("ap-phich.svg", svg);
    REQUIRE(stored.status == 201);
    auto id = json_of(stored)["id"].get<std::string>();
    auto original = c.request("GET", "/api/v1/assets/" + id + "/original", auth());
    REQUIRE(original.status == 200);
    CHECK(original.header("Content-Disposition").value_or("").starts_with("attachment"));
    CHECK(original.header("Content-Security-Policy").value_or("").find("sandbox") !=
          std::string::npos);
    auto v = settled(c, id);
    auto* thumb = find(v["renditions"], "thumb");
    REQUIRE(thumb != nullptr);
    CHECK((*thumb)["state"] == "done");
    CHECK((*thumb)["content_type"] == "image/webp");
    CHECK(c.request("GET", "/healthz", {}).status == 200);
}

TEST_CASE("a video gets a poster and a 720p MP4, a podcast its normalized audio and waveform",
          "[media][integration]") {
    temp_dir dir;
    auto video = dir.path() / "clip.mp4";
    auto podcast = dir.path() / "podcast.wav";
    REQUIRE(std::system(("ffmpeg -v error -f lavfi -i testsrc2=size=1920x1080:rate=25:duration=2 "
                         "-f lavfi -i sine=frequency=440:duration=2 -c:v libx264 -preset ultrafast "
                         "-c:a aac -shortest " + video.string()).c_str()) == 0);
    REQUIRE(std::system(("ffmpeg -v error -f lavfi -i \"sine=frequency=220:duration=3,volume=0.03\" " +
                         podcast.string()).c_str()) == 0);
    server_process server;
    http_client c(server.port());
    auto vid = upload(c, read_file(video), "video/mp4", "Video%20b%C3%A0i%20gi%E1%BA%A3ng");
    auto aud = upload(c, read_file(podcast), "audio/wav", "Podcast");

    auto v = settled(c, vid);
    INFO(v.dump());
    auto* mp4 = find(v["renditions"], "video_720p");
    REQUIRE(mp4 != nullptr);
    REQUIRE((*mp4)["state"] == "done");
    CHECK((*mp4)["width"] == 1280);
    CHECK((*mp4)["height"] == 720);
    CHECK((*mp4)["content_type"] == "video/mp4");
    CHECK((*find(v["renditions"], "thumb"))["state"] == "done");
    CHECK(v["media"]["video_codec"] == "h264");
    // Served inline, and seekable: a range from the middle.
    auto part = c.request("GET", "/api/v1/assets/" + vid + "/renditions/video_720p",
                          auth({{"Range", "bytes=1000-1999"}}));
    CHECK(part.status == 206);
    CHECK(part.body.size() == 1000);
    auto whole = c.request("GET", "/api/v1/assets/" + vid + "/renditions/video_720p", auth());
    CHECK(whole.header("Content-Disposition").value_or("").starts_with("inline"));
    // faststart: the index comes before the media data.
    CHECK(whole.body.find("moov") < whole.body.find("mdat"));

    auto a = settled(c, aud);
    INFO(a.dump());
    for (const char* name : {"audio_m4a", "audio_mp3", "waveform", "thumb"}) {
        auto* r = find(a["renditions"], name);
        REQUIRE(r != nullptr);
        CHECK((*r)["state"] == "done");
    }
    CHECK(a["media"]["normalization"] == "linear");
    auto wave = c.request("GET", "/api/v1/assets/" + aud + "/renditions/waveform", auth());
    REQUIRE(wave.status == 200);
    CHECK(json_of(wave)["points"].size() == 1000);
}
