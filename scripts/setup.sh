#!/usr/bin/env bash
# Installs every Debian package bioforest needs (non-interactive, idempotent), then configures
# and builds Release into build/ with Ninja.
#   scripts/setup.sh            build the library and tools (and tests)
#   BUILD_DIR=... CMAKE_ARGS=... scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache clang-format git
  # libraries we build on
  libcli11-dev libhdf5-dev hdf5-tools libtiff-dev libpng-dev libjpeg-dev zlib1g-dev
  xtensor-dev xtl-dev libxsimd-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  catch2 libhwy-dev libvalijson-dev libpugixml-dev nettle-dev libdeflate-dev
  # static archives of libtiff's codecs and of szip (linked into every tool)
  libwebp-dev liblerc-dev libjbig-dev libzstd-dev liblzma-dev libaec-dev
  # Debian's python for tests, fixtures and peer benchmarks (PyPI is not used)
  python3 python3-numpy python3-h5py python3-tifffile python3-vigra python3-sklearn
  python3-skimage
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

BUILD_DIR=${BUILD_DIR:-build}
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
echo "setup: built into $BUILD_DIR/ (tools in $BUILD_DIR/tools/)" >&2
