#!/usr/bin/env node
// Prints how far the embedded model's int8 variant is from its fp32 graph over every text of the
// dev split (the model card's "int8 variant" section): the largest logit difference, the median of
// the per-text largest differences, and how many top labels change.
// Usage: node tools/reports/int8-agreement.mjs [DEV_TSV] [MODEL_DIR]   (after npm run build)
import { readFileSync } from 'node:fs';
import { createInferenceEngine } from '@glassbox/core';

const dev = process.argv[2] ?? '../shared/data/goemotions-ekman/dev.tsv';
const modelDir = process.argv[3] ?? 'models/emotion-mini';
const texts = readFileSync(dev, 'utf8').split('\n').filter(Boolean).map((line) => line.split('\t')[0]);
const classify = async (variant) => {
  const engine = await createInferenceEngine(modelDir, { variant });
  try {
    const out = [];
    for (let i = 0; i < texts.length; i += 64) out.push(...(await engine.classify(texts.slice(i, i + 64))));
    return out;
  } finally {
    await engine.dispose();
  }
};
const [fp32, int8] = [await classify('fp32'), await classify('quantized')];
const maxima = fp32.map((p, i) => Math.max(...Array.from(p.logits, (l, j) => Math.abs(l - int8[i].logits[j]))));
const sorted = [...maxima].sort((a, b) => a - b);
const changed = fp32.filter((p, i) => p.labelId !== int8[i].labelId).length;
console.log(
  JSON.stringify({
    texts: texts.length,
    max_abs_logit_difference: Number(sorted.at(-1).toFixed(4)),
    median_per_text_max: Number(sorted[Math.floor(sorted.length / 2)].toFixed(4)),
    labels_changed: changed,
    labels_changed_fraction: Number((changed / texts.length).toFixed(4)),
  }),
);
