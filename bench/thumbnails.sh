#!/usr/bin/env bash
# Thumbnail benchmark: kho's image pipeline (kho-worker, one job = one
# process, as the server runs it) against vipsthumbnail (the same library:
# the limit) and ImageMagick's convert -thumbnail (what ResourceSpace users
# get), on a 6000×4000 JPEG and a 4000×6000 PNG; then throughput: N photos
# uploaded to a running kho until every thumbnail is done, against
# vipsthumbnail over the same files with 2 parallel processes.
# Targets (issue 3): kho <= 1.3x vipsthumbnail's time; >= 2x faster than
# ImageMagick with <= 1/3 of its peak memory; throughput >= 0.8x.
# Usage: bench/thumbnails.sh   (env: KHO_SERVER, KHO_WORKER, KHO_CLI, BENCH_PHOTOS=200)
set -euo pipefail
shopt -s inherit_errexit

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KHO_SERVER="${KHO_SERVER:-$ROOT/build/release/server/kho-server}"
KHO_WORKER="${KHO_WORKER:-$ROOT/build/release/server/kho-worker}"
KHO_CLI="${KHO_CLI:-$ROOT/build/release/tools/kho}"
IM_CONVERT="${IM_CONVERT:-/usr/bin/convert}"
PHOTOS="${BENCH_PHOTOS:-200}"

die() { echo "thumbnails.sh: $*" >&2; exit 1; }
[[ -x "$KHO_SERVER" && -x "$KHO_WORKER" && -x "$KHO_CLI" ]] ||
    die "build first: cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DKHO_BUILD_TESTS=OFF && cmake --build build/release"
[[ -x "$IM_CONVERT" ]] || die "ImageMagick's convert is missing (scripts/install-deps.sh installs it)"

source "$ROOT/bench/lib.sh"
bench_workdir thumbnails

echo "making the test images ..." >&2
vips gaussnoise "$WORK/n.v" 6000 4000 --mean 128 --sigma 40
vips bandjoin "$WORK/n.v $WORK/n.v $WORK/n.v" "$WORK/rgb.v"
vips copy "$WORK/rgb.v" "$WORK/photo.jpg[Q=90]"
vips rot "$WORK/rgb.v" "$WORK/tall.v" d90
vips copy "$WORK/tall.v" "$WORK/tall.png"
mkdir -p "$WORK/out"

peak_kib() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

for input in photo.jpg tall.png; do
    type=image/jpeg
    [[ "$input" == *.png ]] && type=image/png
    kho_cmd="$KHO_WORKER --kind image --recipes thumb --input $WORK/$input --type $type --out $WORK/out"
    vips_cmd="vipsthumbnail $WORK/$input -s 320x320 -o $WORK/out/v.webp[Q=80,strip]"
    im_cmd="$IM_CONVERT $WORK/$input -thumbnail 320x320 -quality 80 $WORK/out/im.webp"
    hyperfine --warmup 1 --runs 5 --export-json "$WORK/h.json" -N \
        "$kho_cmd" "$vips_cmd" "$im_cmd" >&2
    read -r t_kho t_vips t_im < <(python3 -c '
import json,sys; r=json.load(open(sys.argv[1]))["results"]
print(*[x["median"] for x in r])' "$WORK/h.json")
    m_kho=$(peak_kib $kho_cmd)
    m_vips=$(peak_kib $vips_cmd)
    m_im=$(peak_kib $im_cmd)
    awk -v f="$input" -v k="$t_kho" -v v="$t_vips" -v i="$t_im" -v mk="$m_kho" -v mv="$m_vips" -v mi="$m_im" 'BEGIN {
        printf "%-9s kho %6.0f ms %7.0f MiB | vipsthumbnail %6.0f ms %7.0f MiB | ImageMagick %6.0f ms %7.0f MiB\n", f, k*1000, mk/1024, v*1000, mv/1024, i*1000, mi/1024
        printf "%-9s kho/vipsthumbnail time %.2fx (target <= 1.3) | ImageMagick/kho time %.2fx (target >= 2) | kho/ImageMagick memory %.2f (target <= 0.33)\n", f, k/v, i/k, mk/mi }'
done

echo "throughput: $PHOTOS photos ..." >&2
mkdir -p "$WORK/photos" "$WORK/vt"
vips gaussnoise "$WORK/s.v" 3000 2000 --mean 128 --sigma 40
vips bandjoin "$WORK/s.v $WORK/s.v $WORK/s.v" "$WORK/s3.v"
for ((i = 0; i < PHOTOS; i++)); do
    # Different bytes per photo (no deduplication), same work.
    vips linear "$WORK/s3.v" "$WORK/p.v" 1 "$((i % 50))" >/dev/null
    vips copy "$WORK/p.v" "$WORK/photos/anh-$i.jpg[Q=85]"
done
start_kho
export KHO_URL="$URL" KHO_TOKEN="$BENCH_TOKEN"
t0=$(now)
"$KHO_CLI" upload "$WORK"/photos/*.jpg >/dev/null
while :; do
    left=$(curl -fs -H "$AUTH" "$URL/api/v1/jobs?state=pending&limit=1000" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
    running=$(curl -fs -H "$AUTH" "$URL/api/v1/jobs?state=running&limit=1000" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
    [[ "$left" == 0 && "$running" == 0 ]] && break
    sleep 0.2
done
t_kho=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
done_jobs=$(curl -fs -H "$AUTH" "$URL/api/v1/jobs?state=done&limit=1000" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
# The same four renditions kho makes, with vipsthumbnail, 2 processes.
cat >"$WORK/four.sh" <<'SH'
for f in "$@"; do
    b="$(basename "$f" .jpg)"
    vipsthumbnail "$f" -s 320x320 -o "$VT/$b-thumb.webp[Q=80,strip]"
    vipsthumbnail "$f" -s 1280x1280 -o "$VT/$b-preview.webp[Q=82,strip]"
    vipsthumbnail "$f" -s 1280x1280 -o "$VT/$b-preview.jpg[Q=85,strip]"
    vipsthumbnail "$f" -s 2048x2048 -o "$VT/$b-web.jpg[Q=85,strip]"
done
SH
t0=$(now)
ls "$WORK"/photos/*.jpg | VT="$WORK/vt" xargs -P 2 -n 8 bash "$WORK/four.sh"
t_vt=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
awk -v n="$PHOTOS" -v d="$done_jobs" -v k="$t_kho" -v v="$t_vt" 'BEGIN {
    printf "throughput: kho %.1f photos/s (%d jobs done; upload included) | vipsthumbnail x2 %.1f photos/s | ratio %.2fx (target >= 0.8); both make thumb, preview (WebP, JPEG) and web\n", n/k, d, n/v, v/k }'
