#include "media/vips_runtime.hpp"

#include <vips/vips.h>

#include <atomic>
#include <mutex>
#include <string>

namespace kho::media {
namespace {

struct runtime_state {
    std::once_flag once;
    std::atomic<bool> ready{false};
    bool allow_svg_pdf = false;
    std::string failure;  // why VIPS_INIT failed, if it did
};

runtime_state& state() {
    static runtime_state s;
    return s;
}

void start(runtime_state& s, const char* argv0, bool allow_svg_pdf, int threads) {
    s.allow_svg_pdf = allow_svg_pdf;
    if (VIPS_INIT(argv0 != nullptr && *argv0 != '\0' ? argv0 : "kho") != 0) {
        s.failure = vips_error_buffer();
        vips_error_clear();
        return;
    }
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_cache_set_max_files(0);
    vips_block_untrusted_set(TRUE);
    if (allow_svg_pdf) {
        // Unblocks the base classes and with them their file, buffer and
        // source variants; nothing else.
        vips_operation_block_set("VipsForeignLoadSvg", FALSE);
        vips_operation_block_set("VipsForeignLoadPdf", FALSE);
    }
    vips_concurrency_set(threads);
    s.ready.store(true, std::memory_order_release);
}

}  // namespace

result<void> init_vips(const char* argv0, bool allow_svg_pdf, int threads) {
    if (threads < 1)
        return make_error(errc::invalid_parameter,
                          "libvips needs at least one thread, not " + std::to_string(threads));
    auto& s = state();
    std::call_once(s.once, [&] { start(s, argv0, allow_svg_pdf, threads); });
    if (!s.ready.load(std::memory_order_acquire))
        return make_error(errc::internal, "libvips did not start: " + s.failure);
    if (s.allow_svg_pdf != allow_svg_pdf)
        return make_error(errc::internal,
                          std::string("libvips was already started with SVG and PDF loading ") +
                              (s.allow_svg_pdf ? "allowed" : "blocked"));
    return ok();
}

bool vips_ready() noexcept {
    return state().ready.load(std::memory_order_acquire);
}

}  // namespace kho::media
