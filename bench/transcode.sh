#!/usr/bin/env bash
# Transcode benchmark: kho's web video against the ffmpeg program.
#   kho     kho-worker --kind video (one job = one process, as the server runs
#           it): video_720p.mp4 plus the poster images (thumb, preview,
#           preview_jpeg), through the FFmpeg libraries
#   ffmpeg  the same MP4 with the same settings: libx264 High, yuv420p, CRF 23,
#           preset veryfast, AAC 128 kb/s 48 kHz stereo, +faststart
# on a 10 s 1920×1080 25 frame/s clip with sound (moving test pattern with
# grain, so that x264 works about as hard as on camera footage).
# Target (issue): kho <= 1.1x ffmpeg's time. Prints both peak RSS as well.
# Usage: bench/transcode.sh   (env: KHO_WORKER, BENCH_CLIP_SECONDS=10, BENCH_RUNS=5,
#                              BENCH_TMPDIR=${TMPDIR:-/tmp})
set -euo pipefail
shopt -s inherit_errexit

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KHO_WORKER="${KHO_WORKER:-$ROOT/build/release/server/kho-worker}"
CLIP_SECONDS="${BENCH_CLIP_SECONDS:-10}"
RUNS="${BENCH_RUNS:-5}"

die() { echo "transcode.sh: $*" >&2; exit 1; }
[[ -x "$KHO_WORKER" ]] ||
    die "build first: cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DKHO_BUILD_TESTS=OFF && cmake --build build/release"
for tool in ffmpeg:ffmpeg ffprobe:ffmpeg hyperfine:hyperfine python3:python3; do
    command -v "${tool%%:*}" >/dev/null || die "'${tool%%:*}' not found: apt-get install ${tool#*:}"
done
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found: apt-get install time"

source "$ROOT/bench/lib.sh"
bench_workdir transcode

echo "making a ${CLIP_SECONDS} s 1920x1080 clip ..." >&2
CLIP="$WORK/clip.mp4"
ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=1920x1080:rate=25:duration=$CLIP_SECONDS" \
    -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=$CLIP_SECONDS" \
    -vf noise=alls=12:allf=t -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p \
    -c:a aac -b:a 192k "$CLIP"
mkdir -p "$WORK/kho"

kho_cmd="$KHO_WORKER --kind video --input $CLIP --type video/mp4 --out $WORK/kho"
# scale=1280:720: the clip is 16:9 1080p, so this is the size kho picks too.
ffmpeg_cmd="ffmpeg -nostdin -v error -y -i $CLIP -vf scale=1280:720 -c:v libx264 -profile:v high \
-pix_fmt yuv420p -crf 23 -preset veryfast -c:a aac -b:a 128k -ar 48000 -ac 2 -movflags +faststart \
$WORK/ffmpeg.mp4"

# One untimed run each: both must succeed and make the same kind of file.
$kho_cmd >"$WORK/kho.json" || true
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j.get("ok") else 1)' \
    "$WORK/kho.json" 2>/dev/null ||
    die "kho-worker --kind video failed (does this kho-worker make video renditions yet?): $(cat "$WORK/kho.json")"
[[ -s "$WORK/kho/video_720p.mp4" ]] || die "kho-worker wrote no video_720p.mp4"
$ffmpeg_cmd
describe() {  # FILE -> "h264 High 1280x720, aac 48000 Hz 2 ch, 1.57 MB"
    ffprobe -v error -show_streams -show_format -of json "$1" | python3 -c '
import json,sys; j=json.load(sys.stdin); s={x["codec_type"]: x for x in j["streams"]}
v, a = s["video"], s.get("audio", {})
print("%s %s %dx%d, %s %s Hz %s ch, %.2f MB" % (v["codec_name"], v.get("profile"), v["width"],
      v["height"], a.get("codec_name"), a.get("sample_rate"), a.get("channels"),
      int(j["format"]["size"]) / 1e6))'
}

# Rounds of one run each, alternating which goes first: on a shared machine
# the load changes by the minute, and hyperfine's back-to-back blocks of runs
# would give one side the quiet minute and the other the busy one.
echo "timing: hyperfine, $RUNS alternating rounds ..." >&2
for ((i = 0; i < RUNS; i++)); do
    if ((i % 2 == 0)); then first="$kho_cmd" second="$ffmpeg_cmd"; else first="$ffmpeg_cmd" second="$kho_cmd"; fi
    hyperfine --runs 1 -N --style basic --export-json "$WORK/h$i.json" "$first" "$second" >&2
done
read -r t_kho t_ffmpeg < <(python3 -c '
import json, statistics, sys
times = {}
for f in sys.argv[3:]:
    for r in json.load(open(f))["results"]:
        times.setdefault(r["command"], []).extend(r["times"])
print(statistics.median(times[sys.argv[1]]), statistics.median(times[sys.argv[2]]))' \
    "$kho_cmd" "$ffmpeg_cmd" "$WORK"/h*.json)
peak_kib() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
m_kho=$(peak_kib $kho_cmd)
m_ffmpeg=$(peak_kib $ffmpeg_cmd)

echo
echo "kho transcode benchmark: $(nproc) cores (load $(cut -d' ' -f1-3 /proc/loadavg)), ${CLIP_SECONDS} s 1080p25 clip with sound, median of $RUNS"
awk -v k="$t_kho" -v f="$t_ffmpeg" -v mk="$m_kho" -v mf="$m_ffmpeg" \
    -v dk="$(describe "$WORK/kho/video_720p.mp4")" -v df="$(describe "$WORK/ffmpeg.mp4")" 'BEGIN {
    printf "  ffmpeg (same settings)     %6.2f s   peak RSS %4.0f MiB   %s\n", f, mf / 1024, df
    printf "  kho-worker --kind video    %6.2f s   peak RSS %4.0f MiB   %s\n", k, mk / 1024, dk
    printf "  kho / ffmpeg time %.2fx (target <= 1.1); kho also makes the poster (thumb, preview, preview_jpeg)\n", k / f }'
