#!/usr/bin/env bash
# Retrain the embedded default model from the base encoder, the whole chain (about an hour
# on 2 quiet CPU cores; needs `bash scripts/setup.sh dev` or the train extra):
#   1. teacher, dev-split run: chooses the epoch, held-out dev figures  -> models/teacher.selection
#   2. student distilled from it (configs/distill.yaml), dev-split run  -> models/default
#      (the shipped weights never see the dev documents; the card's dev figures are theirs)
# Extra arguments go to every `govie train` call (e.g. --set sets=[annotations/data/gold-v1]).
#   bash scripts/retrain_default.sh [--set key=value ...]
# max_minutes in configs/train.yaml stops a run after the epoch that passes it: on a slower
# or busier machine the teacher gets fewer epochs (the card's history says how many it had).
# Domain-adaptive pretraining (`govie pretrain`, configs/pretrain.yaml) is a measured option, not
# part of this chain yet: add `govie pretrain` first and `--set base_model=models/base-dapt` to
# both calls (the model card's "What was tried" has its figures).
set -euo pipefail
cd "$(dirname "$0")/.."
GOVIE=.venv/bin/govie
"$GOVIE" train --config configs/train.yaml --set out_dir=models/teacher.selection \
  --set refit_all=false --set export_onnx=false "$@"
"$GOVIE" train --config configs/distill.yaml "$@"
echo "models/default retrained; check it with:"
echo "  $GOVIE evaluate --model models/default $(for d in annotations/data/gold-*; do printf -- '--gold %s ' "$d"; done)--dev-only"
