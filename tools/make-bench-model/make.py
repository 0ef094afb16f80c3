#!/usr/bin/python3
"""Step 2 of `npm run bench:model`: a DistilRoBERTa-shaped classifier (6 layers, hidden 768, 12
heads, FFN 3072, vocabulary 50,265, 514 positions, 7 labels) with seeded random weights, exported
as emotion-mini is (tools/train-mini/train.py, whose model class it reuses): plain fp32 ONNX, opset
14, dynamic batch and sequence, with attention outputs (model.onnx) and without
(no-attentions/model.onnx, and the transformers.js layout transformers-js/onnx/model.onnx, a hard
link to it). Weights stay fp32 initializers, as optimum exports them. The random weights make the
predictions meaningless; the cost of a forward pass is that of the real model.
"""
import argparse
import json
import os
import shutil
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train-mini"))
from train import LABELS, PAD_ID, ExportWrapper, MiniRoberta  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="models/bench-distilroberta")
    p.add_argument("--seed", type=int, default=12)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--hidden", type=int, default=768)
    p.add_argument("--heads", type=int, default=12)
    p.add_argument("--ffn", type=int, default=3072)
    p.add_argument("--vocab", type=int, default=50265)
    p.add_argument("--max-positions", type=int, default=514)
    p.add_argument("--threads", type=int, default=2)
    return p.parse_args()


def config(args, with_attentions):
    return {
        "architectures": ["RobertaForSequenceClassification"],
        "model_type": "roberta",
        "name_or_path": "bench-distilroberta (random weights)",
        "num_hidden_layers": args.layers,
        "num_attention_heads": args.heads,
        "hidden_size": args.hidden,
        "intermediate_size": args.ffn,
        "hidden_act": "gelu",
        "max_position_embeddings": args.max_positions,
        "vocab_size": args.vocab,
        "pad_token_id": PAD_ID,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "mask_token_id": args.vocab - 1,
        "type_vocab_size": 1,
        "layer_norm_eps": 1e-5,
        "problem_type": "single_label_classification",
        "id2label": {str(i): l for i, l in enumerate(LABELS)},
        "label2id": {l: i for i, l in enumerate(LABELS)},
        "output_attentions": with_attentions,
    }


def export(model, args, path, with_attentions):
    names = [f"attentions.{i}" for i in range(args.layers)]
    seq = {0: "batch_size", 1: "sequence_length"}
    dyn = {"input_ids": seq, "attention_mask": seq, "logits": {0: "batch_size"}}
    if with_attentions:
        dyn.update({n: {0: "batch_size", 2: "sequence_length", 3: "sequence_length"} for n in names})
    example = (torch.tensor([[0, 100, 200, 2], [0, 300, 2, PAD_ID]]), torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]]))
    torch.onnx.export(
        ExportWrapper(model, with_attentions).eval(),
        example,
        path,
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"] + (names if with_attentions else []),
        dynamic_axes=dyn,
        opset_version=14,
        do_constant_folding=True,
    )


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


def main():
    args = parse_args()
    started = time.time()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if not os.path.exists(os.path.join(args.out, name)):
            sys.exit(f"make.py: {args.out}/{name} missing; run build-tokenizer.mjs first (npm run bench:model does both)")
    model = MiniRoberta(args.vocab, args.max_positions, args.hidden, args.heads, args.ffn, args.layers, 0.0).eval()
    params = sum(p.numel() for n, p in model.named_parameters() if not n.startswith("lm_"))
    noatt = os.path.join(args.out, "no-attentions")
    tjs = os.path.join(args.out, "transformers-js")
    for d in (noatt, os.path.join(tjs, "onnx")):
        os.makedirs(d, exist_ok=True)
    with torch.no_grad():
        export(model, args, os.path.join(args.out, "model.onnx"), True)
        export(model, args, os.path.join(noatt, "model.onnx"), False)
    write_json(os.path.join(args.out, "config.json"), config(args, True))
    for d in (noatt, tjs):
        write_json(os.path.join(d, "config.json"), config(args, False))
        for name in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(os.path.join(args.out, name), os.path.join(d, name))
    link = os.path.join(tjs, "onnx", "model.onnx")
    if os.path.exists(link):
        os.remove(link)
    os.link(os.path.join(noatt, "model.onnx"), link)
    print(f"make.py: {params / 1e6:.1f}M parameters, exported to {args.out} in {time.time() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
