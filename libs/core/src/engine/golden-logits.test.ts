import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devTexts, repoRoot, sharedMissing } from '../test-support.js';
import { createInferenceEngine, type InferenceEngine } from './inference-engine.js';

interface Golden {
  rows: Array<{ line: number; tokens: number; logits: number[] }>;
}

if (sharedMissing) console.warn(sharedMissing);

// Both models the training tool made: emotion-mini and the ensemble's second member.
describe.each(['emotion-mini', 'emotion-mini-b'])('golden logits of %s (tokenizer + ONNX Runtime vs PyTorch)', (name) => {
  const dir = `${repoRoot}models/${name}`;
  const golden = JSON.parse(readFileSync(`${dir}/golden-logits.json`, 'utf8')) as Golden;
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await createInferenceEngine(dir);
  });
  afterAll(() => engine?.dispose());

  it.skipIf(sharedMissing !== null)(`reproduces the PyTorch logits of ${golden.rows.length} dev texts within 1e-4`, async () => {
    const texts = devTexts(golden.rows.map((r) => r.line));
    const encodings = await engine.encode(texts);
    encodings.forEach((e, i) => expect(e.ids.length, `tokens of dev line ${golden.rows[i].line}`).toBe(golden.rows[i].tokens));
    // Batched and padded together: padding must not change any text's logits.
    const predictions = await engine.classify(texts);
    let worst = 0;
    predictions.forEach((p, i) => {
      p.logits.forEach((v, j) => {
        worst = Math.max(worst, Math.abs(v - golden.rows[i].logits[j]));
      });
    });
    expect(worst).toBeLessThan(1e-4);
  });
});
