// Limits and protocol abuse: oversized headers and bodies, malformed
// requests, slow and idle clients, too many connections, and graceful
// shutdown. Each case says what the client gets; none may leave data behind.

#include "tests/support/fixtures.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <sys/wait.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace kho::test;
using json = nlohmann::json;
namespace asio = boost::asio;

namespace {

int status_of(const std::string& raw) {
    if (raw.rfind("HTTP/1.1 ", 0) != 0) return 0;
    return std::stoi(raw.substr(9, 3));
}

std::string code_of(const std::string& raw) {
    auto body = raw.find("\r\n\r\n");
    if (body == std::string::npos) return {};
    auto j = json::parse(raw.substr(body + 4), nullptr, false);
    return j.is_object() && j.contains("code") ? j["code"].get<std::string>() : std::string();
}

// No leftover files (tmp/ keeps an empty tus/ folder).
bool dir_empty(const std::filesystem::path& p) {
    return kho::test::files_under(p) == 0;
}

// The server removes a cut-off upload's file as the request unwinds, which
// may be a moment after the client sees the connection close.
bool becomes_empty(const std::filesystem::path& p) {
    for (int i = 0; i < 50; ++i) {
        if (dir_empty(p)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

std::string auth_line() {
    return std::string("Authorization: Bearer ") + admin_token + "\r\n";
}

}  // namespace

TEST_CASE("a header block over the limit gets 431") {
    server_process server;
    std::string req = "GET /api/v1/assets HTTP/1.1\r\nHost: x\r\n" + auth_line() +
                      "X-Big: " + std::string(20000, 'a') + "\r\n\r\n";
    auto raw = raw_exchange(server.port(), req);
    CHECK(status_of(raw) == 431);
    CHECK(code_of(raw) == "header_too_large");
}

TEST_CASE("malformed requests get 400 problems, never a crash") {
    server_process server;
    for (const std::string& bad :
         {std::string("GARBAGE\r\n\r\n"), std::string("GET / HTTP/9.9\r\n\r\n"),
          std::string("GET /x HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n"),
          std::string("POST /api/v1/assets HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n"),
          std::string("POST /api/v1/assets HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                      "Content-Length: 6\r\n\r\nhello"),
          std::string("GET /\x01\x02 HTTP/1.1\r\n\r\n"),
          // Request smuggling: ambiguous or unsupported framing.
          std::string("POST /api/v1/assets HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
          std::string("POST /api/v1/assets HTTP/1.1\r\nHost: a\r\n"
                      "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
          std::string("POST /api/v1/assets HTTP/1.1\r\nHost: a\r\n"
                      "Transfer-Encoding: chunked, gzip\r\n\r\n"),
          std::string("POST /api/v1/assets HTTP/1.1\r\nHost: a\r\n"
                      "Transfer-Encoding: identity\r\n\r\n")}) {
        INFO(bad);
        auto raw = raw_exchange(server.port(), bad);
        CHECK(status_of(raw) == 400);
        CHECK(code_of(raw) == "bad_request");
    }
    // Bad chunked coding in an upload.
    auto raw = raw_exchange(server.port(),
                            "POST /api/v1/assets HTTP/1.1\r\nHost: a\r\n" + auth_line() +
                                "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
    CHECK(status_of(raw) == 400);
    http_client c(server.port());
    CHECK(c.request("GET", "/healthz").status == 200);
    CHECK(dir_empty(server.data_dir() / "tmp"));
}

TEST_CASE("smuggling-prone framing gets 400 and the connection is closed") {
    server_process server;
    const std::string a = auth_line();
    struct probe {
        const char* what;
        std::string bytes;
    };
    const std::vector<probe> probes{
        {"Content-Length with Transfer-Encoding",
         "POST /api/v1/assets HTTP/1.1\r\nHost: a\r\n" + a +
             "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        {"duplicate Content-Length, different values",
         "POST /api/v1/assets HTTP/1.1\r\nHost: a\r\n" + a +
             "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"},
        {"duplicate Content-Length, equal values",
         "POST /api/v1/assets HTTP/1.1\r\nHost: a\r\n" + a +
             "Content-Length: 5\r\ncontent-length: 5\r\n\r\nhello"},
        {"obs-fold", "GET /healthz HTTP/1.1\r\nHost: a\r\nX-Note: one\r\n two\r\n\r\n"},
        {"obs-fold with a tab", "GET /healthz HTTP/1.1\r\nHost: a\r\nX-Note: one\r\n\ttwo\r\n\r\n"},
        {"bare LF line endings", "GET /healthz HTTP/1.1\nHost: a\n\n"},
        {"a bare LF inside CRLF lines", "GET /healthz HTTP/1.1\r\nHost: a\nX: b\r\n\r\n"},
        {"a chunk size past 64 bits",
         "POST /api/v1/assets HTTP/1.1\r\nHost: a\r\n" + a +
             "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\nabc\r\n"},
        {"Transfer-Encoding in HTTP/1.0",
         "POST /api/v1/assets HTTP/1.0\r\n" + a + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        {"HTTP/1.1 without Host", "GET /healthz HTTP/1.1\r\n\r\n"},
        {"two Host headers", "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
        {"a space before the colon", "GET /healthz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n"},
        {"a negative Content-Length", "POST /api/v1/assets HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"},
        // A smuggled second request after a body that one reading frames
        // by Content-Length and another by chunks: never answered twice.
        {"a request hidden behind ambiguous framing",
         "POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n"
         "0\r\n\r\nGET /api/v1/assets HTTP/1.1\r\nHost: a\r\n\r\n"},
    };
    for (const auto& p : probes) {
        INFO(p.what);
        auto started = std::chrono::steady_clock::now();
        auto raw = raw_exchange(server.port(), p.bytes, 4000);
        auto took = std::chrono::steady_clock::now() - started;
        CHECK(status_of(raw) == 400);
        CHECK(code_of(raw) == "bad_request");
        // Exactly one answer, and the server closed the connection itself
        // (well before the 4 s the exchange would wait).
        CHECK(raw.find("\nHTTP/1.1 ") == std::string::npos);
        CHECK(took < std::chrono::milliseconds(3000));
    }
    // The server is unharmed and nothing was stored.
    http_client c(server.port());
    CHECK(c.request("GET", "/healthz").status == 200);
    CHECK(json::parse(c.request("GET", "/api/v1/assets", auth()).body)["items"].empty());
    // Well-formed neighbours still pass: HTTP/1.0 without Host, and empty
    // lines before a request line.
    CHECK(status_of(raw_exchange(server.port(), "GET /healthz HTTP/1.0\r\n\r\n")) == 200);
    CHECK(status_of(raw_exchange(server.port(), "\r\n\r\nGET /healthz HTTP/1.0\r\n\r\n")) == 200);
}

TEST_CASE("an upload larger than the limit gets 413 before or while it streams") {
    server_process server(with_args({"--max-upload-bytes", "100000", "--max-json-bytes", "1000"}));
    http_client c(server.port());

    SECTION("declared by Content-Length: refused before the body is sent") {
        auto raw = raw_exchange(server.port(),
                                "POST /api/v1/assets HTTP/1.1\r\nHost: a\r\n" + auth_line() +
                                    "Content-Length: 200000\r\nExpect: 100-continue\r\n\r\n");
        CHECK(status_of(raw) == 413);
        CHECK(code_of(raw) == "payload_too_large");
        CHECK(raw.find("100 Continue") == std::string::npos);
    }
    SECTION("chunked: refused mid-stream") {
        std::uint64_t total = 0;
        auto r = c.upload("POST", "/api/v1/assets", auth(), std::nullopt,
                          [&](char* buf, std::size_t cap) {
                              if (total >= 400000) return std::size_t{0};
                              auto png = fake_png(1, 16000);
                              auto n = std::min(cap, png.size());
                              std::memcpy(buf, png.data(), n);
                              total += n;
                              return n;
                          });
        CHECK(r.status == 413);
        CHECK(json::parse(r.body)["code"] == "payload_too_large");
    }
    SECTION("a JSON body over its own smaller limit") {
        auto a = c.request("POST", "/api/v1/assets", auth(), fake_png());
        REQUIRE(a.status == 201);
        auto id = json::parse(a.body)["id"].get<std::string>();
        auto r = c.request("PATCH", "/api/v1/assets/" + id, auth({{"If-Match", "\"r1\""}}),
                           R"({"description":")" + std::string(5000, 'x') + "\"}");
        CHECK(r.status == 413);
    }
    CHECK(c.request("GET", "/api/v1/assets", auth()).status == 200);
    // (The accepted PNG's media job works in tmp/ for a moment.)
    CHECK(becomes_empty(server.data_dir() / "tmp"));
}

TEST_CASE("a client that stops sending mid-body is cut off and nothing is kept") {
    server_process server(with_args({"--io-timeout", "1"}));
    asio::io_context ioc;
    asio::ip::tcp::socket s(ioc);
    s.connect({asio::ip::make_address("127.0.0.1"), server.port()});
    auto png = fake_png(1, 1000);
    std::string head = "POST /api/v1/assets HTTP/1.1\r\nHost: a\r\n" + auth_line() +
                       "Content-Length: 100000\r\n\r\n" + png;
    asio::write(s, asio::buffer(head));
    auto start = std::chrono::steady_clock::now();
    std::string got;
    char buf[4096];
    boost::system::error_code ec;
    for (;;) {
        auto n = s.read_some(asio::buffer(buf), ec);
        got.append(buf, n);
        if (ec) break;
    }
    auto waited = std::chrono::steady_clock::now() - start;
    CHECK(waited < std::chrono::seconds(8));
    http_client c(server.port());
    auto list = c.request("GET", "/api/v1/assets", auth());
    CHECK(json::parse(list.body)["items"].empty());
    CHECK(becomes_empty(server.data_dir() / "tmp"));
}

TEST_CASE("a client that disconnects mid-upload leaves nothing behind") {
    server_process server;
    {
        asio::io_context ioc;
        asio::ip::tcp::socket s(ioc);
        s.connect({asio::ip::make_address("127.0.0.1"), server.port()});
        std::string head = "POST /api/v1/assets HTTP/1.1\r\nHost: a\r\n" + auth_line() +
                           "Content-Length: 10000000\r\n\r\n" + fake_png(3, 200000);
        asio::write(s, asio::buffer(head));
    }
    http_client c(server.port());
    for (int i = 0; i < 100 && !dir_empty(server.data_dir() / "tmp"); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(dir_empty(server.data_dir() / "tmp"));
    CHECK(json::parse(c.request("GET", "/api/v1/assets", auth()).body)["items"].empty());
}

TEST_CASE("idle connections are closed after the idle and header timeouts") {
    server_process server(with_args({"--header-timeout", "1", "--idle-timeout", "1"}));
    auto start = std::chrono::steady_clock::now();
    auto raw = raw_exchange(server.port(), "", 10000);  // says nothing
    CHECK(raw.empty());
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
    // A slow header trickle is also cut off.
    start = std::chrono::steady_clock::now();
    raw = raw_exchange(server.port(), "GET /healthz HTTP/1.1\r\n", 10000);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("connections over the limit get 503") {
    server_process server(with_args({"--max-connections", "2"}));
    // Let the readiness probe's connection finish closing first.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    asio::io_context ioc;
    asio::ip::tcp::socket a(ioc), b(ioc);
    a.connect({asio::ip::make_address("127.0.0.1"), server.port()});
    b.connect({asio::ip::make_address("127.0.0.1"), server.port()});
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto raw = raw_exchange(server.port(), "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK(status_of(raw) == 503);
    a.close();
    b.close();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    http_client c(server.port());
    CHECK(c.request("GET", "/healthz").status == 200);
}

TEST_CASE("SIGTERM lets an in-flight upload finish, closes idle connections and exits cleanly") {
    server_process server;
    asio::io_context ioc;
    asio::ip::tcp::socket idle(ioc);
    idle.connect({asio::ip::make_address("127.0.0.1"), server.port()});

    std::atomic<bool> halfway{false};
    http_response result;
    std::uint64_t sent = 0;
    const std::uint64_t total = 4u << 20;
    byte_stream bytes(11, total - 4096);
    std::string png = fake_png(11, 4096 - 33);
    std::thread uploader([&] {
        http_client c(server.port());
        result = c.upload("POST", "/api/v1/assets?filename=slow.png", auth(), total,
                          [&](char* buf, std::size_t cap) -> std::size_t {
                              if (sent == 0) {
                                  std::memcpy(buf, png.data(), png.size());
                                  sent = png.size();
                                  return png.size();
                              }
                              if (sent > total / 2) {
                                  halfway = true;
                                  std::this_thread::sleep_for(std::chrono::milliseconds(20));
                              }
                              auto n = bytes.fill(buf, std::min<std::size_t>(cap, 256 * 1024));
                              sent += n;
                              return n;
                          });
    });
    while (!halfway) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    int status = server.stop();
    uploader.join();
    CHECK(result.status == 201);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    // The idle connection was closed by the server.
    char buf[16];
    boost::system::error_code ec;
    idle.read_some(asio::buffer(buf), ec);
    CHECK(ec);

    server.start();
    http_client c(server.port());
    auto list = json::parse(c.request("GET", "/api/v1/assets", auth()).body);
    REQUIRE(list["items"].size() == 1);
    CHECK(list["items"][0]["title"] == "slow.png");
}

TEST_CASE(
    "bad configuration and a data directory in use are refused at start with a clear message") {
    auto start_error = [](server_options options) -> std::string {
        try {
            server_process s(std::move(options));
        } catch (const std::exception& e) {
            return e.what();
        }
        return {};
    };
    CHECK_THAT(start_error(with_args({"--threads", "0"})), Catch::Contains("--threads"));
    CHECK_THAT(start_error(with_args({"--listen", "nowhere"})),
               Catch::Contains("--listen must be HOST:PORT"));
    CHECK_THAT(start_error(with_args({"--listen", "256.1.1.1:80"})),
               Catch::Contains("bad address"));
    CHECK_THAT(start_error(with_args({"--max-upload-bytes", "-5"})),
               Catch::Contains("--max-upload-bytes"));
    CHECK_THAT(start_error(with_args({"--io-timeout", "abc"})), Catch::Contains("--io-timeout"));
    CHECK_THAT(start_error(with_args({"--no-such-flag"})), Catch::Contains("no-such-flag"));

    server_process first;
    server_options second;
    second.data_dir = first.data_dir();
    CHECK_THAT(start_error(second), Catch::Contains("in use by another kho process"));
    // The refused process left the running server's RocksDB log alone (it
    // rotates LOG only once the directory is its own).
    std::size_t rotated = 0;
    for (const auto& e : std::filesystem::directory_iterator(first.data_dir() / "db"))
        if (e.path().filename().string().starts_with("LOG.old.")) ++rotated;
    CHECK(rotated == 0);
    CHECK(std::filesystem::exists(first.data_dir() / "db" / "LOG"));
    http_client c(first.port());
    CHECK(c.request("GET", "/readyz").status == 200);
}

TEST_CASE("a client that stops reading a download is cut off after the I/O timeout") {
    server_process server(with_args({"--io-timeout", "1", "--allowed-types", "*"}));
    http_client c(server.port());
    const std::uint64_t size = 64u << 20;
    byte_stream gen(5, size);
    auto up = c.upload("POST", "/api/v1/assets?filename=big.bin", auth(), size,
                       [&](char* buf, std::size_t cap) { return gen.fill(buf, cap); });
    REQUIRE(up.status == 201);
    auto id = json::parse(up.body)["id"].get<std::string>();

    asio::io_context ioc;
    asio::ip::tcp::socket s(ioc);
    s.open(asio::ip::tcp::v4());
    s.set_option(asio::socket_base::receive_buffer_size(4096));
    s.connect({asio::ip::make_address("127.0.0.1"), server.port()});
    asio::write(s, asio::buffer("GET /api/v1/assets/" + id + "/original HTTP/1.1\r\nHost: a\r\n" +
                                auth_line() + "\r\n"));
    // Read nothing. The server must give up on this connection by itself.
    auto log_path = server.data_dir().parent_path() / "access.log";
    bool aborted = false;
    for (int i = 0; i < 100 && !aborted; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::ifstream in(log_path);
        std::string line;
        while (std::getline(in, line))
            if (line.find("\"aborted\":true") != std::string::npos) aborted = true;
    }
    CHECK(aborted);
    CHECK(c.request("GET", "/healthz").status == 200);
}
