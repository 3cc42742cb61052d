#!/usr/bin/env bash
# Installs everything the project needs from Debian's archive (idempotent; run as root or with sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev             # tensors and autograd (LibTorch 1.13, CPU)
  nlohmann-json3-dev       # JSON
  libcli11-dev             # command line
  libstb-dev               # image decoding/encoding
  libcpp-httplib-dev       # the editor's HTTP server
  googletest libgtest-dev  # tests
)
if [ "${DRAGGAN_BROWSER_TESTS:-0}" = 1 ]; then
  PACKAGES+=(chromium nodejs npm)  # the editor's browser tests (Playwright drives Debian's chromium)
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
