#!/usr/bin/env bash
# `npm run bench:model`: generates the bench model into models/bench-distilroberta (ignored by git,
# about 1.3 GB): a DistilRoBERTa-shaped classifier with random weights, its RoBERTa-layout BPE
# tokenizer, and int8 variants made by `glassbox quantize`. Needs Node with the repository built
# (npm ci does it), and Debian's PyTorch and ONNX: apt-get install -y python3-torch python3-onnx
# libopenblas0-pthread. Reads ../shared/data/goemotions-ekman/train.tsv when present.
# Extra arguments go to make.py (e.g. --seed 3). OUT=dir overrides the folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-models/bench-distilroberta}
DATA=${DATA:-../shared/data/goemotions-ekman}
started=$(date +%s)
node tools/make-bench-model/build-tokenizer.mjs --data "$DATA" --out "$OUT"
# One BLAS thread: torch already runs its own two threads; both at once oversubscribe 2 cores.
OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/make-bench-model/make.py --out "$OUT" "$@"

# int8: `glassbox quantize IN_DIR OUT_DIR` on each exported graph; its model_quantized.onnx (at
# OUT_DIR's root or under onnx/) is moved beside the fp32 graph it came from.
quantize() { # $1: bundle folder holding model.onnx
  local scratch
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' RETURN
  node apps/cli/bin/glassbox.js quantize "$1" "$scratch/q"
  local made
  made=$(find "$scratch/q" -name 'model_quantized.onnx' | head -1)
  [[ -n $made ]] || { echo "make.sh: glassbox quantize wrote no model_quantized.onnx" >&2; return 1; }
  mv "$made" "$1/model_quantized.onnx"
}
if node apps/cli/bin/glassbox.js quantize --help >/dev/null 2>&1; then
  quantize "$OUT"
  quantize "$OUT/no-attentions"
  ln -f "$OUT/no-attentions/model_quantized.onnx" "$OUT/transformers-js/onnx/model_quantized.onnx"
else
  echo "make.sh: this build has no \`glassbox quantize\`; the bench model has no int8 variant (rows with int8 are skipped)" >&2
fi
echo "make.sh: bench model in $OUT after $(($(date +%s) - started)) s" >&2
