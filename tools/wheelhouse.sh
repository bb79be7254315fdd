#!/usr/bin/env bash
# Build .wheelhouse/: the Jupyter stack the device machine lacks (nbclient, ipykernel, ipywidgets,
# nbformat and their dependencies), as wheels for its Python 3.12, so the notebooks part of the GPU
# report can install them there without a network. Run here (it needs the package registry), then
# carry .wheelhouse in the device call: tools/gpu_check.sh notebooks. ~45 wheels, ~20 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .wheelhouse
python3 -m pip download -q --python-version 3.12 --only-binary=:all: \
    --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux_2_28_x86_64 --platform any \
    nbclient ipykernel "ipywidgets>=7.7" nbformat -d .wheelhouse
echo "$(ls .wheelhouse | wc -l) wheels, $(du -sh .wheelhouse | cut -f1) in .wheelhouse/"
