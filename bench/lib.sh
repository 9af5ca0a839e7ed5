# Shared by the bench/ scripts (sourced, not run): a work directory removed on
# exit, a kho-server started in it on a free loopback port, and timing helpers.
# The caller sets ROOT and KHO_SERVER first.

BENCH_TOKEN="bench_token_0123456789abcdefghijklmnop"
KHO_PID=""

# bench_workdir NAME: creates $WORK and removes it (and stops kho) on exit.
bench_workdir() {
    WORK="$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/kho-$1-bench.XXXXXX")"
    trap bench_cleanup EXIT
}

bench_cleanup() {
    local rc=$?
    set +e
    [[ -n "$KHO_PID" ]] && kill "$KHO_PID" 2>/dev/null && wait "$KHO_PID" 2>/dev/null
    rm -rf "$WORK"
    exit "$rc"
}

# start_kho: a server on $WORK/data accepting any file type; sets URL and
# AUTH (an "Authorization: Bearer ..." header) once it is ready.
start_kho() {
    KHO_ADMIN_TOKEN="$BENCH_TOKEN" "$KHO_SERVER" --data-dir "$WORK/data" --listen 127.0.0.1:0 \
        --port-file "$WORK/port" --access-log off --allowed-types '*' 2>"$WORK/kho.log" &
    KHO_PID=$!
    for _ in $(seq 100); do [[ -s "$WORK/port" ]] && break; sleep 0.1; done
    URL="http://127.0.0.1:$(cat "$WORK/port")"
    AUTH="Authorization: Bearer $BENCH_TOKEN"
    for _ in $(seq 100); do curl -fs "$URL/readyz" >/dev/null && return 0; sleep 0.1; done
    echo "kho-server did not start; its log:" >&2
    cat "$WORK/kho.log" >&2
    return 1
}

now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }   # bytes, seconds
