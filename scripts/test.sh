#!/usr/bin/env bash
# Sets up, builds and runs every test suite (unit, parity, end-to-end, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
DRAGGAN_BROWSER_TESTS=1 bash scripts/setup.sh
bash scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${JOBS:-$(nproc)}"
