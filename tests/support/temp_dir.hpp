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

}  // namespace kho::test
