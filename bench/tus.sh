#!/usr/bin/env bash
# Resumable-upload benchmark: a file uploaded through tus in 8 MiB PATCH
# chunks (one HTTP request per chunk, as tus-js-client
# does with chunkSize 8 MiB) against one plain streamed upload of the same
# file. Target: tus >= 0.8x the plain upload's throughput.
# Usage: bench/tus.sh   (env: KHO_SERVER, BENCH_SIZE_MB=1024, BENCH_CHUNK_MB=8, BENCH_TMPDIR)
set -euo pipefail
shopt -s inherit_errexit

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KHO_SERVER="${KHO_SERVER:-$ROOT/build/release/server/kho-server}"
SIZE_MB="${BENCH_SIZE_MB:-1024}"
CHUNK=$(( ${BENCH_CHUNK_MB:-8} * 1048576 ))
RUNS=3

die() { echo "tus.sh: $*" >&2; exit 1; }
command -v curl >/dev/null || die "curl not found: apt-get install curl"
[[ -x "$KHO_SERVER" ]] || die "no kho-server at $KHO_SERVER; build with: cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DKHO_BUILD_TESTS=OFF && cmake --build build/release"

source "$ROOT/bench/lib.sh"
bench_workdir tus

echo "generating ${SIZE_MB} MiB in $WORK ..." >&2
FILE="$WORK/big.bin"
head -c "$((SIZE_MB * 1048576))" /dev/urandom >"$FILE"
BYTES=$(stat -c %s "$FILE")
cat "$FILE" >/dev/null   # warm the page cache

start_kho

# Every upload must store new bytes (not take the deduplicated path), so
# each asset is deleted for good, blob included, before the next run.
purge() {
    curl -fsS -o /dev/null -H "$AUTH" -X DELETE "$URL/api/v1/assets/$1"
    curl -fsS -o /dev/null -H "$AUTH" -X DELETE "$URL/api/v1/assets/$1?permanent=true"
}
ASSET_ID_FILE="$WORK/last-asset"
plain_upload() {
    curl -fsS -H "$AUTH" -X POST -T "$FILE" "$URL/api/v1/assets?filename=plain-$1.bin" |
        sed -E 's/.*"id":"([0-9A-Z]{26})".*/\1/' >"$ASSET_ID_FILE"
}

# The file is cut into chunk files before timing (a tus client reads slices
# of the file from disk the same way); one curl sends every PATCH over one
# kept-alive connection, as tus-js-client does, streaming each chunk from its
# file (-T; --data-binary would first read each chunk into memory, which
# costs the client more than the server spends on it).
split -b "$CHUNK" -d -a 4 "$FILE" "$WORK/chunk."
tus_upload() {
    local location offset=0 args=() c size
    location=$(curl -fsS -D - -o /dev/null -X POST -H "$AUTH" -H "Tus-Resumable: 1.0.0" \
        -H "Upload-Length: $BYTES" "$URL/api/v1/uploads" | tr -d '\r' | awk 'tolower($1)=="location:" {print $2}')
    for c in "$WORK"/chunk.*; do
        size=$(stat -c %s "$c")
        ((${#args[@]})) && args+=(--next)
        args+=(-fsS -o /dev/null -X PATCH -H "$AUTH" -H "Tus-Resumable: 1.0.0" -H "Expect:"
               -H "Upload-Offset: $offset" -H "Content-Type: application/offset+octet-stream"
               -T "$c" "$URL$location")
        offset=$((offset + size))
    done
    curl "${args[@]}"
    curl -fsS -H "$AUTH" "$URL$location" | sed -E 's/.*"asset_id":"([0-9A-Z]{26})".*/\1/' >"$ASSET_ID_FILE"
}

time_it() { local t0; t0=$(now); "$@"; awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }'; }

plain=() tus=()
for ((i = 0; i < RUNS; i++)); do
    sync; plain+=("$(time_it plain_upload "$i")"); purge "$(cat "$ASSET_ID_FILE")"
    sync; tus+=("$(time_it tus_upload)"); purge "$(cat "$ASSET_ID_FILE")"
done
echo "runs: plain ${plain[*]}; tus ${tus[*]}" >&2
p=$(median "${plain[@]}") t=$(median "${tus[@]}")
echo
echo "kho tus benchmark: $(nproc) cores, $SIZE_MB MiB file, $((CHUNK / 1048576)) MiB chunks, median of $RUNS"
printf '  plain streamed upload   %6s MB/s\n' "$(mbps "$BYTES" "$p")"
printf '  tus upload (PATCHes)    %6s MB/s   ratio %s  (target >= 0.8)\n' "$(mbps "$BYTES" "$t")" \
    "$(awk -v a="$p" -v b="$t" 'BEGIN { printf "%.2f", a / b }')"
