#!/usr/bin/env bash
# scripts/run.sh must build the `draggan` binary and nothing else: a newcomer's first start of the editor never
# waits for the test suites. Configures a scratch build folder and asks Ninja what run.sh would build (dry run),
# as on a machine without the test packages (run.sh installs only the base ones): no GoogleTest, no pybind11.
set -euo pipefail
cd "$(dirname "$0")/../.."
scratch=$(mktemp -d "${TMPDIR:-/tmp}/draggan-run-targets.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
without_test_packages="-DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON -DCMAKE_DISABLE_FIND_PACKAGE_pybind11=ON"
plan=$(BUILD_DIR="$scratch" DRAGGAN_BUILD_DRY_RUN=1 DRAGGAN_CMAKE_ARGS="$without_test_packages" bash scripts/run.sh)
fail() { echo "run_script_targets: $*"; echo "--- what run.sh would build:"; echo "$plan" | tail -n 40; exit 1; }
echo "$plan" | grep -q -- '-o src/tools/draggan ' || fail "run.sh would not link src/tools/draggan"
built_tests=$(echo "$plan" | grep -E -- '-o tests/|gtest' || true)
[ -z "$built_tests" ] || fail "run.sh would build test targets: $(echo "$built_tests" | head -n 3 | cut -c1-200)"
echo "run_script_targets: run.sh runs $(echo "$plan" | wc -l) build commands: the binary's and no test target's"
