#!/usr/bin/env bash
# Set up govie in ./.venv on a fresh machine.
#   bash scripts/setup.sh          # the inference part (rules, model runtimes, service)
#   bash scripts/setup.sh dev      # everything: training, Label Studio, Ray, notebooks, tests
# torch is installed first and pinned (torch==2.13.0, CPU build): an unpinned torch would
# pull gigabytes of CUDA packages.
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-inference}"
case "$extra" in
  inference|dev|all|train|annotate|serve|onnx|ray|notebooks) ;;
  *) echo "usage: bash scripts/setup.sh [inference|dev|all|train|annotate|serve|onnx|ray|notebooks]" >&2; exit 2 ;;
esac
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -c constraints.txt -e ".[$extra]"
.venv/bin/python -c "import torch, inference; print('govie', inference.__version__, 'torch', torch.__version__)"
