#!/usr/bin/env bash
# Load and soak against a real kho-server:
#   1. wrk, 64 connections for LOAD_SECONDS (default 20; the issue's run: 60)
#      with a mixed workload (tests/load/mixed.lua): catalog pages, searches,
#      thumbnails, ranged reads of originals and a few uploads. Fails on any
#      non-2xx answer or socket error; prints requests/s and p50/p90/p99.
#   2. A soak of SOAK_SECONDS (default 60; the issue's run: 600) of the same
#      reads (no uploads: each would add an asset) at 16 connections, sampling the server's RSS and open descriptors
#      every SAMPLE_SECONDS (default 10). Fails when the RSS of the last
#      third grows more than 25 % over the second third (after warm-up) or
#      when descriptors do not return to where they were.
# Usage: tests/load/load.sh KHO_SERVER   (a release build for figures; the
#        test suite runs it on its sanitizer build for correctness only)
set -euo pipefail
KHO_SERVER=${1:?usage: load.sh KHO_SERVER}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOAD_SECONDS=${LOAD_SECONDS:-20}
SOAK_SECONDS=${SOAK_SECONDS:-60}
SAMPLE_SECONDS=${SAMPLE_SECONDS:-10}
ASSETS=${LOAD_ASSETS:-40}
TOKEN="kho_test_admin_token_0123456789abcdefXYZ"

command -v wrk >/dev/null || { echo "wrk is missing: scripts/install-deps.sh installs it" >&2; exit 1; }
command -v convert >/dev/null || { echo "ImageMagick is missing" >&2; exit 1; }
WORK=$(mktemp -d /tmp/kho-load.XXXXXX)
PID=""
cleanup() {
    local rc=$?
    [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    [[ $rc != 0 ]] && { echo "--- server log"; tail -20 "$WORK/server.log"; } >&2
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT

KHO_ADMIN_TOKEN=$TOKEN "$KHO_SERVER" --data-dir "$WORK/data" --listen 127.0.0.1:0 \
    --port-file "$WORK/port" --access-log off --media-concurrency 2 2>"$WORK/server.log" &
PID=$!
for _ in $(seq 100); do [[ -s "$WORK/port" ]] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat "$WORK/port")"
for _ in $(seq 100); do curl -fs "$URL/readyz" >/dev/null && break; sleep 0.1; done

# Materials with Vietnamese titles and real thumbnails.
titles=("Áp phích Nghị quyết 71" "Infographic chuyển đổi số" "Video tuyên truyền an toàn trường học"
        "Podcast giáo dục" "Tờ rơi học sinh" "Băng rôn ngày khai giảng")
ids=()
for i in $(seq 1 "$ASSETS"); do
    convert -size 640x400 "plasma:fractal" -seed "$i" "$WORK/a$i.jpg" 2>/dev/null ||
        convert -size 640x400 "xc:rgb($((i * 5 % 255)),80,160)" "$WORK/a$i.jpg"
    title=${titles[$((i % ${#titles[@]}))]}
    enc=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$title $i")
    id=$(curl -fsS -H "Authorization: Bearer $TOKEN" --data-binary @"$WORK/a$i.jpg" \
        "$URL/api/v1/assets?filename=a$i.jpg&title=$enc&tags=chien-dich" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    ids+=("$id")
done
# Wait for every thumbnail.
for id in "${ids[@]}"; do
    for _ in $(seq 600); do
        code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL/api/v1/assets/$id/renditions/thumb")
        [[ $code == 200 ]] && break
        sleep 0.1
    done
    [[ $code == 200 ]] || { echo "no thumbnail for $id" >&2; exit 1; }
done
convert -size 64x64 xc:green "$WORK/upload.png"
export KHO_LOAD_IDS=$(IFS=,; echo "${ids[*]}") KHO_LOAD_TOKEN=$TOKEN KHO_LOAD_UPLOAD="$WORK/upload.png"

fds() { ls "/proc/$PID/fd" | wc -l; }
# Descriptors other than RocksDB's table and log files (it opens new ones
# as it flushes and compacts, up to its max_open_files): sockets, blobs, pipes.
own_fds() { find "/proc/$PID/fd" -mindepth 1 -printf '%l\n' 2>/dev/null | grep -vc '/db/' || true; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$PID/status"; }
FAILED=0

# 1. Load.
wrk -t2 -c64 -d"${LOAD_SECONDS}s" --timeout 10s -s "$HERE/mixed.lua" "$URL" >"$WORK/load.out" 2>&1 || true
line=$(grep '^LOAD ' "$WORK/load.out" || true)
[[ -n "$line" ]] || { cat "$WORK/load.out"; exit 1; }
echo "load, 64 connections, ${LOAD_SECONDS} s: ${line#LOAD }"
non2xx=$(sed -E 's/.*non2xx=([0-9]+).*/\1/' <<<"$line")
socket_errors=$(sed -E 's/.*socket_errors=([0-9]+).*/\1/' <<<"$line")
(( non2xx == 0 && socket_errors == 0 )) || { echo "FAIL: errors under load" >&2; FAILED=1; }

# 2. Soak. Without uploads: each one is a new asset, so a soak with them
# measures the catalog growing (data, not a leak).
unset KHO_LOAD_UPLOAD
sleep 2
base_fds=$(own_fds)
wrk -t2 -c16 -d"${SOAK_SECONDS}s" --timeout 10s -s "$HERE/mixed.lua" "$URL" >"$WORK/soak.out" 2>&1 &
WRK=$!
samples=()
t=0
while kill -0 $WRK 2>/dev/null; do
    sleep "$SAMPLE_SECONDS"
    t=$((t + SAMPLE_SECONDS))
    kill -0 $WRK 2>/dev/null || break
    samples+=("$(rss_kib)")
    echo "soak t=${t}s rss=$(( ${samples[-1]} / 1024 )) MiB fds=$(fds) (not RocksDB's: $(own_fds))"
done
wait $WRK || true
sleep 2
after_fds=$(own_fds)
line=$(grep '^LOAD ' "$WORK/soak.out" || true)
echo "soak, 16 connections, ${SOAK_SECONDS} s: ${line#LOAD }"
non2xx=$(sed -E 's/.*non2xx=([0-9]+).*/\1/' <<<"$line")
(( non2xx == 0 )) || { echo "FAIL: errors during the soak" >&2; FAILED=1; }
n=${#samples[@]}
if (( n >= 3 )); then
    third=$((n / 3))
    mid=$(printf '%s\n' "${samples[@]:$third:$third}" | awk '{ s += $1 } END { print s / NR }')
    last=$(printf '%s\n' "${samples[@]:$((n - third))}" | awk '{ s += $1 } END { print s / NR }')
    growth=$(awk -v a="$mid" -v b="$last" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')
    echo "soak RSS: middle third $(awk -v a="$mid" 'BEGIN { printf "%.0f", a / 1024 }') MiB, last third $(awk -v a="$last" 'BEGIN { printf "%.0f", a / 1024 }') MiB (${growth} %)"
    awk -v g="$growth" 'BEGIN { exit !(g > 25) }' && { echo "FAIL: RSS keeps growing" >&2; FAILED=1; }
fi
echo "descriptors other than RocksDB's: before the soak $base_fds, after $after_fds (all: $(fds))"
(( after_fds <= base_fds + 4 )) || { echo "FAIL: descriptors leaked" >&2; FAILED=1; }
exit $FAILED
