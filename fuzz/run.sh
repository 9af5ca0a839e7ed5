#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan, UBSan), generates their seeds,
# replays the committed regressions, fuzzes every target for a while, and
# prints a table of CPU time, executions, corpus size and findings.
#
#   fuzz/run.sh [--quick | --minutes N | --seconds N | --cpu-minutes N]
#               [--build-dir DIR] [--jobs N] [TARGET...]
#
# --quick (the default; what the test suite runs): 10 s per parser target,
# 15 s per media target. --minutes N / --seconds N: that long per target.
# --cpu-minutes N: until the target has used N minutes of CPU, in slices
# (on a shared machine a wall-clock minute may be half a CPU minute).
# Targets run one after another on one core each; --jobs only sets the
# build's parallelism (default 2). The corpus grows in DIR/corpus/<target>
# across runs. Exit status 1 on any finding (crash, leak, timeout, memory
# limit or violated property), with the reproducer's path; 2 on a build or
# usage error.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build/fuzz"
mode=quick
per_target=""
cpu_goal=""
jobs=2
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) mode=quick ;;
        --minutes) mode=timed; per_target=$(($2 * 60)); shift ;;
        --seconds) mode=timed; per_target=$2; shift ;;
        --cpu-minutes) mode=cpu; cpu_goal=$(($2 * 60)); shift ;;
        --build-dir) build="$2"; shift ;;
        --jobs) jobs="$2"; shift ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1") ;;
    esac
    shift
done
mkdir -p "$build"
build="$(cd "$build" && pwd)"

media_targets=" sniff_fuzz image_fuzz av_probe_fuzz video_fuzz audio_fuzz "
if [ ${#targets[@]} -eq 0 ]; then
    for f in "$root"/fuzz/targets/*_fuzz.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi

# --- Build: a configuration of its own, clang instead of the usual gcc.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKHO_FUZZ=ON \
        -DKHO_BUILD_TESTS=OFF -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null ||
        exit 2
fi
started=$SECONDS
cmake --build "$build" -j "$jobs" -- "${targets[@]}" >"$build/build.log" 2>&1 || {
    tail -40 "$build/build.log" >&2
    echo "run.sh: the fuzz build failed (full log: $build/build.log)" >&2
    exit 2
}
echo "fuzz: built ${#targets[@]} targets in $((SECONDS - started)) s"

# --- Seeds: regenerated when the script changed.
seeds="$build/seeds"
if [ ! -f "$seeds/.done" ] || [ "$root/fuzz/make_seeds.sh" -nt "$seeds/.done" ]; then
    rm -rf "$seeds"
    bash "$root/fuzz/make_seeds.sh" "$seeds" >"$build/seeds.log" 2>&1 || {
        cat "$build/seeds.log" >&2
        exit 2
    }
    touch "$seeds/.done"
fi

# Leaks are findings; the suppressions name third-party one-time allocations only.
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:handle_abort=1"
export LSAN_OPTIONS="suppressions=$root/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# libvips and GLib warnings about broken files are expected here.
export VIPS_WARNING=0
# The media targets rewrite their input file on every run: on ext4 a file
# truncated and written again is flushed to disk when closed (auto_da_alloc),
# so on a busy disk the target waited for I/O instead of fuzzing. tmpfs.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi

# One libFuzzer session of target $t for $1 wall-clock seconds; adds its
# CPU time, executions and peak RSS to cpu, execs and rss.
fuzz_for() {
    TIMEFORMAT='%U %S'
    { time "$bin" "${limits[@]}" -max_total_time="$1" -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "${dirs[@]}" >"$log" 2>&1 || status=$?; } \
        2>"$build/logs/$t.time"
    local user sys n r
    read -r user sys <"$build/logs/$t.time"
    cpu=$(awk -v c="$cpu" -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", c + u + s }')
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    r=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    execs=$((execs + ${n:-0}))
    rss=$((${r:-0} > rss ? ${r:-0} : rss))
}

findings=()
rows=()
total_cpu=0
for t in "${targets[@]}"; do
    bin="$build/fuzz/$t"
    [ -x "$bin" ] || { echo "run.sh: no target $t" >&2; exit 2; }
    if [[ "$media_targets" == *" $t "* ]]; then
        seconds=${per_target:-15}
        limits=(-timeout=60 -rss_limit_mb=3072)
    else
        seconds=${per_target:-10}
        limits=(-timeout=10 -rss_limit_mb=2048)
    fi
    corpus="$build/corpus/$t"
    artifacts="$build/findings/$t"
    regressions="$root/fuzz/regressions/$t"
    log="$build/logs/$t.log"
    mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    rm -f "$artifacts"/*

    # Every committed regression first, each input once.
    if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
        if ! "$bin" "${limits[@]}" "$regressions"/* >"$build/logs/$t.replay.log" 2>&1; then
            echo "fuzz: $t fails on a committed regression (log: $build/logs/$t.replay.log)" >&2
            grep -m3 -E "ERROR|property violated|Running:" "$build/logs/$t.replay.log" >&2 || true
            findings+=("$t: regression replay failed, see $build/logs/$t.replay.log")
        fi
    fi

    dirs=("$corpus" "$seeds/$t")
    [ -d "$regressions" ] && dirs+=("$regressions")
    status=0
    cpu=0
    execs=0
    rss=0
    if [ "$mode" = cpu ]; then
        while [ "$status" -eq 0 ] && awk -v c="$cpu" -v g="$cpu_goal" 'BEGIN { exit !(c < g) }'; do
            fuzz_for "$(awk -v c="$cpu" -v g="$cpu_goal" 'BEGIN { r = g - c; printf "%d", r < 20 ? 20 : r + 0.999 }')"
        done
    else
        fuzz_for "$seconds"
    fi
    total_cpu=$(awk -v a="$total_cpu" -v b="$cpu" 'BEGIN { printf "%.1f", a + b }')
    size=$(find "$corpus" -type f | wc -l)
    found=$(find "$artifacts" -type f | wc -l)
    if [ "$status" -ne 0 ] || [ "$found" -gt 0 ]; then
        for a in "$artifacts"/*; do
            [ -e "$a" ] && findings+=("$t: $(basename "$a" | cut -d- -f1) $a (replay: $bin $a)")
        done
        [ "$found" -gt 0 ] || findings+=("$t: exit status $status without a reproducer; log $log")
        grep -m5 -E "ERROR:|property violated|SUMMARY" "$log" >&2 || true
        found=$((found > 0 ? found : 1))
    fi
    rows+=("$(printf '%-16s %9s %10s %8s %6s %8s %8s' "$t" "$cpu" "$(awk -v c="$cpu" 'BEGIN { printf "%.2f", c / 60 }')" \
        "$execs" "$size" "$rss" "$found")")
    echo "fuzz: $t done (${cpu} CPU s, $execs execs, $found findings)"
done

echo
printf '%-16s %9s %10s %8s %6s %8s %8s\n' target "CPU s" "CPU min" execs corpus "RSS MB" findings
for r in "${rows[@]}"; do echo "$r"; done
echo "total CPU: $total_cpu s"
if [ ${#findings[@]} -gt 0 ]; then
    echo
    echo "FINDINGS (reproducers; fix, then copy each into fuzz/regressions/<target>/):"
    for f in "${findings[@]}"; do echo "  $f"; done
    exit 1
fi
echo "no findings"
