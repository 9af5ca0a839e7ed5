#include "tools/progress.hpp"

#include "tools/format.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace kho::cli {
namespace {

constexpr std::size_t k_label_chars = 28;
constexpr int k_bar_width = 20;
constexpr auto k_redraw_interval = std::chrono::milliseconds(100);

// Pads to `width` code points (the label is cut to fit first).
std::string pad_chars(const std::string& utf8, std::size_t width) {
    std::size_t chars = 0;
    for (char c : utf8) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return chars >= width ? utf8 : utf8 + std::string(width - chars, ' ');
}

}  // namespace

bool stderr_is_terminal() {
    return ::isatty(STDERR_FILENO) == 1;
}

progress_bar::progress_bar(std::string label, std::optional<std::uint64_t> total,
                           std::uint64_t start, bool enabled)
    : label_(pad_chars(truncate_chars(terminal_safe(label), k_label_chars), k_label_chars)),
      total_(total),
      start_(start),
      done_(start),
      enabled_(enabled),
      began_(std::chrono::steady_clock::now()) {}

progress_bar::~progress_bar() {
    if (open_line_) std::fputc('\n', stderr);
}

void progress_bar::update(std::uint64_t done) {
    done_ = done;
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ < k_redraw_interval) return;
    last_draw_ = now;
    draw(false);
}

void progress_bar::finish() {
    if (!enabled_) return;
    draw(true);
    std::fputc('\n', stderr);
    std::fflush(stderr);
    open_line_ = false;
    enabled_ = false;  // later calls do nothing
}

void progress_bar::draw(bool final) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began_).count();
    const std::uint64_t moved = done_ > start_ ? done_ - start_ : 0;
    const auto rate =
        seconds > 0.05 ? static_cast<std::uint64_t>(static_cast<double>(moved) / seconds) : 0;
    std::string line = "\r" + label_ + " ";
    if (total_ && *total_ > 0) {
        const double fraction =
            std::min(1.0, static_cast<double>(done_) / static_cast<double>(*total_));
        const int filled = static_cast<int>(fraction * k_bar_width);
        char pct[8];
        std::snprintf(pct, sizeof pct, "%3d%%", static_cast<int>(fraction * 100));
        line += pct;
        line += " [" + std::string(static_cast<std::size_t>(filled), '#') +
                std::string(static_cast<std::size_t>(k_bar_width - filled), ' ') + "] ";
        line += human_bytes(done_) + "/" + human_bytes(*total_);
    } else {
        line += human_bytes(done_);
    }
    if (rate > 0 || final) line += "  " + human_bytes(rate) + "/s";
    line += "\x1b[K";  // clear what a longer previous line left
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    open_line_ = true;
}

}  // namespace kho::cli
