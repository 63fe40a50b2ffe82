#!/usr/bin/env bash
# Retrain the embedded default model from the base encoder, the whole chain (about an hour
# on 2 CPU cores; needs `bash scripts/setup.sh dev` or the train extra):
#   1. teacher, dev-split run: chooses the epoch, held-out dev figures  -> models/teacher.selection
#   2. teacher retrained on all documents for that epoch                 -> models/teacher
#   3. student distilled from them (configs/distill.yaml): dev-split run with teacher 1, then
#      retrained on all documents with teacher 2                         -> models/default
# Extra arguments go to every `govie train` call (e.g. --set sets=[annotations/data/gold-v2]).
#   bash scripts/retrain_default.sh [--set key=value ...]
set -euo pipefail
cd "$(dirname "$0")/.."
GOVIE=.venv/bin/govie
"$GOVIE" train --config configs/train.yaml --set out_dir=models/teacher.selection \
  --set refit_all=false --set export_onnx=false "$@"
"$GOVIE" train --config configs/train.yaml --set out_dir=models/teacher \
  --set refit_from=models/teacher.selection --set export_onnx=false "$@"
"$GOVIE" train --config configs/distill.yaml "$@"
echo "models/default retrained; check it with:"
echo "  $GOVIE evaluate --model models/default --gold annotations/data/gold-v1 --dev-only"
