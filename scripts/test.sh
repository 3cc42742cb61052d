#!/usr/bin/env bash
# Sets up, builds and runs every test suite (unit, parity, end-to-end, browser, load), then the fuzz
# harnesses for a bounded time (scripts/fuzz.sh; FUZZ_SECONDS per harness, 8 by default).
set -euo pipefail
cd "$(dirname "$0")/.."
DRAGGAN_TEST_DEPS=1 DRAGGAN_BROWSER_TESTS=1 bash scripts/setup.sh
DRAGGAN_CMAKE_ARGS="-DDRAGGAN_REQUIRE_GTEST=ON ${DRAGGAN_CMAKE_ARGS:-}" bash scripts/build.sh
# The browser suite's one npm dependency (playwright-core, pinned by package-lock.json): from npm's cache when
# it is there, else from the registry.
if command -v npm >/dev/null 2>&1; then
  (cd tests/e2e && { npm ci --offline --no-audit --no-fund >/dev/null 2>&1 || npm ci --no-audit --no-fund; })
fi
BUILD_DIR=${BUILD_DIR:-build}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${JOBS:-$(nproc)}"
bash scripts/fuzz.sh
