#!/usr/bin/env bash
# Verification benchmark: `kho verify` (the server re-hashes every stored
# original) against `sha256sum` over the same blob directory.
# Target: kho >= 0.8x sha256sum's throughput.
# Usage: bench/verify.sh   (env: KHO_SERVER, KHO_CLI, BENCH_SIZE_MB=1024 total, BENCH_FILES=16)
set -euo pipefail
shopt -s inherit_errexit

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KHO_SERVER="${KHO_SERVER:-$ROOT/build/release/server/kho-server}"
KHO_CLI="${KHO_CLI:-$ROOT/build/release/tools/kho}"
SIZE_MB="${BENCH_SIZE_MB:-1024}"
FILES="${BENCH_FILES:-16}"
RUNS=3

die() { echo "verify.sh: $*" >&2; exit 1; }
[[ -x "$KHO_SERVER" && -x "$KHO_CLI" ]] ||
    die "build first: cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DKHO_BUILD_TESTS=OFF && cmake --build build/release"

source "$ROOT/bench/lib.sh"
bench_workdir verify
start_kho
export KHO_URL="$URL" KHO_TOKEN="$BENCH_TOKEN"

echo "storing $FILES files, $SIZE_MB MiB in all ..." >&2
mkdir "$WORK/src"
for ((i = 0; i < FILES; i++)); do
    head -c "$((SIZE_MB * 1048576 / FILES))" /dev/urandom >"$WORK/src/f$i.bin"
done
"$KHO_CLI" upload "$WORK"/src/*.bin >/dev/null
rm -rf "$WORK/src"
BLOBS="$WORK/data/blobs"
BYTES=$(find "$BLOBS" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
find "$BLOBS" -type f -exec cat {} + >/dev/null   # both sides start from a warm page cache

time_it() { local t0; t0=$(now); "$@" >/dev/null; awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }'; }
reference() { find "$BLOBS" -type f -print0 | xargs -0 sha256sum; }

kho=() ref=()
for ((i = 0; i < RUNS; i++)); do
    kho+=("$(time_it "$KHO_CLI" verify --max-mb-per-second 0)")
    ref+=("$(time_it reference)")
done
k=$(median "${kho[@]}") r=$(median "${ref[@]}")
echo
echo "kho verify benchmark: $(nproc) cores, $FILES blobs, $SIZE_MB MiB, median of $RUNS"
printf '  sha256sum over blobs/   %6.0f MB/s\n' "$(awk -v b="$BYTES" -v s="$r" 'BEGIN { print b / s / 1e6 }')"
printf '  kho verify (unlimited)  %6.0f MB/s   ratio %s  (target >= 0.8)\n' \
    "$(awk -v b="$BYTES" -v s="$k" 'BEGIN { print b / s / 1e6 }')" \
    "$(awk -v a="$r" -v b="$k" 'BEGIN { printf "%.2f", a / b }')"
