#!/usr/bin/env bash
# Press kit ZIP benchmark: a kit of FILES random files (SIZE_MB MiB in all) downloaded as
# its ZIP through kho (curl -o /dev/null over loopback) against `cat` of the same stored
# files into /dev/null and against `zip -0 -q - files >/dev/null` (which reads and CRCs
# them, as kho did once when the kit was made). Target: kho >= 0.8x cat's throughput.
# Also reports the kit creation time (the one-time CRC-32 pass), kho-server's peak RSS while
# it serves the downloads, and the same files fetched one by one from kho's /original (no ZIP,
# same loopback path) to tell the ZIP's cost from the transport's.
# Usage: bench/zip.sh   (env: KHO_SERVER, BENCH_SIZE_MB=2048 (or SIZE_MB), BENCH_FILES=8
#        (or FILES), BENCH_TMPDIR, BENCH_MAX_LOAD=1.0 (wait for the 1-min load average to
#        fall below it before timing, "off" to skip), BENCH_LOAD_WAIT_S=900,
#        BENCH_UNZIP_TEST=1 to save one download and `unzip -tq` it (default: under 1 GiB))
set -euo pipefail
shopt -s inherit_errexit

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KHO_SERVER="${KHO_SERVER:-$ROOT/build/release/server/kho-server}"
SIZE_MB="${BENCH_SIZE_MB:-${SIZE_MB:-2048}}"
FILES="${BENCH_FILES:-${FILES:-8}}"
MAX_LOAD="${BENCH_MAX_LOAD:-1.0}"
LOAD_WAIT_S="${BENCH_LOAD_WAIT_S:-900}"
UNZIP_TEST="${BENCH_UNZIP_TEST:-$((SIZE_MB < 1024))}"
RUNS=3

die() { echo "zip.sh: $*" >&2; exit 1; }
for tool in curl:curl zip:zip unzip:unzip jq:jq; do
    command -v "${tool%%:*}" >/dev/null || die "'${tool%%:*}' not found: apt-get install ${tool#*:}"
done
[[ -x "$KHO_SERVER" ]] || die "no kho-server at $KHO_SERVER; build with: cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DKHO_BUILD_TESTS=OFF && cmake --build build/release"
((FILES >= 1 && SIZE_MB >= FILES)) || die "need BENCH_FILES >= 1 and BENCH_SIZE_MB >= BENCH_FILES"

source "$ROOT/bench/lib.sh"
bench_workdir zip
[[ "$(stat -f -c %T "$WORK")" == tmpfs ]] && echo "warning: $WORK is on tmpfs; set BENCH_TMPDIR to a real disk" >&2
start_kho

api() {  # TOKEN METHOD PATH [JSON] -> the answer's body; fails unless 2xx
    local code
    code=$(curl -sS -o "$WORK/answer.json" -w '%{http_code}' -X "$2" ${1:+-H "Authorization: Bearer $1"} \
        -H 'Content-Type: application/json' ${4:+--data-binary "$4"} "$URL$3") || die "curl $2 $3 failed"
    [[ "$code" == 2?? ]] || die "$2 $3 answered $code: $(cat "$WORK/answer.json")"
    cat "$WORK/answer.json"
}
time_it() { local t0; t0=$(now); "$@" >/dev/null; awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }'; }
ratio() { awk -v k="$1" -v r="$2" 'BEGIN { printf "%.2f", k / r }'; }
kib_to_mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
vm() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$KHO_PID/status"; }   # VmHWM/VmRSS, KiB
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$KHO_PID/stat"; }            # utime + stime

# --- a designer uploads, a reviewer approves and makes the kit ------------------------------
PASSWORD="bench-password-0123"
for who in des:designer rev:reviewer; do
    api "$BENCH_TOKEN" POST /api/v1/users "$(jq -nc --arg u "${who%%:*}" --arg r "${who#*:}" --arg p "$PASSWORD" \
        '{username: $u, display_name: $u, role: $r, password: $p, must_change_password: false}')" >/dev/null
done
signin() { api "" POST /api/v1/sessions "$(jq -nc --arg u "$1" --arg p "$PASSWORD" '{username: $u, password: $p}')" | jq -r .token; }
D=$(signin des) R=$(signin rev)

echo "storing $FILES files, $SIZE_MB MiB in all ..." >&2
mkdir "$WORK/src"
ids=()
for ((i = 1; i <= FILES; i++)); do
    f="$WORK/src/part-$i.bin"
    head -c "$((SIZE_MB * 1048576 / FILES))" /dev/urandom >"$f"
    code=$(curl -sS -o "$WORK/answer.json" -w '%{http_code}' -H "Authorization: Bearer $D" -H 'Expect:' \
        -X POST -T "$f" "$URL/api/v1/assets?filename=part-$i.bin&title=Part+$i&kind=video") || die "curl failed uploading $f"
    [[ "$code" == 201 ]] || die "upload of $f answered $code: $(cat "$WORK/answer.json")"
    id=$(jq -r .id "$WORK/answer.json")
    rm -f "$f"
    api "$D" POST "/api/v1/assets/$id/versions/1/submit" >/dev/null
    api "$R" POST "/api/v1/assets/$id/versions/1/approve" '{"audience":{"all_units":true,"press":true}}' >/dev/null
    ids+=("$id")
done
rmdir "$WORK/src"
# The stored blobs are what kho reads for the ZIP, so `cat` and `zip -0` read them too.
mapfile -t BLOBS < <(find "$WORK/data/blobs" -type f | sort)
((${#BLOBS[@]} == FILES)) || die "expected $FILES blobs, found ${#BLOBS[@]}"
BYTES=$(stat -c %s "${BLOBS[@]}" | awk '{ s += $1 } END { printf "%.0f", s }')
cat "${BLOBS[@]}" >/dev/null   # warm (they are, having just been written)

# --- wait for a quiet machine (the uploads' load included), then time the kit creation and the downloads
if [[ "$MAX_LOAD" != off ]]; then
    waited=0
    while load=$(cut -d' ' -f1 /proc/loadavg); awk -v l="$load" -v m="$MAX_LOAD" 'BEGIN { exit !(l >= m) }'; do
        if ((waited >= LOAD_WAIT_S)); then
            echo "load average still $load after ${waited} s; measuring anyway" >&2
            break
        fi
        echo "load average $load >= $MAX_LOAD; waiting (${waited} s so far) ..." >&2
        sleep 30
        waited=$((waited + 30))
    done
fi
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

KIT_JSON=$(jq -nc '{title: "Bộ tài liệu", release: "Thông cáo",
                    items: [$ARGS.positional[] | {asset: ., version: 1}]}' --args "${ids[@]}")
t0=$(now)
api "$R" POST /api/v1/press-kits "$KIT_JSON" >"$WORK/kit.json"
CREATE_S=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
KIT_ID=$(jq -r .id "$WORK/kit.json") ZIP_SIZE=$(jq -r .zip.size "$WORK/kit.json")
[[ "$ZIP_SIZE" =~ ^[0-9]+$ ]] || die "the kit has no zip.size: $(cat "$WORK/kit.json")"
DL="$URL/api/v1/press-kits/$KIT_ID/download"
ORIGINALS=()
for id in "${ids[@]}"; do ORIGINALS+=(-o /dev/null "$URL/api/v1/assets/$id/original"); done

download() {  # -> fails unless exactly zip.size bytes arrive
    local got
    got=$(curl -sSf -o /dev/null -w '%{size_download}' -H "Authorization: Bearer $R" "$DL")
    [[ "$got" == "$ZIP_SIZE" ]] || die "the download sent $got bytes, not zip.size $ZIP_SIZE"
}
originals() {  # the same files without the ZIP: each one's /original, one curl, one connection
    local got
    got=$(curl -sSf -w '%{size_download}\n' -H "Authorization: Bearer $R" "${ORIGINALS[@]}" |
        awk '{ s += $1 } END { printf "%.0f", s }')
    [[ "$got" == "$BYTES" ]] || die "the originals sent $got bytes, not $BYTES"
}
cat_files() { cat "${BLOBS[@]}" >/dev/null; }
zip_files() { zip -0 -q - "${BLOBS[@]}" >/dev/null; }

if ((UNZIP_TEST)); then
    curl -sSf -o "$WORK/kit.zip" -H "Authorization: Bearer $R" "$DL"
    [[ "$(stat -c %s "$WORK/kit.zip")" == "$ZIP_SIZE" ]] || die "the saved ZIP is not zip.size $ZIP_SIZE bytes"
    unzip -tq "$WORK/kit.zip" >&2 || die "unzip -tq failed on the kit's ZIP"
    members=$(unzip -Z1 "$WORK/kit.zip" | wc -l)
    ((members == FILES + 3)) || die "the ZIP has $members members, not $FILES files + release (2) + manifest"
    rm -f "$WORK/kit.zip"
    UNZIP_NOTE="unzip -tq passed on a saved copy ($members members)"
else
    UNZIP_NOTE="no saved copy tested (BENCH_UNZIP_TEST=1 to test one)"
fi

# --- downloads ----------------------------------------------------------------------------------
echo "timing: one warm-up each, then $RUNS rounds of kho, cat, zip -0, kho originals ..." >&2
HWM_SETUP=$(vm VmHWM) RSS_IDLE=$(vm VmRSS)
# Writing 5 to clear_refs resets the peak RSS (allowed for our own child), so VmHWM covers the downloads.
if echo 5 2>/dev/null >"/proc/$KHO_PID/clear_refs"; then HWM_SCOPE="the downloads"; else HWM_SCOPE="its whole life"; fi
ticks0=$(cpu_ticks)
download   # kho-server's CPU time (user + system) is taken over this warm-up download
KHO_CPU=$(awk -v t="$(($(cpu_ticks) - ticks0))" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }')
cat_files
zip_files
originals
kho=() ref_cat=() ref_zip=() orig=()
for ((i = 0; i < RUNS; i++)); do
    kho+=("$(time_it download)")
    ref_cat+=("$(time_it cat_files)")
    ref_zip+=("$(time_it zip_files)")
    orig+=("$(time_it originals)")
done
HWM=$(vm VmHWM)
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
echo "runs (s): kho ${kho[*]}; cat ${ref_cat[*]}; zip -0 ${ref_zip[*]}; originals ${orig[*]}" >&2

k=$(mbps "$ZIP_SIZE" "$(median "${kho[@]}")")
c=$(mbps "$BYTES" "$(median "${ref_cat[@]}")")
z=$(mbps "$BYTES" "$(median "${ref_zip[@]}")")
o=$(mbps "$BYTES" "$(median "${orig[@]}")")
r=$(ratio "$k" "$c")
verdict=$(awk -v r="$r" 'BEGIN { print (r >= 0.8) ? "pass" : "FAIL" }')
SIZE_LABEL=$( ((SIZE_MB % 1024)) && echo "$SIZE_MB MiB" || echo "$((SIZE_MB / 1024)) GiB")

echo
echo "kho press kit ZIP benchmark: $(nproc) cores (load $LOAD_BEFORE before timing, $LOAD_AFTER after)," \
    "$FILES files, $SIZE_LABEL, median of $RUNS after one warm-up, warm page cache (MB = 10^6 bytes)"
printf '  kho  GET …/press-kits/{id}/download  %6s MB/s   (ZIP of %s bytes over loopback, curl -o /dev/null)\n' "$k" "$ZIP_SIZE"
printf '  cat files >/dev/null                 %6s MB/s\n' "$c"
printf '  zip -0 -q - files >/dev/null         %6s MB/s\n' "$z"
printf '  kho  GET …/assets/{id}/original x%-3s %6s MB/s   (the same files without the ZIP, one connection)\n' "$FILES" "$o"
printf '  kho / cat  %s  %s (target >= 0.8)    kho / zip -0  %s    kho ZIP / originals  %s\n' \
    "$r" "$verdict" "$(ratio "$k" "$z")" "$(ratio "$k" "$o")"
printf '  kit creation (first-time CRC-32 pass over %s bytes): %.2f s, %s MB/s (once per kit)\n' \
    "$BYTES" "$CREATE_S" "$(mbps "$BYTES" "$CREATE_S")"
printf '  kho-server RSS: %s MiB before the downloads, peak %s MiB over %s (peak before them, uploads and kit creation: %s MiB)\n' \
    "$(kib_to_mib "$RSS_IDLE")" "$(kib_to_mib "$HWM")" "$HWM_SCOPE" "$(kib_to_mib "$HWM_SETUP")"
printf '  kho-server CPU (user + system) for one ZIP download: %s s\n' "$KHO_CPU"
echo "  $UNZIP_NOTE; every timed download was checked to be zip.size bytes"
