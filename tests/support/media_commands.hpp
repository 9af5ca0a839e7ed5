#pragma once
// Shell tools for media tests: make fixtures with the ffmpeg program and
// inspect outputs with ffprobe, as the tests of the FFmpeg-library code
// compare against the reference tools.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

namespace kho::test {

inline std::string quoted(const std::filesystem::path& p) {
    return "'" + p.string() + "'";
}

struct command_output {
    int status = -1;
    std::string text;
};

// Runs a shell command; its stdout (and stderr with `with_stderr`) and exit status.
inline command_output run(const std::string& command, bool with_stderr = false) {
    command_output out;
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(
        ::popen((command + (with_stderr ? " 2>&1" : " 2>/dev/null")).c_str(), "r"), ::pclose);
    if (!pipe) return out;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe.get())) > 0) out.text.append(buf, n);
    out.status = ::pclose(pipe.release());
    return out;
}

// `ffmpeg -nostdin -v error -y ARGS`, which must succeed.
inline void ffmpeg(const std::string& args) {
    auto r = run("ffmpeg -nostdin -v error -y " + args, true);
    INFO("ffmpeg " << args << "\n" << r.text);
    REQUIRE(r.status == 0);
}

// ffprobe's streams and format of a file, as JSON.
inline nlohmann::json probe(const std::filesystem::path& file) {
    auto r = run("ffprobe -v error -show_streams -show_format -of json " + quoted(file));
    INFO(file << ": " << r.text);
    REQUIRE(r.status == 0);
    return nlohmann::json::parse(r.text);
}

}  // namespace kho::test
