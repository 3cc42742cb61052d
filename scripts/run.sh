#!/usr/bin/env bash
# Sets up, builds and starts the editor (`draggan serve`). Extra arguments replace the default subcommand.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
if [ $# -eq 0 ]; then
  # The editor on the shipped model (models/default.safetensors): open the URL it prints.
  set -- serve
fi
exec build/src/tools/draggan "$@"
