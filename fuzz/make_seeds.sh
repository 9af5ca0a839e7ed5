#!/usr/bin/env bash
# Writes the seed corpus of every fuzz target into OUT_DIR/<target>/: small
# valid inputs (and a few near misses) that show the fuzzer each format's
# shape, so that it starts from realistic bytes instead of from nothing.
# Media seeds are made with ffmpeg, vips and ImageMagick (all installed by
# scripts/install-deps.sh); every file stays within a few KB.
#
#   fuzz/make_seeds.sh OUT_DIR
set -euo pipefail
out="${1:?usage: make_seeds.sh OUT_DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# seed TARGET NAME PRINTF-FORMAT: one seed, with printf's escapes (\r, \n,
# \xNN) so that binary prefixes and CRLFs can be written inline.
seed() {
    mkdir -p "$out/$1"
    printf "$3" >"$out/$1/$2"
}

# --- Range: 1 byte of size scale (1: size % 100000), 8 bytes of size, header.
size10000='\x01\x00\x00\x00\x00\x00\x00\x27\x10'
seed range_fuzz single "${size10000}bytes=0-499"
seed range_fuzz open "${size10000}bytes=9500-"
seed range_fuzz suffix "${size10000}bytes=-500"
seed range_fuzz multi "${size10000}bytes=0-0, 2-3 ,\t10-20,-5"
seed range_fuzz adjacent "${size10000}bytes=0-9,10-19"
seed range_fuzz overlap "${size10000}bytes=0-100,50-150"
seed range_fuzz many "${size10000}bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,22-22,24-24,26-26,28-28,30-30,32-32"
seed range_fuzz huge '\x03\x00\x00\x00\x00\x00\x00\x00\x01bytes=18446744073709551614-18446744073709551615'
seed range_fuzz unit "${size10000}items=0-1"

# --- Request framing: raw request heads.
seed framing_fuzz get 'GET /api/v1/assets HTTP/1.1\r\nHost: kho.example\r\nAccept: */*\r\n\r\n'
seed framing_fuzz post 'POST /api/v1/uploads HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello'
seed framing_fuzz http10 'GET / HTTP/1.0\r\n\r\n'
seed framing_fuzz bare_lf 'GET / HTTP/1.1\nHost: a\n\n'
seed framing_fuzz fold 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n'
seed framing_fuzz two_cl 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\nx'
seed framing_fuzz te10 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
seed framing_fuzz two_hosts 'GET / HTTP/1.1\r\nHost: a\r\nHOST: b\r\n\r\n'
seed framing_fuzz partial 'GET / HTTP/1.1\r\nHost: a\r\n'

# --- Multipart: header limit, part limit, Content-Type\n, chunk sizes\n, body.
mp_head='\x40\x03multipart/form-data; boundary=XyZ\n\x01\x07\x02\x40\n'
seed multipart_fuzz form "${mp_head}--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nÁp phích\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n-XyZ\r\n--X\r\n--XyZ--\r\n"
seed multipart_fuzz ext_name "${mp_head}preamble\r\n--XyZ  \r\nContent-Disposition: form-data; name=file; filename*=UTF-8''Ngh%%E1%%BB%%8B%%20quy%%E1%%BA%%BFt.pdf; filename=\"x.pdf\"\r\n\r\n%%PDF\r\n--XyZ--\r\nepilogue"
seed multipart_fuzz latin1 "${mp_head}--XyZ\r\ncontent-disposition: form-data; name=\"f\"; filename*=ISO-8859-1'en'%%E9t%%E9.txt\r\n\r\n\r\n--XyZ--"
seed multipart_fuzz quoted '\x10\x08multipart/form-data; charset=utf-8; boundary="a b:c"\n\x03\n--a b:c\r\nContent-Disposition: form-data; name="q\\"x"\r\n\r\nv\r\n--a b:c--\r\n'
seed multipart_fuzz stop "${mp_head}--XyZ\r\nContent-Disposition: form-data; name=stop\r\n\r\nx\r\n--XyZ--\r\n"
seed multipart_fuzz bad_headers "${mp_head}--XyZ\r\nContent-Disposition: form-data; name=a\nX: y\r\n\r\n\r\n--XyZ--\r\n"

# --- tus headers: one value, read by every tus parser.
seed tus_fuzz length '1048576'
seed tus_fuzz zeros '0000000000000000001'
seed tus_fuzz metadata 'filename w4FwIHBow61jaC5wbmc=,title TmdoaeG7iyBxdXnhur90,tags YSxiLGM=,kind cG9zdGVy,flag'
seed tus_fuzz metadata_lang 'language dmk=,campaign MjAyNg==,description bMOgbmcgdsSDbgpk4bqleSBo4buNYw=='
seed tus_fuzz checksum 'sha256 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='
seed tus_fuzz checksum_sha1 'sha1 2jmj7l5rSw0yVb/vlWAYkK/YBwk='
seed tus_fuzz concat_partial 'partial'
seed tus_fuzz concat_final 'final;/api/v1/uploads/01JD0000000000000000000000 https://kho.example/api/v1/uploads/01JD0000000000000000000001'

# --- Query strings: 9 bytes of bounds, then the query.
q='\x00\x00\x00\x00\x00\x00\x00\x64\x01'
seed query_fuzz list "${q}limit=20&cursor=01JD00&q=%%C3%%81p+ph%%C3%%ADch&kind=poster"
seed query_fuzz flags "${q}trash=true&mine=0&all&download=1&x=%%2B"
seed query_fuzz repeated "${q}tag=a&tag=b&tag=&=v&&limit=0020"
seed query_fuzz bad "${q}a=%%zz&b=%%C3"

# --- JSON bodies.
seed json_fuzz patch '{"title":"Áp phích Nghị quyết 71","tags":["giáo dục","poster"],"kind":"poster","language":"vi","description":"dòng 1\\ndòng 2"}'
seed json_fuzz approve '{"comment":"ok","audience":{"all_units":false,"provinces":["Hà Nội"],"levels":["primary"],"units":["HN"],"press":true},"from":"2026-01-01","until":"2026-12-31T23:59:59+07:00"}'
seed json_fuzz press_kit '{"title":"Bộ tư liệu","release":"# Thông cáo\\n","contact":"Phòng TT","items":[{"asset":"01JD0000000000000000000000","version":1,"file":"web","caption":"c","credit":"d"}],"embargo_until":"2026-05-01T00:00:00Z","expires_at":null}'
seed json_fuzz types '{"title":1,"comment":null,"flag":true,"n":-0.0,"big":1e400,"s":"\\ud800"}'
seed json_fuzz nested '[[[[{"a":{"b":[1,2,{"c":"\\u0000"}]}}]]]]'

# --- File names: 1 byte (odd: inline), then the name. NFC and NFD forms.
seed file_name_fuzz vietnamese '\x00Áp phích Nghị quyết 71.png'
seed file_name_fuzz nfd '\x01A\xcc\x81p phi\xcc\x81ch Nghi\xcc\xa3 quyê\xcc\x81t.pdf'
seed file_name_fuzz path '\x00../../etc/passwd'
seed file_name_fuzz windows '\x00C:\\Users\\a\\Đào tạo.docx'
seed file_name_fuzz bidi '\x00invoice\xe2\x80\xaefdp.exe'
seed file_name_fuzz controls '\x01a\r\nb\x00c\x7f\xc2\x85d.txt'
seed file_name_fuzz dots '\x00 . .. . '
seed file_name_fuzz quotes '\x00a"b\\c%%d;e=f.png'
seed file_name_fuzz invalid '\x00\xff\xfe\xc3(.jpg'
seed file_name_fuzz long "\\x00$(printf 'Ệ%.0s' $(seq 1 90)).jpeg"
seed file_name_fuzz fullwidth '\x00\xef\xbc\x8e\xef\xbc\x8e'
seed file_name_fuzz disposition '\x00form-data; name="file"; filename*=UTF-8'"''"'%%C3%%81p.png; filename="a.png"'

# --- ZIP entry names: 2 bytes of slice, then names separated by \n.
seed zip_names_fuzz kit '\x10\x80Áp phích.png\náp phích.png\nÁP PHÍCH.PNG\nThông cáo.md\nảnh/1.jpg\nảnh\n'
seed zip_names_fuzz escape '\x00\xff../../x\n..\\..\\y\n/abs/z\n. . /q\n\n.\n'
seed zip_names_fuzz nfd '\x40\x40A\xcc\x81p.png\n\xc3\x81p.png\na/b/c\na/b\nA/B (2)\n'
seed zip_names_fuzz long "\\x00\\x10$(printf 'ệ%.0s' $(seq 1 85))\\n$(printf 'ệ%.0s' $(seq 1 85))\\n"

# --- Share-link tokens, signed with the target's fixed key ring.
# token KEY_ID HEX_SECRET LINK_ID_HEX EXPIRY_HEX
token() {
    local payload mac
    payload="$(printf '01%02x' "${#1}")$(printf '%s' "$1" | xxd -p | tr -d '\n')$3$4"
    mac="$(printf '%s' "$payload" | xxd -r -p |
        openssl dgst -sha256 -mac HMAC -macopt "hexkey:$2" -binary | xxd -p | tr -d '\n')"
    printf '%s%s' "$payload" "$mac" | xxd -r -p | basenc --base64url | tr -d '=\n'
}
secret_a="$(printf 'a%.0s' $(seq 1 32) | xxd -p | tr -d '\n')"
secret_1="$(printf '01%.0s' $(seq 1 32))"
link_id=0193a1b2c3d4e5f60718293a4b5c6d7e
t1="$(token k1a2b3c4 "$secret_a" "$link_id" 000000006aaf2b80)"
t2="$(token 00000000 "$secret_1" "$link_id" fffffffffffffff0)"
seed link_token_fuzz valid "$t1"
seed link_token_fuzz valid_negative_expiry "$t2"
seed link_token_fuzz flipped "${t1:0:40}X${t1:41}"
seed link_token_fuzz short "${t1:0:60}"
seed link_token_fuzz padded "${t1}=="
seed link_token_fuzz unknown_key "$(token zzzzzzzz "$secret_a" "$link_id" 000000006aaf2b80)"

# --- Media files of every supported format.
media="$(mktemp -d)"
trap 'rm -rf "$media"' EXIT
cd "$media"
quiet() { "$@" >/dev/null 2>&1; }
ff() { quiet ffmpeg -nostdin -y -hide_banner -loglevel error "$@"; }

# Images: ImageMagick and vips.
quiet convert -size 64x48 gradient:'#1060c0-#f0d020' -quality 80 image.jpg
quiet convert -size 64x48 gradient:'#1060c0-#f0d020' -orient RightTop rotated.jpg
quiet convert -size 64x48 gradient:'#1060c0-#f0d020' -colorspace CMYK cmyk.jpg
quiet convert -size 48x32 gradient:red-blue -alpha set -channel A -evaluate set 50% PNG32:rgba.png
quiet convert -size 16x16 gradient: -depth 16 PNG48:rgb16.png
quiet convert -size 32x32 gradient:red-blue -colors 8 PNG8:palette.png
quiet convert -size 48x32 gradient:red-blue webp:image.webp
quiet convert -size 48x32 gradient:red-blue -compress lzw image.tif
quiet convert -size 48x32 gradient:red-blue -colorspace CMYK -compress none cmyk.tif
quiet convert -delay 10 -size 24x24 xc:red xc:green xc:blue -loop 0 animated.gif
quiet vips heifsave image.jpg image.avif --compression av1 || true
quiet vips heifsave image.jpg image.heic --compression hevc || true
cat >image.svg <<'SVG'
<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48" viewBox="0 0 64 48"><rect width="64" height="48" fill="#1060c0"/><circle cx="32" cy="24" r="12" fill="#f0d020"/><text x="4" y="44" font-size="8">Áp phích</text></svg>
SVG
printf '\xef\xbb\xbf<?xml version="1.0"?>\n<!-- a comment -->\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><path d="M0 0L10 10"/></svg>\n' >bom.svg
# A one-page PDF written by hand, with a correct cross-reference table.
pdf_objects=(
    '<< /Type /Catalog /Pages 2 0 R >>'
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>'
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 64 48] /Contents 4 0 R >>'
    $'<< /Length 27 >>\nstream\n0.2 0.4 0.8 rg 0 0 64 48 re f\nendstream'
)
pdf=$'%PDF-1.4\n'
offsets=()
for i in "${!pdf_objects[@]}"; do
    offsets+=("${#pdf}")
    pdf+="$((i + 1)) 0 obj"$'\n'"${pdf_objects[$i]}"$'\nendobj\n'
done
xref="${#pdf}"
pdf+=$'xref\n0 5\n0000000000 65535 f \n'
for o in "${offsets[@]}"; do pdf+="$(printf '%010d' "$o") 00000 n "$'\n'; done
pdf+=$'trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n'"$xref"$'\n%%EOF\n'
LC_ALL=C printf '%s' "$pdf" >image.pdf

# Video: 0.4 s of 64x48 test pattern, with a short tone where the
# container takes audio.
src=(-f lavfi -i testsrc=size=64x48:rate=10:duration=0.4)
tone=(-f lavfi -i sine=frequency=440:sample_rate=8000:duration=0.4)
ff "${src[@]}" "${tone[@]}" -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -b:a 16k -shortest video.mp4
ff "${src[@]}" -c:v libx264 -preset ultrafast -pix_fmt yuv420p -metadata:s:v rotate=90 rotated.mov
ff "${src[@]}" "${tone[@]}" -c:v libvpx-vp9 -deadline realtime -b:v 50k -c:a libopus -b:a 16k video.webm
ff "${src[@]}" "${tone[@]}" -c:v mpeg4 -q:v 10 -c:a libmp3lame -b:a 16k video.mkv
ff -f lavfi -i testsrc=size=64x48:rate=10:duration=0.4 -vf tinterlace=4 -c:v libx264 -preset ultrafast -flags +ildct+ilme interlaced.mkv

# Audio: 1 s (long enough to be normalized) of a quiet tone, 8 kHz.
a=(-f lavfi -i sine=frequency=300:sample_rate=8000:duration=1 -af volume=0.3)
ff "${a[@]}" -c:a libmp3lame -b:a 8k audio.mp3
ff "${a[@]}" -c:a aac -b:a 16k audio.m4a
ff "${a[@]}" -c:a pcm_s16le audio.wav
ff "${a[@]}" -c:a libvorbis -q:a 0 audio.ogg
ff -f lavfi -i sine=frequency=300:sample_rate=48000:duration=1 -c:a libopus -b:a 8k audio.opus
ff "${a[@]}" -c:a flac audio.flac
ff -f lavfi -i anullsrc=r=8000:cl=mono -t 1 -c:a pcm_s16le silent.wav

put() {  # put TARGET FILE...: copy the files that exist
    local target="$1"
    shift
    mkdir -p "$out/$target"
    for f in "$@"; do [ -s "$f" ] && cp "$f" "$out/$target/$f"; done
    return 0
}
images=(image.jpg rotated.jpg cmyk.jpg rgba.png rgb16.png palette.png image.webp image.tif
    cmyk.tif animated.gif image.avif image.heic image.svg bom.svg image.pdf)
videos=(video.mp4 rotated.mov video.webm video.mkv interlaced.mkv)
audios=(audio.mp3 audio.m4a audio.wav audio.ogg audio.opus audio.flac silent.wav)
put sniff_fuzz "${images[@]}" "${videos[@]}" "${audios[@]}"
put image_fuzz "${images[@]}"
put video_fuzz "${videos[@]}"
put audio_fuzz "${audios[@]}"

# av_probe_fuzz: the first byte picks the type (its k_types order).
probe() {  # probe INDEX FILE
    [ -s "$2" ] || return 0
    mkdir -p "$out/av_probe_fuzz"
    { printf "\\x$(printf '%02x' "$1")"; cat "$2"; } >"$out/av_probe_fuzz/$1-$2"
}
probe 0 video.mp4
probe 1 rotated.mov
probe 2 video.webm
probe 3 video.mkv
probe 3 interlaced.mkv
probe 4 audio.mp3
probe 5 audio.wav
probe 6 audio.ogg
probe 6 audio.opus
probe 7 audio.flac
probe 9 audio.m4a
probe 0 audio.mp3  # a file that is not what its type says

for d in "$out"/*/; do
    printf '%-18s %3d seeds, %s\n' "$(basename "$d")" "$(ls "$d" | wc -l)" "$(du -sh "$d" | cut -f1)"
done
