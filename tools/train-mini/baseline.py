#!/usr/bin/python3
"""TF-IDF (word 1-2-grams) + logistic regression on the same data, for the model card's
side-by-side comparison. Trains on the train split's single-label rows, scores the dev split's
single-label rows. Needs Debian's python3-sklearn."""
import argparse
import json
import os

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score


def read(path):
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            text, ids, _ = line.rstrip("\n").split("\t")
            parts = ids.split(",")
            if len(parts) == 1:
                texts.append(text)
                labels.append(int(parts[0]))
    return texts, labels


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", default="../shared/data/goemotions-ekman")
    p.add_argument("--C", type=float, default=4.0)
    args = p.parse_args()
    xt, yt = read(os.path.join(args.data, "train.tsv"))
    xd, yd = read(os.path.join(args.data, "dev.tsv"))
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    clf = LogisticRegression(C=args.C, max_iter=2000)
    clf.fit(vec.fit_transform(xt), yt)
    pred = clf.predict(vec.transform(xd))
    print(json.dumps({"n": len(yd), "accuracy": round(accuracy_score(yd, pred), 4), "macro_f1": round(f1_score(yd, pred, average="macro"), 4), "C": args.C}))


if __name__ == "__main__":
    main()
