#!/usr/bin/env bash
# Slow clients: slowhttptest (Debian) opens 1000 connections against a real
# kho-server in each mode — slow headers (Slowloris), slow body
# (R-U-Dead-Yet) and the range attack (Apache killer) — while a normal
# client keeps asking for /healthz. Checks, per mode:
#   - every slow connection is closed by the server within its deadline
#     (header, I/O and idle timeouts of 3 s, the ramp-up, 4 s of slack);
#   - the server's open file descriptors stay bounded and return to where
#     they were;
#   - every request of the normal client succeeds, throughout.
# Usage: tests/abuse/slow_clients.sh KHO_SERVER   (env: SLOW_CONNECTIONS=1000,
#        SLOW_SECONDS=15 per mode; the long run: SLOW_SECONDS=120)
set -euo pipefail
KHO_SERVER=${1:?usage: slow_clients.sh KHO_SERVER}
CONNECTIONS=${SLOW_CONNECTIONS:-1000}
SECONDS_PER_MODE=${SLOW_SECONDS:-15}
RATE=250
DEADLINE=3
TOKEN="kho_test_admin_token_0123456789abcdefXYZ"
PASSWORD="Mật khẩu quản trị Bộ GDĐT 2026"

command -v slowhttptest >/dev/null || { echo "slowhttptest is missing: scripts/install-deps.sh installs it" >&2; exit 1; }
ulimit -n 16384 2>/dev/null || ulimit -n "$(ulimit -Hn)"

WORK=$(mktemp -d /tmp/kho-slow.XXXXXX)
PID=""
cleanup() {
    local rc=$?
    [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    [[ $rc != 0 ]] && { echo "--- server log"; tail -20 "$WORK/server.log"; } >&2
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT

KHO_ADMIN_TOKEN=$TOKEN KHO_ADMIN_PASSWORD=$PASSWORD "$KHO_SERVER" --data-dir "$WORK/data" \
    --listen 127.0.0.1:0 --port-file "$WORK/port" --access-log off --media-concurrency 0 \
    --header-timeout $DEADLINE --io-timeout $DEADLINE --idle-timeout $DEADLINE \
    --max-connections $((CONNECTIONS * 2)) 2>"$WORK/server.log" &
PID=$!
for _ in $(seq 100); do [[ -s "$WORK/port" ]] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat "$WORK/port")"
for _ in $(seq 100); do curl -fs "$URL/readyz" >/dev/null && break; sleep 0.1; done

# A file to attack with ranges, reachable with a session cookie (slowhttptest
# can send a cookie, not an Authorization header).
printf '%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%%%EOF\n' >"$WORK/file.pdf"
head -c 200000 /dev/urandom >>"$WORK/file.pdf"
ID=$(curl -fsS -H "Authorization: Bearer $TOKEN" --data-binary @"$WORK/file.pdf" \
    "$URL/api/v1/assets?filename=file.pdf" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
COOKIE=$(curl -fsS -c - -H "Content-Type: application/json" \
    -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" "$URL/api/v1/sessions" -o /dev/null |
    awk '$6 == "kho_session" { print $7 }')
[[ -n "$COOKIE" ]] || { echo "cannot sign in" >&2; exit 1; }

fds() { ls "/proc/$PID/fd" | wc -l; }
BASELINE=$(fds)
FAILED=0

run_mode() {
    # The share of CONNECTIONS (in %) that must have been opened: slow modes
    # hold each connection, so nearly all are; the range attack's
    # connections are answered at once, and slowhttptest stops early.
    local name=$1 min_open=$2; shift 2
    local stats="$WORK/$name" probes="$WORK/$name.probes" peak="$WORK/$name.peak"
    : >"$probes"
    echo "$BASELINE" >"$peak"
    slowhttptest "$@" -c "$CONNECTIONS" -r $RATE -l "$SECONDS_PER_MODE" -g -o "$stats" -p 3 \
        >"$WORK/$name.out" 2>&1 &
    local attacker=$!
    while kill -0 $attacker 2>/dev/null; do
        curl -s -o /dev/null -w '%{http_code}\n' --max-time 3 "$URL/healthz" >>"$probes" || echo 000 >>"$probes"
        local now; now=$(fds)
        (( now > $(cat "$peak") )) && echo "$now" >"$peak"
        sleep 0.25
    done
    wait $attacker || true
    sleep $((DEADLINE + 1))
    local after; after=$(fds)
    # The second by which every slow connection must have been closed.
    local ramp=$(( (CONNECTIONS + RATE - 1) / RATE ))
    local due=$(( ramp + DEADLINE + 4 ))
    local opened max_connected still_open late
    # Connections opened in all: closed plus still connected, at the most.
    opened=$(awk -F, 'NR > 1 && $2 + $4 > m { m = $2 + $4 } END { print m + 0 }' "$stats.csv")
    still_open=$(awk -F, -v due=$due 'NR > 1 && $1 >= due && $4 > 0 { n++ } END { print n + 0 }' "$stats.csv")
    late=$(awk -F, -v due=$due 'NR > 1 && $1 >= due && $4 > 0 { print $1 ": " $4; exit }' "$stats.csv")
    local probes_total probes_bad
    probes_total=$(wc -l <"$probes")
    probes_bad=$(grep -vc '^200$' "$probes" || true)
    local ok=yes
    (( opened >= CONNECTIONS * min_open / 100 )) || ok="no (only $opened connections opened)"
    (( still_open == 0 )) || ok="no (connections still open at second $late)"
    (( probes_bad == 0 )) || ok="no ($probes_bad of $probes_total normal requests failed)"
    (( $(cat "$peak") <= BASELINE + CONNECTIONS + 64 )) || ok="no (peak descriptors $(cat "$peak"))"
    (( after <= BASELINE + 8 )) || ok="no (descriptors after: $after, before: $BASELINE)"
    printf '%-14s opened %5d, all closed by second %3d: %-3s  fds: base %4d peak %5d after %4d  normal requests: %d/%d ok  => %s\n' \
        "$name" "$opened" "$due" "$([[ $still_open == 0 ]] && echo yes || echo no)" "$BASELINE" \
        "$(cat "$peak")" "$after" $((probes_total - probes_bad)) "$probes_total" "$ok"
    [[ $ok == yes ]] || FAILED=1
}

run_mode slow-headers 90 -H -i 1 -u "$URL/healthz"
run_mode slow-body 90 -B -i 1 -s 8192 -t POST -u "$URL/api/v1/sessions"
run_mode range-attack 25 -R -a 5 -b 3000 -j "kho_session=$COOKIE" -u "$URL/api/v1/assets/$ID/original"

exit $FAILED
