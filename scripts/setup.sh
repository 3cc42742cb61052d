#!/usr/bin/env bash
# Installs what the project needs from Debian's archive (idempotent; run as root or with sudo).
#   bash scripts/setup.sh                         # what building and running `draggan` needs (scripts/run.sh)
#   DRAGGAN_TEST_DEPS=1 bash scripts/setup.sh     # + what the test suites need (scripts/test.sh)
#   DRAGGAN_BROWSER_TESTS=1 ...                   # + chromium and Node.js for the browser suite (implies the above)
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev             # tensors and autograd (LibTorch 1.13, CPU)
  libgloo-dev              # Gloo's headers, which LibTorch's c10d process group needs (train/eval across processes)
  nlohmann-json3-dev       # JSON
  libcli11-dev             # command line
  libstb-dev               # image decoding
  libpng-dev               # PNG/APNG writing with provenance text chunks and XMP
  zlib1g-dev               # gzip'd IDX training data
  libgif-dev               # animated GIF of a drag (draggan drag --video)
  libcpp-httplib-dev       # the editor's HTTP server
  dataset-fashion-mnist    # the shipped model's training data (IDX, MIT licence): `draggan train`, the classifier
  libssl-dev               # SHA-256: provenance records name models and photos by it, the session store its blobs
  libhiredis-dev           # the session store's Redis client (draggan serve --store; docs/cluster.md)
  redis-server haproxy     # a local cluster (scripts/cluster.sh) and its tests (tests/cluster)
  iproute2                 # ss: cluster.sh waits for its servers' ports (a minimal Debian has no ss)
)
[ "${DRAGGAN_BROWSER_TESTS:-0}" = 1 ] && DRAGGAN_TEST_DEPS=1
if [ "${DRAGGAN_TEST_DEPS:-0}" = 1 ]; then
  PACKAGES+=(
    googletest libgtest-dev  # tests
    libimage-exiftool-perl   # exiftool: the provenance tests' independent metadata reader
    clang-14 libclang-rt-14-dev  # libFuzzer + sanitizers for the reader fuzz harnesses (scripts/fuzz.sh)
    # The Python module draggan_cpp (docs/python.md), built for Debian's /usr/bin/python3 and tested with pytest;
    # python3-torch (the same 1.13 LibTorch as libtorch-dev) for its DLPack/torch tests and for torchrun, which
    # the distributed tests (tests/dist) start ranks with
    pybind11-dev python3-dev python3-numpy python3-pytest python3-torch
  )
fi
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
  # Debian starts redis-server and haproxy as system services on install; the project starts its own on
  # ports of its choosing (scripts/cluster.sh, the tests), so a policy-rc.d that refuses service starts is put
  # in place for the install when the machine has none (containers usually have one already).
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod 755 "$policy"
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" || status=$?
  [ -n "$policy" ] && $SUDO rm -f "$policy"
  [ "${status:-0}" -eq 0 ] || exit "$status"
  # Installed here before: no service left enabled for the next boot either (nothing depends on them).
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    for unit in redis-server haproxy; do
      if printf '%s\n' "${missing[@]}" | grep -qx "$unit"; then $SUDO systemctl disable --now "$unit" >/dev/null 2>&1 || true; fi
    done
  fi
fi
