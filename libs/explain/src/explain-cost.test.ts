import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceEngine, createPluginRegistry, type InferenceEngine } from '@glassbox/core';
import occlusionExplainer from './occlusion-explainer.js';
import { explanationCost } from './explain-cost.js';
import { explainText } from './explain-text.js';
import { miniModelDir } from './test-models.js';

const short = "I can't believe you did this to me, I'm so angry!";
// About 1,000 words: several model windows of the mini model (128 tokens).
const long = Array.from({ length: 1000 }, (_, i) => ['happy', 'sad', 'angry', 'the', 'day', 'news'][(i * 7) % 6]).join(' ');

describe('explanationCost', () => {
  let engine: InferenceEngine;
  let chunked: InferenceEngine;
  beforeAll(async () => {
    engine = await createInferenceEngine(miniModelDir);
    chunked = await createInferenceEngine(miniModelDir, { longText: 'chunk' });
  });
  afterAll(async () => {
    await engine.dispose();
    await chunked.dispose();
  });

  it('predicts the units and forward passes explainText makes (prediction included)', async () => {
    for (const [text, options] of [
      [short, { granularity: 'word' as const }],
      [short, { granularity: 'token' as const, methods: ['occlusion' as const] }],
      [long, { granularity: 'word' as const }],
      [long, { granularity: 'window' as const, windowSize: 8, windowStride: 8 }],
    ] as const) {
      for (const on of [engine, chunked]) {
        const cost = await explanationCost(on, text, options);
        const e = await explainText(on, text, options);
        expect(cost.windows).toBe(e.windows);
        expect(cost.forwardPasses).toBe(e.forward_calls + 1);
        if (options.granularity !== 'window' && e.windows === 1) expect(cost.units).toBe(e.tokens.length);
      }
    }
  }, 60_000);

  it("counts occluded units per window under longText 'chunk', fewer with coarser windows; faithfulness only fits one window", async () => {
    const word = await explanationCost(chunked, long, { granularity: 'word' });
    const coarse = await explanationCost(chunked, long, { granularity: 'window', windowSize: 16, windowStride: 16 });
    expect(word.windows).toBeGreaterThan(1);
    expect(word.units).toBeGreaterThanOrEqual(1000);
    expect(coarse.units).toBeLessThan(word.units / 8);
    expect(coarse.forwardPasses).toBeLessThan(word.forwardPasses);
    expect(word.faithfulnessFits).toBe(false);
    const faithful = await explanationCost(engine, short, { faithfulness: true });
    const plain = await explanationCost(engine, short, {});
    expect(faithful.faithfulnessFits).toBe(true);
    expect(faithful.forwardPasses).toBeGreaterThan(plain.forwardPasses);
    const e = await explainText(engine, short, { faithfulness: true });
    // Identical perturbations are computed once, so the real count can only be lower.
    expect(e.forward_calls + 1).toBeLessThanOrEqual(faithful.forwardPasses);
  }, 60_000);

  it('prices a truncated text by what the model reads: one window, its units, and faithfulness fits', async () => {
    const cost = await explanationCost(engine, long, { granularity: 'word', faithfulness: true });
    expect(cost.tokens).toBeGreaterThan(engine.maxLength * 2);
    expect(cost.windows).toBe(1);
    expect(cost.units).toBeLessThanOrEqual(engine.maxLength - 2);
    expect(cost.faithfulnessFits).toBe(true);
    const e = await explainText(engine, long, { granularity: 'word', faithfulness: true });
    expect(e.tokens).toHaveLength(cost.units);
    expect(e.forward_calls + 1).toBeLessThanOrEqual(cost.forwardPasses);
  }, 60_000);

  it('counts a plugin without a declared cost as one pass per unit plus one, and a declared cost as declared', async () => {
    const explainers = createPluginRegistry('explainer');
    explainers.register(occlusionExplainer);
    explainers.register({ kind: 'explainer', name: 'mystery', description: 'no declared cost', explain: (i) => i.units.map(() => 0) });
    const occ = await explanationCost(engine, short, { explainers, methods: ['occlusion'] });
    const mystery = await explanationCost(engine, short, { explainers, methods: ['mystery'] });
    expect(mystery.units).toBe(occ.units);
    expect(mystery.forwardPasses).toBe(1 + occ.units + 1);
    expect(mystery.forwardPasses).toBeGreaterThan(occ.forwardPasses);
    expect(mystery.methods).toEqual(['mystery']);
  });
});
