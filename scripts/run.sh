#!/usr/bin/env bash
# Sets up, builds the `draggan` binary alone (not the test suites) and starts the editor (`draggan serve`).
# Extra arguments replace the default subcommand.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh draggan
[ "${DRAGGAN_BUILD_DRY_RUN:-0}" = 1 ] && exit 0
if [ $# -eq 0 ]; then
  # The editor on the shipped model (models/default.safetensors): open the URL it prints.
  set -- serve
fi
exec "${BUILD_DIR:-build}/src/tools/draggan" "$@"
