#pragma once
// Process-wide libvips start-up for kho. Every process that uses media/'s image
// functions calls init_vips() once, before any of them; nothing else in kho
// touches libvips' global state.
//
// What it fixes for the whole process:
// * VIPS_INIT, so libvips finds its modules (HEIF, PDF, ...) next to itself.
// * vips_block_untrusted_set(TRUE): every loader libvips marks "untrusted"
//   (ImageMagick, OpenSlide, FITS, Matlab, ...) refuses to run. With
//   `allow_svg_pdf` the media worker unblocks exactly svgload and pdfload
//   (librsvg, poppler); the server never does.
// * The operation cache off (size, memory and files 0): a long-running process
//   neither keeps decoded pixels of one request for the next nor keeps input
//   files open.
// * vips_concurrency_set(threads): libvips' own worker threads per pipeline.
//   Default 1, because kho runs pipelines in a bounded pool of its own.

#include "core/error.hpp"

namespace kho::media {

// Thread-safe: the first call does the work, concurrent and later calls wait
// for it and return its outcome. A later call asking for a different
// `allow_svg_pdf` gets errc::internal (a process is either a worker or not);
// `threads` below 1 is errc::invalid_parameter.
result<void> init_vips(const char* argv0, bool allow_svg_pdf, int threads = 1);

// True once init_vips() has succeeded in this process.
bool vips_ready() noexcept;

}  // namespace kho::media
