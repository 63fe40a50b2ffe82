#!/usr/bin/env bash
# Set up govie in ./.venv on a fresh machine.
#   bash scripts/setup.sh          # the inference part (rules, model runtimes, service)
#   bash scripts/setup.sh dev      # everything: training, Label Studio, Ray, notebooks, tests
#                                  # (and the Debian packages chromium, fonts-noto-cjk)
# torch is installed first and pinned (torch==2.13.0, CPU build): an unpinned torch would
# pull gigabytes of CUDA packages.
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-inference}"
case "$extra" in
  inference|dev|all|train|annotate|serve|onnx|ray|notebooks) ;;
  *) echo "usage: bash scripts/setup.sh [inference|dev|all|train|annotate|serve|onnx|ray|notebooks]" >&2; exit 2 ;;
esac
if [ "$extra" = "dev" ]; then
  # the browser tests (tests/test_view_browser.py): Debian's chromium, driven by Playwright
  # (never `playwright install`), and CJK fonts so that Chinese text renders in it
  if ! dpkg -s chromium fonts-noto-cjk >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq chromium fonts-noto-cjk
  fi
fi
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -c constraints.txt -e ".[$extra]"
.venv/bin/python -c "import torch, inference; print('govie', inference.__version__, 'torch', torch.__version__)"
