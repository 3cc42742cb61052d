#!/usr/bin/env bash
# Installs everything the project needs from Debian's archive (idempotent; run as root or with sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev             # tensors and autograd (LibTorch 1.13, CPU)
  libgloo-dev              # Gloo's headers, which LibTorch's c10d process group needs (train/eval across processes)
  python3-torch            # torchrun, the launcher the distributed tests start ranks with
  nlohmann-json3-dev       # JSON
  libcli11-dev             # command line
  libstb-dev               # image decoding/encoding
  zlib1g-dev               # gzip'd IDX training data
  dataset-fashion-mnist    # the shipped model's training data (IDX, MIT licence)
  libgif-dev               # animated GIF of a drag (draggan drag --video)
  libcpp-httplib-dev       # the editor's HTTP server
  googletest libgtest-dev  # tests
  libssl-dev               # SHA-256 in the parity tests (already a dependency of cpp-httplib)
  clang-14 libclang-rt-14-dev  # libFuzzer + sanitizers for the reader fuzz harnesses (scripts/fuzz.sh)
)
if [ "${DRAGGAN_BROWSER_TESTS:-0}" = 1 ]; then
  PACKAGES+=(chromium)  # the editor's browser tests (playwright-core drives Debian's chromium)
  # Node.js often comes from outside apt (nodesource, nvm): asking apt for Debian's nodejs/npm then fails on
  # held packages, so they are installed only when the commands are missing.
  command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
  command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
