#!/usr/bin/env bash
# Transfer benchmark: kho-server against plain-tool references on this machine.
#   1. upload of a big file (default 1 GiB) with curl  vs  `openssl dgst -sha256` then `cp && sync`
#   2. download of the same file with curl             vs  nginx (sendfile)
#   3. 30 KiB downloads under `wrk -t2 -c64 -d10s`     vs  nginx
# Usage: bench/transfer.sh   (env: KHO_SERVER, BENCH_SIZE_MB=1024, BENCH_TMPDIR=${TMPDIR:-/tmp})
# Prints a table with kho ÷ reference throughput ratios and their targets; exits 0.
set -euo pipefail
shopt -s inherit_errexit   # a failing command inside $(...) stops the script too

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KHO_SERVER="${KHO_SERVER:-$ROOT/build/release/server/kho-server}"
SIZE_MB="${BENCH_SIZE_MB:-1024}"
SMALL_BYTES=$((30 * 1024))
RUNS=3

die() { echo "transfer.sh: $*" >&2; exit 1; }

for tool in curl:curl wrk:wrk openssl:openssl nginx:nginx-light; do
    command -v "${tool%%:*}" >/dev/null || [[ -x "/usr/sbin/${tool%%:*}" ]] ||
        die "'${tool%%:*}' not found: apt-get install ${tool#*:}"
done
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
if [[ ! -x "$KHO_SERVER" ]]; then
    echo "kho-server not found at $KHO_SERVER; build it (from $ROOT) with:" >&2
    echo "  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DKHO_BUILD_TESTS=OFF && cmake --build build/release" >&2
    echo "or point KHO_SERVER at a kho-server binary." >&2
    exit 1
fi

# Everything lives in one temp dir, so data dir, source file and copies share a disk.
WORK="$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/kho-bench.XXXXXX")"
KHO_PID="" NGINX_PID="" KHO=""
cleanup() {
    local rc=$?
    set +e
    [[ -n "$KHO_PID" ]] && kill "$KHO_PID" 2>/dev/null && wait "$KHO_PID" 2>/dev/null
    [[ -n "$NGINX_PID" ]] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
[[ "$(stat -f -c %T "$WORK")" == tmpfs ]] && echo "warning: $WORK is on tmpfs; set BENCH_TMPDIR to a real disk" >&2
mkdir -p "$WORK/www" "$WORK/data" "$WORK/nginx"

now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }      # bytes, seconds
ratio() { awk -v k="$1" -v r="$2" 'BEGIN { printf "%.2f", k / r }'; }
# Seconds taken by "$@", printed to stdout (the command's own output is discarded).
timed() { local t0; t0=$(now); "$@" >/dev/null; awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }'; }
# Median seconds of $RUNS runs of "$@", with `sync` (untimed) before each so no run pays for another.
median_time() { local ts=() i; for ((i = 0; i < RUNS; i++)); do sync; ts+=("$(timed "$@")"); done; median "${ts[@]}"; }

echo "generating ${SIZE_MB} MiB of random data in $WORK ..." >&2
BIG="$WORK/www/big.bin" SMALL="$WORK/www/small.bin"
head -c "$((SIZE_MB * 1048576))" /dev/urandom >"$BIG"
head -c "$SMALL_BYTES" /dev/urandom >"$SMALL"
BIG_BYTES=$(stat -c %s "$BIG")
SIZE_LABEL=$( ((SIZE_MB % 1024)) && echo "$SIZE_MB MiB" || echo "$((SIZE_MB / 1024)) GiB")

# --- kho-server ----------------------------------------------------------------------------
TOKEN="$(openssl rand -hex 20)"   # 40 hex characters
AUTH="Authorization: Bearer $TOKEN"
KHO_ADMIN_TOKEN="$TOKEN" "$KHO_SERVER" --data-dir "$WORK/data" --listen 127.0.0.1:0 \
    --port-file "$WORK/kho.port" --access-log off --allowed-types '*' 2>"$WORK/kho.log" &
KHO_PID=$!
for ((i = 0; i < 300; i++)); do
    [[ -s "$WORK/kho.port" ]] && KHO="http://127.0.0.1:$(cat "$WORK/kho.port")" &&
        [[ "$(curl -s -o /dev/null -w '%{http_code}' "$KHO/readyz")" == 200 ]] && break
    kill -0 "$KHO_PID" 2>/dev/null || { cat "$WORK/kho.log" >&2; die "kho-server exited"; }
    sleep 0.1
done
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$KHO/readyz")" == 200 ]] || die "kho-server not ready"

upload() {  # FILE -> prints the new asset's id; fails unless 201
    local code
    # -T streams the file (--data-binary @FILE loads it into memory and refuses >= 1 GiB).
    code=$(curl -sS -o "$WORK/upload.json" -w '%{http_code}' -H "$AUTH" -H 'Expect:' \
        -X POST -T "$1" "$KHO/api/v1/assets?filename=$(basename "$1")") || die "curl failed uploading $1"
    [[ "$code" == 201 ]] || die "upload of $1 answered $code: $(cat "$WORK/upload.json")"
    sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p' "$WORK/upload.json"
}

# --- nginx ------------------------------------------------------------------------------------
NPORT=""
for ((i = 0; i < 50; i++)); do   # a port nothing answers on
    p=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { NPORT=$p; break; }
done
[[ -n "$NPORT" ]] || die "no free port for nginx"
N="$WORK/nginx"
cat >"$N/nginx.conf" <<EOF
$([[ $EUID -eq 0 ]] && echo "user root;")
worker_processes auto;
daemon off;
pid $N/nginx.pid;
error_log $N/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    default_type application/octet-stream;
    client_body_temp_path $N/body; proxy_temp_path $N/proxy; fastcgi_temp_path $N/fastcgi;
    uwsgi_temp_path $N/uwsgi; scgi_temp_path $N/scgi;
    server { listen 127.0.0.1:$NPORT; root $WORK/www; }
}
EOF
"$NGINX" -p "$N" -e "$N/error.log" -c "$N/nginx.conf" &
NGINX_PID=$!
NG="http://127.0.0.1:$NPORT"
for ((i = 0; i < 100; i++)); do
    curl -sf -o /dev/null "$NG/small.bin" && break
    kill -0 "$NGINX_PID" 2>/dev/null || { cat "$N/error.log" >&2; die "nginx exited"; }
    sleep 0.1
done

# --- 1. upload --------------------------------------------------------------------------------
echo "upload: $RUNS x $SIZE_MB MiB each ..." >&2
cat "$BIG" >/dev/null   # warm the source file for both sides
# The same bytes each time: kho streams, hashes and fdatasyncs every upload, then
# deduplicates against the stored blob (skipping only a rename and a directory fsync).
up_kho=$(median_time upload "$BIG")
reference_upload() { rm -f "$WORK/copy.bin"; openssl dgst -sha256 "$BIG" && cp "$BIG" "$WORK/copy.bin" && sync; }
up_ref=$(median_time reference_upload)
rm -f "$WORK/copy.bin"

# --- 2. download of the big file ---------------------------------------------------------------
echo "download: $RUNS x $SIZE_MB MiB each ..." >&2
BIG_ID=$(upload "$BIG")
for url in "$KHO/api/v1/assets/$BIG_ID/original" "$NG/big.bin"; do   # warm both, check sizes
    got=$(curl -sSf -o /dev/null -w '%{size_download}' -H "$AUTH" "$url")
    [[ "$got" == "$BIG_BYTES" ]] || die "$url sent $got bytes, not $BIG_BYTES"
done
down_kho=$(median_time curl -sSf -o /dev/null -H "$AUTH" "$KHO/api/v1/assets/$BIG_ID/original")
down_ref=$(median_time curl -sSf -o /dev/null "$NG/big.bin")

# --- 3. small files under wrk -------------------------------------------------------------------
echo "small files: wrk -t2 -c64 -d10s against each ..." >&2
SMALL_ID=$(upload "$SMALL")
curl -sSf -o /dev/null -H "$AUTH" "$KHO/api/v1/assets/$SMALL_ID/original"
rps() {  # wrk args... -> requests/s; fails on non-2xx answers or socket errors
    local out
    out=$(wrk -t2 -c64 -d10s "$@")
    if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then echo "$out" >&2; die "wrk saw errors"; fi
    awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out"
}
rps_kho=$(rps -H "$AUTH" "$KHO/api/v1/assets/$SMALL_ID/original")
KHO_NOTE=""   # wrk drops its connections mid-response when it stops: kho must survive that
if ! kill -0 "$KHO_PID" 2>/dev/null; then
    wait "$KHO_PID" && st=0 || st=$?
    KHO_NOTE="warning: kho-server exited with status $st when wrk stopped (141 = SIGPIPE)"
    KHO_PID=""
fi
rps_ref=$(rps "$NG/small.bin")

# --- summary -----------------------------------------------------------------------------------
row() {  # label kho_value ref_label ref_value unit ratio target
    printf '  %-16s kho %6s %-5s  %-32s %6s %-5s  ratio %s  (target >= %s)\n' "$1" "$2" "$5" "$3" "$4" "$5" "$6" "$7"
}
echo
echo "kho transfer benchmark: $(nproc) cores (load $(cut -d' ' -f1-3 /proc/loadavg)), $SIZE_LABEL file," \
    "median of $RUNS (MB = 10^6 bytes)"
row "upload $SIZE_LABEL" "$(mbps "$BIG_BYTES" "$up_kho")" "reference (sha256 then cp+sync)" \
    "$(mbps "$BIG_BYTES" "$up_ref")" MB/s "$(ratio "$up_ref" "$up_kho")" 0.8
row "download $SIZE_LABEL" "$(mbps "$BIG_BYTES" "$down_kho")" "nginx sendfile" \
    "$(mbps "$BIG_BYTES" "$down_ref")" MB/s "$(ratio "$down_ref" "$down_kho")" 0.9
row "30 KiB wrk c64" "$rps_kho" "nginx" "$rps_ref" req/s "$(ratio "$rps_kho" "$rps_ref")" 0.6
[[ -z "$KHO_NOTE" ]] || echo "  $KHO_NOTE"
