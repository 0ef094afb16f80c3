#!/usr/bin/env bash
# The embedded model's shipped defaults, which `glassbox serve` uses unless told otherwise:
#   models/emotion-mini/calibration.json  temperature scaling fitted on the dev split, with
#                                         split-conformal sets (alpha 0.1) and a certified
#                                         abstention threshold (selective risk <= 0.25)
#   models/emotion-mini/reference.json    the drift reference: the calibrated model on the train split
# Run from the repository root after `npm run build` (or npm ci); DATA overrides the data folder.
# Rerun it whenever the model, its tokenizer or the reference format changes.
set -euo pipefail
DATA="${DATA:-../shared/data/goemotions-ekman}"
MODEL=models/emotion-mini
node apps/cli/bin/glassbox.js calibrate --model "$MODEL" --data "$DATA/dev.tsv" --method temperature \
  --conformal 0.1 --abstain-risk 0.25 --out "$MODEL/calibration.json"
node apps/cli/bin/glassbox.js monitor reference --model "$MODEL" --data "$DATA/train.tsv" \
  --calibration "$MODEL/calibration.json" --out "$MODEL/reference.json"
