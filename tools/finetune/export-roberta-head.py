"""Exports a tiny random-weight encoder with Hugging Face's RobertaClassificationHead through
torch.onnx, as optimum does for RobertaForSequenceClassification (opset 14, eval mode), so the
finetune tests check the hidden-state search on the operator pattern torch really writes
(x[:, 0, :] -> dropout -> dense -> tanh -> dropout -> out_proj). No data: weights are random.

Usage: /usr/bin/python3 tools/finetune/export-roberta-head.py OUT.onnx
"""
import sys

import torch
from torch import nn


class RobertaClassificationHead(nn.Module):
    """transformers.models.roberta.modeling_roberta.RobertaClassificationHead, verbatim."""

    def __init__(self, hidden_size, num_labels, dropout=0.1):
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.out_proj = nn.Linear(hidden_size, num_labels)

    def forward(self, features):
        x = features[:, 0, :]  # take <s> token (equiv. to [CLS])
        x = self.dropout(x)
        x = self.dense(x)
        x = torch.tanh(x)
        x = self.dropout(x)
        x = self.out_proj(x)
        return x


class TinyRoberta(nn.Module):
    def __init__(self, vocab=64, hidden=16, labels=7):
        super().__init__()
        self.embeddings = nn.Embedding(vocab, hidden)
        layer = nn.TransformerEncoderLayer(hidden, nhead=2, dim_feedforward=32, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=1)
        self.classifier = RobertaClassificationHead(hidden, labels)

    def forward(self, input_ids, attention_mask):
        h = self.embeddings(input_ids)
        h = self.encoder(h, src_key_padding_mask=attention_mask == 0)
        return self.classifier(h)


def main():
    torch.manual_seed(0)
    model = TinyRoberta().eval()
    ids = torch.tensor([[0, 5, 6, 2]], dtype=torch.long)
    mask = torch.ones_like(ids)
    torch.onnx.export(
        model,
        (ids, mask),
        sys.argv[1],
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"}, "attention_mask": {0: "batch_size", 1: "sequence_length"}, "logits": {0: "batch_size"}},
        opset_version=14,
        do_constant_folding=True,
    )


if __name__ == "__main__":
    main()
