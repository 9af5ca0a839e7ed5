#!/usr/bin/env bash
# Search benchmark: N generated assets with Vietnamese metadata in a fresh
# kho, then QUERIES varied searches (accented, unaccented, prefixes as typed,
# single common words, rare words, kind/campaign filters, no results) sent one
# after another over one kept-alive connection to GET /api/v1/catalog as the
# admin (who sees everything), after a warm-up. Reference: SQLite FTS5
# (unicode61 remove_diacritics 2, the last word as a prefix) over the same
# documents, queried in-process, doing the same work as one kho response
# (a page of 24 by relevance, the total, kind/campaign/tag facets).
# kho's times include HTTP and JSON; SQLite's do not.
# Target (issue): kho p95 <= 10 ms with 100,000 assets.
# Usage: bench/search.sh   (env: KHO_SERVER, N=100000, QUERIES=1000, WARMUP=100,
#                           CONNECTIONS=8 for the load, SEED=71,
#                           SEARCH_BENCH_DUMP=file.jsonl: every query with its times and totals)
set -euo pipefail
shopt -s inherit_errexit

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KHO_SERVER="${KHO_SERVER:-$ROOT/build/release/server/kho-server}"
N="${N:-100000}"
QUERIES="${QUERIES:-1000}"
WARMUP="${WARMUP:-100}"
CONNECTIONS="${CONNECTIONS:-8}"
SEED="${SEED:-71}"

die() { echo "search.sh: $*" >&2; exit 1; }
[[ -x "$KHO_SERVER" ]] ||
    die "build first: cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DKHO_BUILD_TESTS=OFF && cmake --build build/release"
python3 -c 'import sqlite3; sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(x)")' 2>/dev/null ||
    die "python3's sqlite3 module has no FTS5"

source "$ROOT/bench/lib.sh"
bench_workdir search
start_kho

echo "loading $N assets over $CONNECTIONS connections ..." >&2
read -r loaded load_s load_rate < <(python3 "$ROOT/bench/search_load.py" "$URL" "$BENCH_TOKEN" \
    "$N" "$WORK/docs.jsonl" --connections "$CONNECTIONS" --seed "$SEED")
indexed=$(curl -fs -H "$AUTH" "$URL/api/v1/catalog?limit=1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
[[ "$indexed" == "$N" ]] || die "the catalog holds $indexed assets, not $N"
rss_kib=$(awk '/^VmRSS/ { print $2 }' "/proc/$KHO_PID/status")

read -r load1 load5 load15 _ </proc/loadavg
echo "kho search benchmark: $(nproc) cores (load $load1 $load5 $load15), $N assets, sqlite $(python3 -c 'import sqlite3; print(sqlite3.sqlite_version)')"
awk -v n="$loaded" -v s="$load_s" -v r="$load_rate" -v c="$CONNECTIONS" -v m="$rss_kib" 'BEGIN {
    printf "  load: %d assets in %.0f s (%d assets/s, %d connections); kho-server RSS %.0f MiB after\n", n, s, r, c, m / 1024 }'
python3 "$ROOT/bench/search_queries.py" "$URL" "$BENCH_TOKEN" "$WORK/docs.jsonl" "$WORK/fts.db" \
    --queries "$QUERIES" --warmup "$WARMUP"
