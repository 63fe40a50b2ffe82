#!/usr/bin/env bash
# Set up govie in ./.venv on a fresh machine.
#   bash scripts/setup.sh          # the inference part (rules, model runtimes, service)
#   bash scripts/setup.sh dev      # everything: training, Label Studio, Ray, notebooks, tests
#                                  # (and the Debian packages chromium, fonts-noto-cjk,
#                                  # LibreOffice, poppler-utils, libgl1)
#   bash scripts/setup.sh ocr      # the inference part + OCR of scanned PDFs (govie[ocr])
#   GOVIE_ARCHIVE=1 bash scripts/setup.sh   # also LibreOffice, for .doc/.wps attachments
# torch is installed first and pinned (torch==2.13.0, CPU build): an unpinned torch would
# pull gigabytes of CUDA packages.
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-inference}"
case "$extra" in
  inference|dev|all|train|annotate|serve|onnx|ray|notebooks|ocr) ;;
  *) echo "usage: bash scripts/setup.sh [inference|dev|all|train|annotate|serve|onnx|ray|notebooks|ocr]" >&2; exit 2 ;;
esac
# Debian packages the extras need, installed when missing (APT_OPTS: apt-get options)
updated=0
ensure_debian() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  [ "$updated" = 1 ] || { $SUDO apt-get update -qq; updated=1; }
  $SUDO apt-get install -y -qq ${APT_OPTS:-} "${missing[@]}"
}
if [ "$extra" = "dev" ]; then
  # the browser tests (tests/test_view_browser.py): Debian's chromium, driven by Playwright
  # (never `playwright install`), and CJK fonts so that Chinese text renders in it
  ensure_debian chromium fonts-noto-cjk
  # .doc/.wps/.xls made and read by the format tests (LibreOffice), scanned pages rendered by
  # pdftoppm (poppler-utils) and OCR'd by rapidocr (opencv: libgl1, libglib2.0-0)
  APT_OPTS=--no-install-recommends ensure_debian libreoffice-writer-nogui libreoffice-calc-nogui \
    poppler-utils poppler-data libgl1 libglib2.0-0
fi
# the archive formats on the main path: .doc/.wps are converted by LibreOffice (an opt-in: it
# is large; without it such a file gives an error record naming this package); OCR needs libgl1
if [ "$extra" = "ocr" ]; then
  APT_OPTS=--no-install-recommends ensure_debian libgl1 libglib2.0-0
fi
if [ "${GOVIE_ARCHIVE:-0}" = "1" ]; then
  APT_OPTS=--no-install-recommends ensure_debian libgl1 libglib2.0-0 libreoffice-writer-nogui \
    libreoffice-calc-nogui
fi
[ "$extra" = "ocr" ] && extra="inference,ocr"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -c constraints.txt -e ".[$extra]"
.venv/bin/python -c "import torch, inference; print('govie', inference.__version__, 'torch', torch.__version__)"
