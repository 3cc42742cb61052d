#!/usr/bin/env bash
# Sets up, builds and runs the main job. Extra arguments replace the default subcommand.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
if [ $# -eq 0 ]; then
  set -- generate --model tests/data/tiny_sg2.pkl --seed 0 --out out/seed0.png
  mkdir -p out
fi
exec build/src/tools/draggan "$@"
