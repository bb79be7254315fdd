#!/usr/bin/env bash
# The one GPU command, run on the device machine from the repository root with $OUT set:
#   bash tools/gpu_check.sh bench       -- tests, busy/lesson FNO, profile, launch, contraction,
#                                          Navier-Stokes busy FNO, precision (at most 9 minutes)
#   bash tools/gpu_check.sh ns          -- Navier-Stokes: busy FNO settings, precision schedule,
#                                          super-resolution (one call of at most 5 minutes)
#   bash tools/gpu_check.sh notebooks   -- every lesson and solution in full mode (carry .wheelhouse,
#                                          built here by tools/wheelhouse.sh)
#   bash tools/gpu_check.sh dry-run     -- the same plumbing on a CPU, quick sizes (no GPU figures)
# Results go to one archive, $OUT/results.tgz (the device returns at most 8 files); unpack it into
# docs/results/ and commit what came back, naming the card.
set -euo pipefail
cd "$(dirname "$0")/.."
part="${1:-bench}"
results=$(mktemp -d)/results
mkdir -p "$results" "${OUT:=test-output}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
python="${PYTHON:-python3}"
case "$part" in
  bench)
    "$python" -m sciml_teach.bench gpu-report --out "$results" --budget-s 520 \
        --only tests,fno-busy,fno,profile,launch,contraction,fno-ns,precision ;;
  ns)
    "$python" -m sciml_teach.bench gpu-report --out "$results" --budget-s 280 \
        --only fno-ns,fno-ns-extras,contraction ;;
  notebooks)
    [ -d .wheelhouse ] || { echo "no .wheelhouse/: run tools/wheelhouse.sh here, then carry it" >&2; exit 2; }
    python3 -m venv --system-site-packages /tmp/nbvenv      # sees the machine's CUDA torch
    /tmp/nbvenv/bin/pip install -q --no-index --find-links .wheelhouse nbclient ipykernel ipywidgets nbformat
    python=/tmp/nbvenv/bin/python
    "$python" -m sciml_teach.bench gpu-report --out "$results" --budget-s 540 --only notebooks ;;
  dry-run)
    "$python" -m sciml_teach.bench gpu-report --dry-run --out "$results" ;;
  *) echo "usage: bash tools/gpu_check.sh bench|ns|notebooks|dry-run" >&2; exit 2 ;;
esac
tar czf "$OUT/results.tgz" -C "$(dirname "$results")" results
ls -l "$results" "$OUT/results.tgz"
