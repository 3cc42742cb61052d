#!/usr/bin/env bash
# Makes the README's pictures again from the project's own code, so they never go stale:
#   docs/images/drag.png    `draggan drag --video --ai-mark` on the shipped model: an animated PNG (32 px, enlarged
#                           to 256 px for the mark), one frame every 3 steps
#   docs/images/editor.png  the browser tests' screenshot of the editor after a drag (tests/e2e/marks.test.mjs)
# Needs the browser tests' packages (DRAGGAN_BROWSER_TESTS=1 bash scripts/setup.sh; npm ci in tests/e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}" --target draggan
bin=$BUILD_DIR/src/tools/draggan
out=docs/images
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The drag: seed 2's boot, the top of its shaft pulled up (37 steps to the target on the shipped model).
"$bin" drag --seed 2 --handle 18,7 --target 18,2 --steps 60 --ai-mark --frame-every 3 --frame-ms 100 \
  --out "$work/drag.png" --video "$out/drag.png" --threads "$(nproc)"

# The editor: the browser suite's screenshot after its drag (Debian's chromium driven by playwright-core).
(cd tests/e2e && { npm ci --offline --no-audit --no-fund >/dev/null 2>&1 || npm ci --no-audit --no-fund; })
DRAGGAN_BINARY=$PWD/$bin DRAGGAN_SCREENSHOT=$PWD/$out/editor.png node tests/e2e/run.mjs tests/e2e/marks.test.mjs

ls -l "$out"
