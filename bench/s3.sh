#!/usr/bin/env bash
# S3 backend benchmark: kho-server with --blob-store s3 against the S3 command-line tools
# (Debian's awscli and s3cmd, their default transfer settings), all talking to one throw-away
# Ceph RGW that this script starts in its work dir (tests/s3/start-s3.sh) and stops on exit.
#   1. upload of a big random file (default 1 GiB): curl -T to POST /api/v1/assets
#      vs  aws s3 cp FILE s3://…  vs  s3cmd put
#   2. download of kho's stored object to a file in the work dir: curl from
#      GET /api/v1/assets/{id}/original (--downloads proxy)  vs  aws s3 cp s3://… FILE
#      vs  s3cmd get   (all three read the same object and write to the same disk)
#   3. a 100 kB file (thumbnails, players and HEAD stay proxied in either mode) under
#      wrk -t2 -c64 -d10s through kho and straight from RGW; and how many connections to RGW
#      200 proxied GETs open (new TIME_WAIT sockets on kho's side)
#   4. kho restarted with --downloads redirect: the time to the 302 of N GETs in a row, each
#      kind of request on its own kept-alive connection (python3 http.client), against HEAD
#      (proxied) and a conditional GET answered 304 for the same file: what the redirect
#      adds; then 302s/s under wrk -t2 -c64 -d10s (each a presigned URL and a usage event)
# Targets: kho >= 0.8x each tool's throughput; redirect p95 time to the 302 <= 5 ms.
# Shown too, not targets: one plain SigV4 PUT and GET straight to RGW with curl (what one
# connection gets), a download through the redirect (curl -L), and the CPU seconds of the
# client, kho-server, radosgw and ceph-osd per run (all share this machine's cores).
# Usage: bench/s3.sh   (env: KHO_SERVER, BENCH_SIZE_MB=1024, BENCH_TMPDIR=${TMPDIR:-/tmp} (must
#        be a real disk: bluestore needs O_DIRECT, tmpfs has none), BENCH_REDIRECT_N=1000,
#        BENCH_S3_PART_SIZE and BENCH_S3_MAX_CONNECTIONS (kho's --s3-part-size and
#        --s3-max-connections; default: kho's own), S3_PORT=7680 MON_PORT=3500 OSD_PORT_MIN=7000
#        (this RGW's ports; the tests use 7580/3400/6900), BENCH_MAX_LOAD=off (else wait, up to
#        BENCH_LOAD_WAIT_S=900, for the 1-minute load average to fall below it before timing))
# Needs the Debian packages ceph-mon ceph-osd radosgw awscli s3cmd curl python3 iproute2, and
# wrk for the requests/s rows (scripts/install-deps.sh installs them all).
# Prints a table with kho ÷ tool ratios and the targets; exits 0.
set -euo pipefail
shopt -s inherit_errexit

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KHO_SERVER="${KHO_SERVER:-$ROOT/build/release/server/kho-server}"
SIZE_MB="${BENCH_SIZE_MB:-1024}"
REDIRECT_N="${BENCH_REDIRECT_N:-1000}"
PART_SIZE="${BENCH_S3_PART_SIZE:-}"
MAX_CONNECTIONS="${BENCH_S3_MAX_CONNECTIONS:-}"
MAX_LOAD="${BENCH_MAX_LOAD:-off}"
LOAD_WAIT_S="${BENCH_LOAD_WAIT_S:-900}"
export S3_PORT="${S3_PORT:-7680}" MON_PORT="${MON_PORT:-3500}" OSD_PORT_MIN="${OSD_PORT_MIN:-7000}"
# Debian's awscli by its absolute path: a pyenv shim or a pip-installed `aws` earlier on PATH
# may be another version with other defaults.
AWS=/usr/bin/aws
S3CMD=/usr/bin/s3cmd
RUNS=3

die() { echo "s3.sh: $*" >&2; exit 1; }
for tool in curl python3 ss ceph-mon ceph-osd radosgw radosgw-admin; do
    command -v "$tool" >/dev/null || die "'$tool' not found: run scripts/install-deps.sh"
done
[[ -x "$AWS" ]] || die "$AWS not found: apt-get install awscli (scripts/install-deps.sh does)"
[[ -x "$S3CMD" ]] || die "$S3CMD not found: apt-get install s3cmd (scripts/install-deps.sh does)"
[[ -x "$KHO_SERVER" ]] ||
    die "no kho-server at $KHO_SERVER; build with: cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DKHO_BUILD_TESTS=OFF && cmake --build build/release"

source "$ROOT/bench/lib.sh"
bench_workdir s3
RGW_DIR="$WORK/rgw"
# kho first, then the RGW (stop-s3.sh signals only the PIDs start-s3.sh recorded), then the
# rest as lib.sh does.
s3_cleanup() {
    local rc=$?
    set +e
    [[ -n "$KHO_PID" ]] && kill "$KHO_PID" 2>/dev/null && wait "$KHO_PID" 2>/dev/null
    KHO_PID=""
    [[ -d "$RGW_DIR/pids" ]] && "$ROOT/tests/s3/stop-s3.sh" "$RGW_DIR" >/dev/null 2>&1
    (exit "$rc")
    bench_cleanup
}
trap s3_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
[[ "$(stat -f -c %T "$WORK")" == tmpfs ]] &&
    die "$WORK is on tmpfs, where the RGW's bluestore cannot open its block file (O_DIRECT); set BENCH_TMPDIR to a real disk"
# The source file, one download at a time and the RGW's block file (which grows to its high
# water mark: deleted objects are reclaimed by RGW's garbage collection a minute later).
need_mb=$((SIZE_MB * 14 + 2048))
avail_mb=$(($(df -P -k "$WORK" | awk 'NR == 2 { print $4 }') / 1024))
((avail_mb >= need_mb)) || die "$WORK has $avail_mb MiB free; this run needs about $need_mb MiB"
export STORE_BYTES=$(( (SIZE_MB * 14 > 20480 ? SIZE_MB * 14 : 20480) * 1048576 ))

SIZE_LABEL=$( ((SIZE_MB % 1024)) && echo "$SIZE_MB MiB" || echo "$((SIZE_MB / 1024)) GiB")
echo "generating ${SIZE_MB} MiB of random data in $WORK ..." >&2
BIG="$WORK/big.bin" SMALL="$WORK/small.bin" DL="$WORK/download.bin"
head -c "$((SIZE_MB * 1048576))" /dev/urandom >"$BIG"
head -c 100000 /dev/urandom >"$SMALL"
BIG_BYTES=$(stat -c %s "$BIG")

# --- the RGW -------------------------------------------------------------------------------------
echo "starting a Ceph RGW in $RGW_DIR (S3 port $S3_PORT, mon $MON_PORT, OSD ports from $OSD_PORT_MIN) ..." >&2
SKIP_APT=1 "$ROOT/tests/s3/start-s3.sh" "$RGW_DIR" >"$WORK/start-s3.out" 2>"$WORK/start-s3.log" ||
    { cat "$WORK/start-s3.log" >&2; die "tests/s3/start-s3.sh failed"; }
# shellcheck source=/dev/null
source "$RGW_DIR/s3.env"   # S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY
RGW_PID=$(cat "$RGW_DIR/pids/rgw.pid") OSD_PID=$(cat "$RGW_DIR/pids/osd.0.pid")
CEPH_VERSION=$(ceph-osd --version | awk '{ print $3 }')

# aws: path-style addressing, keys from files in the work dir, nothing from ~/.aws.
mkdir -m 700 "$WORK/aws"
cat >"$WORK/aws/config" <<EOF
[default]
region = us-east-1
s3 =
    addressing_style = path
EOF
(umask 077; printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$S3_ACCESS_KEY" "$S3_SECRET_KEY" >"$WORK/aws/credentials")
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
    AWS_ENDPOINT_URL AWS_DEFAULT_REGION AWS_REGION
export AWS_CONFIG_FILE="$WORK/aws/config" AWS_SHARED_CREDENTIALS_FILE="$WORK/aws/credentials" \
    AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
aws_s3() { "$AWS" --endpoint-url "$S3_ENDPOINT" s3 "$@"; }
# s3cmd: path-style (host_bucket without %(bucket)s), plain HTTP, SigV4.
(umask 077; cat >"$WORK/s3cmd.cfg" <<EOF
[default]
access_key = $S3_ACCESS_KEY
secret_key = $S3_SECRET_KEY
host_base = ${S3_ENDPOINT#http://}
host_bucket = ${S3_ENDPOINT#http://}
use_https = False
signature_v2 = False
bucket_location = us-east-1
EOF
)
s3cmd_() { "$S3CMD" -c "$WORK/s3cmd.cfg" --no-progress --quiet "$@"; }
# Plain curl, one request, signed by curl (RGW insists on x-amz-content-sha256).
SIGV4=(--aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY"
       -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
aws_s3 mb s3://ref >/dev/null

# What the tools use by default, read from the installed packages.
AWS_PY=$(head -1 "$AWS" | sed 's/^#! *//') S3CMD_PY=$(head -1 "$S3CMD" | sed 's/^#! *//')
AWS_SETTINGS=$("$AWS_PY" -c 'from awscli.customizations.s3.transferconfig import DEFAULTS as d
print("%d MiB parts above %d MiB, %d requests at once" % (d["multipart_chunksize"] >> 20,
      d["multipart_threshold"] >> 20, d["max_concurrent_requests"]))' 2>/dev/null || echo "defaults unknown")
S3CMD_SETTINGS=$("$S3CMD_PY" -c 'from S3.Config import Config
print("%d MiB parts, one request at a time" % Config().multipart_chunk_size_mb)' 2>/dev/null || echo "defaults unknown")
AWS_VERSION=$("$AWS" --version 2>&1 | awk '{ print $1 }') S3CMD_VERSION=$("$S3CMD" --version | awk '{ print "s3cmd/" $3 }')

# --- kho-server ----------------------------------------------------------------------------------
(umask 077; printf 'access_key=%s\nsecret_key=%s\n' "$S3_ACCESS_KEY" "$S3_SECRET_KEY" >"$WORK/s3.conf")
# Part size and connections are always given explicitly (kho's defaults from its --help when
# not set), so the table says what was used whatever KHO_S3_* the environment holds.
help_default() { "$KHO_SERVER" --help | sed -n "s/.*$1 [^=]*=\([0-9]*\).*/\1/p" | head -1; }
PART_SIZE="${PART_SIZE:-$(help_default --s3-part-size)}"
MAX_CONNECTIONS="${MAX_CONNECTIONS:-$(help_default --s3-max-connections)}"
[[ "$PART_SIZE" =~ ^[0-9]+$ && "$MAX_CONNECTIONS" =~ ^[0-9]+$ ]] || die "cannot read kho-server's S3 defaults from --help"
KHO_S3_FLAGS=(--blob-store s3 --s3-endpoint "$S3_ENDPOINT" --s3-bucket kho --s3-credentials-file "$WORK/s3.conf"
              --s3-part-size "$PART_SIZE" --s3-max-connections "$MAX_CONNECTIONS")
KHO_SETTINGS="$(awk -v b="$PART_SIZE" 'BEGIN { printf "%g", b / 1048576 }') MiB parts, one sent while the next fills;"
KHO_SETTINGS+=" downloads: one ranged GET; --s3-max-connections $MAX_CONNECTIONS"

# start_kho as in lib.sh, with the S3 flags and --downloads MODE.
start_kho_s3() {
    rm -f "$WORK/port"
    KHO_ADMIN_TOKEN="$BENCH_TOKEN" "$KHO_SERVER" --data-dir "$WORK/data" --listen 127.0.0.1:0 \
        --port-file "$WORK/port" --access-log off --allowed-types '*' "${KHO_S3_FLAGS[@]}" \
        --downloads "$1" 2>>"$WORK/kho.log" &
    KHO_PID=$!
    for _ in $(seq 100); do [[ -s "$WORK/port" ]] && break; sleep 0.1; done
    URL="http://127.0.0.1:$(cat "$WORK/port" 2>/dev/null)"
    AUTH="Authorization: Bearer $BENCH_TOKEN"
    for _ in $(seq 100); do curl -fs "$URL/readyz" >/dev/null && return 0; sleep 0.1; done
    echo "kho-server did not start; its log:" >&2
    cat "$WORK/kho.log" >&2
    return 1
}
stop_kho() { kill "$KHO_PID"; wait "$KHO_PID" || true; KHO_PID=""; }
start_kho_s3 proxy

upload() {  # FILE NAME -> the new asset's JSON in $WORK/upload.json; fails unless 201
    local code
    # -T streams the file (--data-binary @FILE loads it into memory and refuses >= 1 GiB).
    code=$(curl -sS -o "$WORK/upload.json" -w '%{http_code}' -H "$AUTH" -H 'Expect:' \
        -X POST -T "$1" "$URL/api/v1/assets?filename=$2") || die "curl failed uploading $1"
    [[ "$code" == 201 ]] || die "upload of $1 answered $code: $(cat "$WORK/upload.json")"
}
uploaded_id() { python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])' <"$WORK/upload.json"; }
uploaded_sha() { python3 -c 'import json, sys; print(json.load(sys.stdin)["versions"][0]["sha256"])' <"$WORK/upload.json"; }
# Each kho upload must store new bytes (not take the deduplicated path), so the asset is
# deleted for good, its object included, after each run; the tools' objects are deleted too.
purge() {
    curl -fsS -o /dev/null -H "$AUTH" -X DELETE "$URL/api/v1/assets/$1"
    curl -fsS -o /dev/null -H "$AUTH" -X DELETE "$URL/api/v1/assets/$1?permanent=true"
}
check_download() {  # the file in $DL must be the whole object; removed afterwards
    local got
    got=$(stat -c %s "$DL" 2>/dev/null || echo none)
    [[ "$got" == "$BIG_BYTES" ]] || die "$1 left $got bytes in $DL, not $BIG_BYTES"
    rm -f "$DL"
}

# --- timing --------------------------------------------------------------------------------------
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }   # utime + stime of a process
# CPU seconds (user + system) of this shell's finished children, from the output of `times`,
# which must run in this shell itself (a subshell starts with no children).
children_cpu_of() { tail -1 "$1" | awk '{ s = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); s += p[1] * 60 + p[2] } print s }'; }
HZ=$(getconf CLK_TCK)
declare -A WALL=() CPU=()
# timed NAME cmd...: `sync` (untimed), then runs cmd and appends its wall time to WALL[NAME]
# and "client,kho,radosgw,osd" CPU seconds to CPU[NAME].
timed() {
    local name=$1 t0 t1 c0 c1 k0 r0 o0
    shift
    sync
    k0=$(ticks "$KHO_PID") r0=$(ticks "$RGW_PID") o0=$(ticks "$OSD_PID")
    times >"$WORK/times"; c0=$(children_cpu_of "$WORK/times")
    t0=$(now)
    "$@" >/dev/null
    t1=$(now)
    times >"$WORK/times"; c1=$(children_cpu_of "$WORK/times")
    WALL[$name]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') "
    CPU[$name]+="$(awk -v c0="$c0" -v c1="$c1" -v k="$(($(ticks "$KHO_PID") - k0))" \
        -v r="$(($(ticks "$RGW_PID") - r0))" -v o="$(($(ticks "$OSD_PID") - o0))" -v hz="$HZ" \
        'BEGIN { printf "%.2f,%.2f,%.2f,%.2f", c1 - c0, k / hz, r / hz, o / hz }') "
}
med() { local -a a; read -ra a <<<"${WALL[$1]}"; median "${a[@]}"; }
rate() { mbps "$BIG_BYTES" "$(med "$1")"; }   # MB/s of the median run
cpu_med() {  # NAME -> the median of each CPU column
    local -a runs; read -ra runs <<<"${CPU[$1]}"
    local col out=() vals
    for col in 1 2 3 4; do
        mapfile -t vals < <(printf '%s\n' "${runs[@]}" | cut -d, -f"$col")
        out+=("$(median "${vals[@]}")")
    done
    echo "${out[*]}"
}

wait_for_quiet() {
    [[ "$MAX_LOAD" == off ]] && return 0
    local waited=0 load
    while load=$(cut -d' ' -f1 /proc/loadavg); awk -v l="$load" -v m="$MAX_LOAD" 'BEGIN { exit !(l >= m) }'; do
        if ((waited >= LOAD_WAIT_S)); then
            echo "load average still $load after ${waited} s; measuring anyway" >&2
            return 0
        fi
        echo "load average $load >= $MAX_LOAD; waiting (${waited} s so far) ..." >&2
        sleep 30
        waited=$((waited + 30))
    done
}

cat "$BIG" >/dev/null   # warm the source file for every side
wait_for_quiet
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# --- 1. upload -----------------------------------------------------------------------------------
kho_upload() { upload "$BIG" big.bin; }
for ((i = 1; i <= RUNS; i++)); do
    echo "upload round $i of $RUNS: kho, aws, s3cmd, curl ..." >&2
    timed up_kho kho_upload
    purge "$(uploaded_id)"
    timed up_aws aws_s3 cp --no-progress --only-show-errors "$BIG" s3://ref/big.bin
    aws_s3 rm --only-show-errors s3://ref/big.bin
    timed up_s3cmd s3cmd_ put "$BIG" s3://ref/big.bin
    aws_s3 rm --only-show-errors s3://ref/big.bin
    timed up_curl curl -fsS "${SIGV4[@]}" -T "$BIG" "$S3_ENDPOINT/ref/big.bin"
    aws_s3 rm --only-show-errors s3://ref/big.bin
done

# --- 2. download (proxy mode) --------------------------------------------------------------------
upload "$BIG" big.bin
BIG_ID=$(uploaded_id) SHA=$(uploaded_sha)
KEY="blobs/sha256/${SHA:0:2}/${SHA:2:2}/$SHA"   # kho's object: every side reads this one
kho_download() { curl -fsS -o "$DL" -H "$AUTH" "$URL/api/v1/assets/$BIG_ID/original"; }
for ((i = 1; i <= RUNS; i++)); do
    echo "download round $i of $RUNS: kho, aws, s3cmd, curl ..." >&2
    timed down_kho kho_download; check_download "kho"
    timed down_aws aws_s3 cp --no-progress --only-show-errors "s3://kho/$KEY" "$DL"; check_download "aws s3 cp"
    timed down_s3cmd s3cmd_ get --force "s3://kho/$KEY" "$DL"; check_download "s3cmd get"
    timed down_curl curl -fsS "${SIGV4[@]}" -o "$DL" "$S3_ENDPOINT/kho/$KEY"; check_download "curl"
done

# --- 3. small files, many at once ----------------------------------------------------------------
# wrk counts a 4xx or 5xx (not a 302) as an error; any error or socket error fails the run.
rps() {  # wrk args... -> requests/s, or "-" without wrk
    local out
    command -v wrk >/dev/null || { echo -; return 0; }
    out=$(wrk -t2 -c64 -d10s "$@")
    if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then echo "$out" >&2; die "wrk saw errors"; fi
    awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out"
}
upload "$SMALL" "b%E1%BA%A3ng%20tin.bin"   # "bảng tin.bin": the presigned URL carries the name
SMALL_ID=$(uploaded_id) SMALL_SHA=$(uploaded_sha)
SMALL_PATH="/api/v1/assets/$SMALL_ID/original"
# How many connections to the store 200 proxied GETs open: the side that closes a TCP
# connection keeps it in TIME_WAIT for 60 s, so the TIME_WAIT sockets of the RGW's port with
# more than 59 s - (the burst's length) left were closed during the burst. (Between machines a
# connection per request is bounded by the ephemeral ports: about 28 000 per 60 s.)
tw_recent() {  # MIN_SECONDS_LEFT -> TIME_WAIT sockets of the RGW's port with that much left
    ss -Htan -o state time-wait "( sport = :$S3_PORT or dport = :$S3_PORT )" |
        sed -n 's/.*timer:(timewait,\([0-9]*\)sec.*/\1/p' | awk -v m="$1" '$1 >= m' | wc -l
}
sleep 2   # nothing closed just before the burst counts
t0=$(now)
python3 - "$URL" "$BENCH_TOKEN" "$SMALL_PATH" <<'PY'
import http.client, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port)
for _ in range(200):
    c.request("GET", sys.argv[3], headers={"Authorization": "Bearer " + sys.argv[2]})
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit("GET %s answered %d" % (sys.argv[3], r.status))
PY
burst_s=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { s = b - a; print (s == int(s)) ? s : int(s) + 1 }')
STORE_CONNECTIONS=$(tw_recent $((59 - burst_s)))
echo "100 kB file through kho (proxy): wrk -t2 -c64 -d10s ..." >&2
RPS_PROXY=$(rps -H "$AUTH" "$URL$SMALL_PATH")

# --- 4. redirect mode ----------------------------------------------------------------------------
echo "restarting kho-server with --downloads redirect ..." >&2
stop_kho
start_kho_s3 redirect
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "$AUTH" "$URL/api/v1/assets/$BIG_ID/original")
[[ "$code" == 302 ]] || die "GET .../original answered $code in redirect mode, not 302"
# curl -L sends the Authorization header only to kho (not to another host or port), and the
# store's URL carries its own signature.
kho_redirect_download() { curl -fsSL -o "$DL" -H "$AUTH" "$URL/api/v1/assets/$BIG_ID/original"; }
for ((i = 1; i <= RUNS; i++)); do
    timed down_redirect kho_redirect_download; check_download "curl -L through the redirect"
done
LOAD_AFTER_TRANSFERS=$(cut -d' ' -f1-3 /proc/loadavg)

# The presigned URL must give the same bytes.
got=$(curl -fsSL -H "$AUTH" "$URL$SMALL_PATH" | sha256sum | cut -d' ' -f1)
[[ "$got" == "$SMALL_SHA" ]] || die "the redirect of the small file led to other bytes ($got)"

echo "redirect latency: $REDIRECT_N requests of each kind (after 100 warm-up), interleaved ..." >&2
python3 - "$URL" "$BENCH_TOKEN" "$SMALL_PATH" "$SMALL_SHA" "$REDIRECT_N" \
    >"$WORK/latency.txt" <<'PY'
# Each kind of request on its own kept-alive connection; one request of each kind in turn,
# so that whatever else the machine does affects the three alike. The clock runs from
# sending the request to having read the whole answer (the 302 has no body).
import http.client, math, sys, time, urllib.parse

url, token, path, sha, n = sys.argv[1:6]
n, warm = int(n), 100
u = urllib.parse.urlsplit(url)
auth = {"Authorization": "Bearer " + token}
kinds = [
    ("GET -> 302 (presigned URL, usage event)", "GET", auth, 302),
    ("HEAD -> 200 (proxied, no body)", "HEAD", auth, 200),
    ("GET If-None-Match -> 304", "GET", dict(auth, **{"If-None-Match": '"%s"' % sha}), 304),
]
conns = [http.client.HTTPConnection(u.hostname, u.port) for _ in kinds]
times = [[] for _ in kinds]
for i in range(warm + n):
    for k, (label, method, headers, want) in enumerate(kinds):
        t0 = time.perf_counter()
        conns[k].request(method, path, headers=headers)
        r = conns[k].getresponse()
        r.read()
        t1 = time.perf_counter()
        if r.status != want:
            sys.exit("%s answered %d, not %d" % (label, r.status, want))
        if k == 0 and i == 0 and "X-Amz-Signature=" not in (r.getheader("Location") or ""):
            sys.exit("the 302 has no presigned Location: %r" % r.getheader("Location"))
        if i >= warm:
            times[k].append((t1 - t0) * 1000)

def pct(xs, p):
    return xs[max(0, math.ceil(p / 100 * len(xs)) - 1)]

for (label, *_), xs in zip(kinds, times):
    xs.sort()
    print("%s|%.2f|%.2f|%.2f|%.2f|%.2f" % (label, pct(xs, 50), pct(xs, 95), pct(xs, 99), xs[-1],
                                          sum(xs) / len(xs)))
PY
echo "the presigned URL straight from RGW, then redirects: wrk -t2 -c64 -d10s each ..." >&2
PRESIGNED=$(curl -sS -o /dev/null -w '%{redirect_url}' -H "$AUTH" "$URL$SMALL_PATH")
RPS_STORE=$(rps "$PRESIGNED")   # lives --presign-expiry (300 s by default)
RPS_REDIRECT=$(rps -H "$AUTH" "$URL$SMALL_PATH")
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- summary -------------------------------------------------------------------------------------
ratio() { awk -v k="$1" -v r="$2" 'BEGIN { printf "%.2f", k / r }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t) ? "pass" : "FAIL" }'; }
row() {  # label name [reference-name target]
    local r
    if [[ -n "${3:-}" ]]; then
        r=$(ratio "$(rate "$3")" "$(rate "$2")")
        printf '  %-40s %6s MB/s   kho ÷ it %s  %s (target >= %s)\n' "$1" "$(rate "$2")" "$r" "$(verdict "$r" "$4")" "$4"
    else
        printf '  %-40s %6s MB/s\n' "$1" "$(rate "$2")"
    fi
}
ref_row() {  # label name kho-name: a reference shown without a target
    printf '  %-40s %6s MB/s   kho ÷ it %s  (no target)\n' "$1" "$(rate "$2")" "$(ratio "$(rate "$3")" "$(rate "$2")")"
}
echo
echo "runs (s):" >&2
for name in up_kho up_aws up_s3cmd up_curl down_kho down_aws down_s3cmd down_curl down_redirect; do
    echo "  $name: ${WALL[$name]% }" >&2
done
echo "kho S3 benchmark: $(nproc) cores (load $LOAD_BEFORE before timing, $LOAD_AFTER_TRANSFERS after the transfers)," \
    "$SIZE_LABEL file, median of $RUNS (MB = 10^6 bytes)"
echo "  store: Ceph $CEPH_VERSION RGW on loopback, one OSD (bluestore on a sparse file in the work dir), same machine"
echo "  kho-server: $KHO_SETTINGS"
echo "  $AWS_VERSION: $AWS_SETTINGS; $S3CMD_VERSION: $S3CMD_SETTINGS (their defaults)"
echo " upload $SIZE_LABEL"
row "kho  curl -T, POST /api/v1/assets" up_kho
row "aws s3 cp FILE s3://ref/big.bin" up_aws up_kho 0.8
row "s3cmd put FILE s3://ref/big.bin" up_s3cmd up_kho 0.8
ref_row "curl PUT straight to RGW (one request)" up_curl up_kho
echo " download $SIZE_LABEL to a file in the work dir"
row "kho  GET .../original (proxy), curl" down_kho
row "aws s3 cp s3://kho/blobs/... FILE" down_aws down_kho 0.8
row "s3cmd get s3://kho/blobs/... FILE" down_s3cmd down_kho 0.8
ref_row "curl GET straight from RGW (one request)" down_curl down_kho
printf '  %-40s %6s MB/s   (kho answers 302, RGW sends the bytes)\n' "kho  --downloads redirect, curl -L" "$(rate down_redirect)"
echo " redirect mode: $REDIRECT_N requests of each kind for one file, over kept-alive connections (ms)"
printf '  %-40s %6s %6s %6s %6s %6s\n' "" p50 p95 p99 max mean
while IFS='|' read -r label p50 p95 p99 max mean; do
    printf '  %-40s %6s %6s %6s %6s %6s\n' "$label" "$p50" "$p95" "$p99" "$max" "$mean"
done <"$WORK/latency.txt"
p95=$(head -1 "$WORK/latency.txt" | cut -d'|' -f3)
printf '  time to the 302, p95 %s ms: %s (target <= 5 ms)\n' "$p95" \
    "$(awk -v p="$p95" 'BEGIN { print (p <= 5) ? "pass" : "FAIL" }')"
echo " many requests at once: wrk -t2 -c64 -d10s, the client on the same cores"
printf '  %-40s %6s req/s  (kho reads each from RGW)\n' "100 kB file, proxy: GET .../original" "$RPS_PROXY"
printf '  %-40s %6s req/s  (kho ÷ it %s)\n' "the same file straight from RGW" "$RPS_STORE" \
    "$( [[ "$RPS_STORE" == - ]] && echo - || ratio "$RPS_PROXY" "$RPS_STORE")"
printf '  %-40s %6s req/s  (each a presigned URL and a usage event)\n' "redirect: GET .../original -> 302" "$RPS_REDIRECT"
echo "  200 proxied GETs of it over one client connection opened $STORE_CONNECTIONS new connections to the store"
echo " CPU seconds per run, median (user + system): client, kho-server, radosgw, ceph-osd"
for name in up_kho up_aws up_s3cmd up_curl down_kho down_aws down_s3cmd down_curl down_redirect; do
    read -r c k r o <<<"$(cpu_med "$name")"
    printf '  %-14s client %5s  kho %5s  radosgw %5s  osd %5s  all %5s  wall %5.2f s\n' "$name" "$c" "$k" "$r" "$o" \
        "$(awk -v a="$c" -v b="$k" -v x="$r" -v y="$o" 'BEGIN { printf "%.2f", a + b + x + y }')" "$(med "$name")"
done
echo "  (load $LOAD_AFTER at the end)"
