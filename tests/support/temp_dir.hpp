#pragma once
// A fresh directory under the system temporary directory, removed with
// everything in it when the object goes away.

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace kho::test {

class temp_dir {
  public:
    explicit temp_dir(const std::string& prefix = "kho-test") {
        std::string pattern =
            (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~temp_dir() {
        std::error_code ec;
        // Blobs are read-only but their directories are writable: remove_all works.
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

// Regular files anywhere under `dir` (empty folders such as tmp/tus/ do not count).
inline std::size_t files_under(const std::filesystem::path& dir) {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        if (e.is_regular_file()) ++n;
    return n;
}

// Their paths, for a failing check's message.
inline std::string list_files_under(const std::filesystem::path& dir) {
    std::string out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        if (e.is_regular_file()) out += e.path().string() + "\n";
    return out;
}

}  // namespace kho::test
