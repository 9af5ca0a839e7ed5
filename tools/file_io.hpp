#pragma once
// Local files for uploads and downloads, read and written piece by piece
// (never whole in memory). Every failure throws command_error naming the
// file and the system's reason: "cannot open a.png: No such file or directory".

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kho::cli {

// A regular file opened for reading; its size is taken once at open.
class input_file {
  public:
    explicit input_file(std::string path);
    ~input_file();
    input_file(const input_file&) = delete;
    input_file& operator=(const input_file&) = delete;

    std::uint64_t size() const { return size_; }
    // Up to `cap` bytes (more than 0 unless the end is reached).
    std::size_t read(char* buf, std::size_t cap);

  private:
    std::string path_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

// A file written from its start (created or truncated) or appended to.
class output_file {
  public:
    enum class mode { truncate, append };
    output_file(std::string path, mode m);
    ~output_file();
    output_file(const output_file&) = delete;
    output_file& operator=(const output_file&) = delete;

    void write(std::string_view data);

  private:
    std::string path_;
    int fd_ = -1;
};

// The size of an existing regular file; nullopt when there is none.
// command_error when the path exists but is not a regular file.
std::optional<std::uint64_t> regular_file_size(const std::string& path);

// Feeds the first `length` bytes of a file to `sink` in 1 MiB pieces;
// command_error when the file is shorter.
void read_prefix(const std::string& path, std::uint64_t length,
                 const std::function<void(std::string_view)>& sink);

}  // namespace kho::cli
