#include "storage/info_log.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

namespace kho::storage {
namespace fs = std::filesystem;

namespace {

class tolerant_info_log final : public rocksdb::Logger {
  public:
    explicit tolerant_info_log(int fd) : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL), fd_(fd) {}
    ~tolerant_info_log() override {
        if (fd_ >= 0) ::close(fd_);
    }

    using rocksdb::Logger::Logv;
    // One line per call, in RocksDB's format ("2026/11/26-13:40:37.123456
    // <thread> message"), written with one write(2); a failure drops it.
    void Logv(const char* format, va_list ap) override {
        if (fd_ < 0) return;
        char line[8192];
        auto now = std::chrono::system_clock::now();
        auto t = std::chrono::system_clock::to_time_t(now);
        auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          now.time_since_epoch()).count() % 1000000;
        std::tm tm {};
        ::localtime_r(&t, &tm);
        int n = std::snprintf(line, sizeof line, "%04d/%02d/%02d-%02d:%02d:%02d.%06ld %lx ",
                              tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                              tm.tm_sec, static_cast<long>(micros),
                              static_cast<unsigned long>(::syscall(SYS_gettid)));
        if (n < 0) return;
        int m = std::vsnprintf(line + n, sizeof line - static_cast<std::size_t>(n), format, ap);
        if (m < 0) return;
        std::size_t len = std::min(sizeof line - 1, static_cast<std::size_t>(n) + static_cast<std::size_t>(m));
        if (line[len - 1] != '\n') line[len++] = '\n';
        [[maybe_unused]] auto written = ::write(fd_, line, len);
    }

  private:
    int fd_;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> open_info_log(const fs::path& db_dir, std::size_t keep_old) {
    std::error_code ec;
    fs::create_directories(db_dir, ec);
    const auto log = db_dir / "LOG";
    if (fs::exists(log, ec)) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
        fs::rename(log, db_dir / ("LOG.old." + std::to_string(ms)), ec);
    }
    std::vector<fs::path> old;
    for (fs::directory_iterator it(db_dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().filename().string().starts_with("LOG.old.")) old.push_back(it->path());
    // The names end in the same number of digits for centuries: newest last.
    std::sort(old.begin(), old.end());
    for (std::size_t i = 0; i + keep_old < old.size(); ++i) fs::remove(old[i], ec);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    return std::make_shared<tolerant_info_log>(fd);
}

}  // namespace kho::storage
