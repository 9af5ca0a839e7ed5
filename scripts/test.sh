#!/usr/bin/env bash
# Installs every dependency, builds kho with -Wall -Wextra and
# AddressSanitizer + UndefinedBehaviorSanitizer, and runs the whole test
# suite (unit tests, and integration tests against the real server).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bash scripts/install-deps.sh
# Let ccache reuse objects across checkouts in different folders (CI clones).
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
jobs="$(nproc)"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKHO_SANITIZE=ON >/dev/null
cmake --build build/asan -j "$jobs"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd build/asan
ctest --output-on-failure --timeout 1200 -j "$jobs" "$@"
