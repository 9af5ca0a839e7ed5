#!/usr/bin/env bash
# Installs every Debian 12 package kho needs to build, run and test.
# Idempotent: skips apt entirely when everything is already present.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # libraries
  libboost1.81-dev libboost-url1.81-dev librocksdb-dev nlohmann-json3-dev catch2 libssl-dev
  libmagic-dev libsodium-dev libspdlog-dev libfmt-dev libcli11-dev
  libicu-dev libarchive-dev libcurl4-openssl-dev
  libvips-dev libavformat-dev libavcodec-dev libavfilter-dev
  libswscale-dev libswresample-dev libavutil-dev
  # tests and benchmarks
  curl ffmpeg libvips-tools nginx-light wrk hyperfine openssl
  file unzip zip p7zip-full procps
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "kho: installing ${#missing[@]} Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
