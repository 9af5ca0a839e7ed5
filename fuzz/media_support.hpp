#pragma once
// Scratch files for the media targets: the decoders read real files, as in
// kho-worker, so each process gets a private temporary folder (removed at
// exit) holding the current input and an output folder emptied per run.

#include "core/error.hpp"
#include "fuzz/fuzz_support.hpp"
#include "media/type_sniffer.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace kho::fuzz {

class scratch {
  public:
    static scratch& get() {
        static scratch s;
        return s;
    }

    // Writes the input file (named so that nothing guesses from it).
    const std::filesystem::path& write_input(const std::uint8_t* data, std::size_t size) {
        std::ofstream f(input_, std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
        f.close();
        KHO_FUZZ_CHECK(f.good());
        return input_;
    }

    // The output folder, empty.
    const std::filesystem::path& fresh_output() {
        std::error_code ec;
        std::filesystem::remove_all(output_, ec);
        return output_;
    }

    const std::filesystem::path& output() const { return output_; }

    // Names of the files the last run left behind.
    std::vector<std::string> leftovers() const {
        std::vector<std::string> out;
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(output_, ec))
            out.push_back(e.path().filename().string());
        return out;
    }

  private:
    scratch() {
        const char* tmp = std::getenv("TMPDIR");
        std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/kho-fuzz-XXXXXX";
        KHO_FUZZ_CHECK(::mkdtemp(pattern.data()) != nullptr);
        root_ = pattern;
        input_ = root_ / "input";
        output_ = root_ / "out";
    }
    // libFuzzer leaves through exit(), which destroys this static. (Not an
    // atexit() handler registered in the constructor: that one would run
    // after the destructor, on an empty path, and leave the folder behind.)
    ~scratch() {
        std::error_code ec;
        std::filesystem::remove_all(root_, ec);
    }
    std::filesystem::path root_, input_, output_;
};

// The worker's answer to a bad file: unprocessable or unsupported_media_type.
// Anything else (internal above all) makes kho-worker call the failure
// retryable, and a job that can never succeed is retried until it
// dead-letters.
inline void check_refusal(const kho::error& e) {
    const bool refusal = e.code == errc::unprocessable || e.code == errc::unsupported_media_type;
    if (!refusal)
        std::fprintf(stderr, "kho fuzz: refused with %s: %s\n",
                     std::string(to_string(e.code)).c_str(), e.detail.c_str());
    KHO_FUZZ_CHECK(refusal);
}

// A bad file's refusal as the worker needs it: a refusal code, and no
// rendition left behind.
inline void check_clean_refusal(const kho::error& e) {
    check_refusal(e);
    KHO_FUZZ_CHECK(scratch::get().leftovers().empty());
}

// A media target's input as kho-worker gets it: typed by the server's
// sniffing (a type `wanted` turns down is not this target's: nothing) and
// written to a file, with the output folder emptied.
struct media_input {
    std::string mime;
    std::filesystem::path file;
    std::filesystem::path out;
};
template <class Wanted>
std::optional<media_input> sniffed_input(const std::uint8_t* data, std::size_t size,
                                         Wanted wanted) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    auto type = kho::media::sniff(bytes.substr(0, kho::media::sniff_bytes));
    if (!type || !wanted(*type)) return std::nullopt;
    auto& s = scratch::get();
    media_input in{std::string(type->mime), s.write_input(data, size), {}};
    in.out = s.fresh_output();
    return in;
}

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace kho::fuzz
