#!/usr/bin/env bash
# Set up a fresh Debian machine for lmzoo and build the release binary (.build/release/lmzoo).
# Installs the C libraries lmzoo links (HDF5, OpenBLAS, libzip) with apt when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! pkg-config --exists hdf5 openblas libzip 2>/dev/null; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q libhdf5-dev libopenblas-dev libzip-dev pkg-config
fi
swift build -c release --product lmzoo
echo "built .build/release/lmzoo" >&2
