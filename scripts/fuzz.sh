#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz, Debian's clang-14, ASan + UBSan) into build-fuzz/ and runs each
# over its seed corpus (tests/fuzz/corpus/<harness>; new inputs go to build-fuzz/corpus/, never the repo).
# A crash, sanitizer report, leak of an exception other than draggan::Error, hang (-timeout) or allocation
# over -malloc_limit_mb fails the run and leaves the input in build-fuzz/findings/.
#
#   bash scripts/fuzz.sh                       # what scripts/test.sh runs: 8 s per harness (~1.5 min in all)
#   FUZZ_SECONDS=600 bash scripts/fuzz.sh      # a longer campaign: 10 minutes per harness
#   FUZZ_SECONDS=60 bash scripts/fuzz.sh image mask   # only some harnesses
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-8}
JOBS=${JOBS:-$(nproc)}
CXX_BIN=${FUZZ_CXX:-clang++-14}
CC_BIN=${FUZZ_CC:-clang-14}

if ! command -v "$CXX_BIN" >/dev/null 2>&1; then
  echo "fuzz: SKIPPED: $CXX_BIN is missing (bash scripts/setup.sh installs clang-14 and libclang-rt-14-dev)"
  exit 0
fi

started=$(date +%s)
cmake -S tests/fuzz -B "$BUILD_DIR" -G Ninja -DCMAKE_CXX_COMPILER="$CXX_BIN" -DCMAKE_C_COMPILER="$CC_BIN" >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
built=$(date +%s)

if [ $# -gt 0 ]; then
  harnesses=("$@")
else
  read -r -a harnesses < <(tr ';' ' ' < "$BUILD_DIR/harnesses.txt"; echo) || true
fi
mkdir -p "$BUILD_DIR/findings"
summary="$BUILD_DIR/fuzz-summary.txt"
: > "$summary"
failed=()
for h in "${harnesses[@]}"; do
  corpus="$BUILD_DIR/corpus/$h"
  mkdir -p "$corpus"
  log="$BUILD_DIR/$h.log"
  # -detect_leaks=0: LibTorch keeps process-wide caches that LeakSanitizer would report once per process.
  if "$BUILD_DIR/draggan_fuzz" --target="$h" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=3072 -malloc_limit_mb=512 \
      -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$BUILD_DIR/findings/$h-" \
      "$corpus" "tests/fuzz/corpus/$h" >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    failed+=("$h")
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  printf '%-16s %-6s %10s runs  %6s edges  %s\n' "$h" "$result" "$runs" "$cov" "$(find "$corpus" -type f | wc -l) corpus files" \
    | tee -a "$summary"
  if [ "$result" = FAILED ]; then
    grep -E 'ERROR:|FINDING|SUMMARY|Test unit written' "$log" | head -20 || true
  fi
done
finished=$(date +%s)
echo "fuzz: build $((built - started)) s, runs $((finished - built)) s ($SECONDS_EACH s per harness); logs in $BUILD_DIR/*.log" \
  | tee -a "$summary"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $BUILD_DIR/findings/)"
  exit 1
fi
