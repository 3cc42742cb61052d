#!/usr/bin/env bash
# Configures and builds into build/ (Release, Ninja, ccache, unity batches).
#   bash scripts/build.sh                   # everything: the binary, the test suites
#   bash scripts/build.sh draggan           # only the named targets (scripts/run.sh builds just the binary)
# BUILD_DIR (build), JOBS (all cores), DRAGGAN_CMAKE_ARGS (extra configure arguments, e.g. -DDRAGGAN_UNITY_BUILD=OFF);
# DRAGGAN_BUILD_DRY_RUN=1 prints the commands that building the targets takes, without building them.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release ${DRAGGAN_CMAKE_ARGS:-} >/dev/null
if [ "${DRAGGAN_BUILD_DRY_RUN:-0}" = 1 ]; then
  ninja -C "$BUILD_DIR" -t commands "${@:-all}"
elif [ $# -gt 0 ]; then
  cmake --build "$BUILD_DIR" -j "$JOBS" --target "$@"
else
  cmake --build "$BUILD_DIR" -j "$JOBS"
fi
