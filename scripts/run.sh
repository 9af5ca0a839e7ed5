#!/usr/bin/env bash
# Installs every dependency (Debian 12 packages), builds a release build and
# starts kho-server on 127.0.0.1:8080 with its data in ./kho-data.
# Extra arguments go to kho-server (see `kho-server --help`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bash scripts/install-deps.sh
# Let ccache reuse objects across checkouts in different folders (CI clones).
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DKHO_BUILD_TESTS=OFF >/dev/null
cmake --build build/release --target kho-server

exec build/release/server/kho-server --data-dir "${KHO_DATA_DIR:-$root/kho-data}" "$@"
