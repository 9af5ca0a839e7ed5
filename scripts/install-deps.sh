#!/usr/bin/env bash
# Installs every Debian 12 package kho needs to build, run and test, and the
# npm packages of the tus-js-client tests (tests/tus).
# Idempotent: skips apt entirely when everything is already present, and npm
# when tests/tus/node_modules is up to date.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # the fuzz build (fuzz/run.sh): clang 14, and libFuzzer with the sanitizer
  # runtimes, which Debian 12 ships apart from clang (libclang-rt-14-dev)
  clang libclang-rt-14-dev
  # libraries
  libboost1.81-dev libboost-url1.81-dev librocksdb-dev nlohmann-json3-dev catch2 libssl-dev
  libxxhash-dev
  libmagic-dev libsodium-dev libspdlog-dev libfmt-dev libcli11-dev
  libicu-dev libarchive-dev libcurl4-openssl-dev
  libcmark-dev zlib1g-dev
  libvips-dev libavformat-dev libavcodec-dev libavfilter-dev
  libswscale-dev libswresample-dev libavutil-dev
  # tests and benchmarks
  curl ffmpeg libvips-tools imagemagick nginx-light wrk hyperfine openssl
  file unzip zip p7zip-full procps chromium slowhttptest
  # the S3 backend's tests (a one-node Ceph RGW, tests/s3/) and benchmarks
  ceph-mon ceph-osd radosgw uuid-runtime iproute2 awscli s3cmd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

apt_install() {
  echo "kho: installing $# Debian packages: $*" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ ${#missing[@]} -gt 0 ]; then
  apt_install "${missing[@]}"
fi

# Node.js and the npm packages: the web UI's build (web), the tus-js-client
# tests (tests/tus) and the browser tests (tests/e2e, playwright-core driving
# Debian's chromium). Debian's nodejs is installed only when there is no node
# at all, so that a newer one (NodeSource, nvm) is left alone. `npm ci` runs
# only when node_modules is missing or older than package-lock.json; npm
# writes node_modules/.package-lock.json last, so it marks a finished install.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! command -v node >/dev/null 2>&1; then
  apt_install nodejs npm
fi
for dir in "$root/web" "$root/tests/tus" "$root/tests/e2e"; do
  [ -f "$dir/package-lock.json" ] || continue
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
     [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "kho: node is installed but npm is not; install npm" >&2
      exit 1
    fi
    echo "kho: installing the npm packages of ${dir#$root/} (npm ci)" >&2
    npm ci --no-audit --no-fund --loglevel=error --prefix "$dir" >/dev/null
  fi
done
