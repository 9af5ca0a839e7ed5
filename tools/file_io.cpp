#include "tools/file_io.hpp"

#include "tools/context.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace kho::cli {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
    throw command_error("cannot " + what + " " + path + ": " + std::strerror(err));
}

}  // namespace

input_file::input_file(std::string path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) fail("open", path_, errno);
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
        const int err = errno;
        ::close(fd_);
        fail("examine", path_, err);
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd_);
        throw command_error(path_ + " is not a regular file");
    }
    size_ = static_cast<std::uint64_t>(st.st_size);
}

input_file::~input_file() {
    if (fd_ >= 0) ::close(fd_);
}

std::size_t input_file::read(char* buf, std::size_t cap) {
    for (;;) {
        const ssize_t n = ::read(fd_, buf, cap);
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno != EINTR) fail("read", path_, errno);
    }
}

output_file::output_file(std::string path, mode m) : path_(std::move(path)) {
    const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (m == mode::append ? O_APPEND : O_TRUNC);
    fd_ = ::open(path_.c_str(), flags, 0644);
    if (fd_ < 0) fail(m == mode::append ? "append to" : "create", path_, errno);
}

output_file::~output_file() {
    if (fd_ >= 0) ::close(fd_);
}

void output_file::write(std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd_, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write to", path_, errno);
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::optional<std::uint64_t> regular_file_size(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return std::nullopt;
        fail("examine", path, errno);
    }
    if (!S_ISREG(st.st_mode)) throw command_error(path + " exists and is not a regular file");
    return static_cast<std::uint64_t>(st.st_size);
}

void read_prefix(const std::string& path, std::uint64_t length,
                 const std::function<void(std::string_view)>& sink) {
    input_file in(path);
    std::vector<char> buf(1 << 20);
    while (length > 0) {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), length));
        const std::size_t n = in.read(buf.data(), want);
        if (n == 0) throw command_error(path + " became shorter while it was being read");
        sink(std::string_view(buf.data(), n));
        length -= n;
    }
}

}  // namespace kho::cli
