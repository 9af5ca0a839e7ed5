#pragma once
// A one-line transfer progress display on stderr:
//
//   Áp phích Nghị quyết 71.png   42% [########            ] 12.5 MiB/30.0 MiB  8.1 MiB/s
//
// Contract: draws only when enabled (by default: when stderr is a terminal),
// so pipes and logs never see carriage returns. Redraws at most ten times a
// second; the rate counts only bytes moved by this process (a resumed
// download starts at `start`). finish() draws the final state and ends the
// line; the destructor ends a line left open (e.g. by an error), so the next
// message starts on a fresh line. With an unknown total it shows bytes and
// rate only. Never throws.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace kho::cli {

bool stderr_is_terminal();

class progress_bar {
  public:
    progress_bar(std::string label, std::optional<std::uint64_t> total, std::uint64_t start = 0,
                 bool enabled = stderr_is_terminal());
    ~progress_bar();
    progress_bar(const progress_bar&) = delete;
    progress_bar& operator=(const progress_bar&) = delete;

    // `done` counts from the start of the file, including `start`.
    void update(std::uint64_t done);
    void finish();

  private:
    void draw(bool final);

    std::string label_;
    std::optional<std::uint64_t> total_;
    std::uint64_t start_;
    std::uint64_t done_;
    bool enabled_;
    bool open_line_ = false;
    std::chrono::steady_clock::time_point began_;
    std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace kho::cli
