import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceEngine, createPluginRegistry, type InferenceEngine } from '@glassbox/core';
import { explanationCost } from './explain-cost.js';
import { explainText } from './explain-text.js';
import { scorePerturbations } from './perturb.js';
import shapley from './shapley-explainer.js';
import { miniModelDir } from './test-models.js';

const text = "I can't believe you did this to me, I'm so angry!";

describe('shapley explainer', () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await createInferenceEngine(miniModelDir);
  });
  afterAll(() => engine.dispose());

  /** p(label) of the text with every non-special token replaced by <mask>. */
  async function baseline(label: string): Promise<number> {
    const [enc] = await engine.encode([text]);
    const ids = enc.ids.map((id, i) => (enc.special[i] ? id : (engine.tokenizer.maskId as number)));
    const { probabilities } = await scorePerturbations(engine, [{ ids }]);
    return probabilities[0][engine.labels.indexOf(label)];
  }

  it('is efficient: the attributions sum to f(text) - f(all occluded), for the predicted and another target', async () => {
    for (const target of [undefined, 'joy']) {
      const e = await explainText(engine, text, { methods: ['shapley'], target, methodOptions: { shapley: { permutations: 8 } } });
      const sum = e.attributions.shapley.reduce((a, b) => a + b, 0);
      expect(e.attributions.shapley).toHaveLength(e.tokens.length);
      expect(sum).toBeCloseTo(e.probabilities[e.target] - (await baseline(e.target)), 4);
    }
  });

  it('is reproducible for a seed, varies with it, and stays within its declared cost', async () => {
    const options = { methods: ['shapley'], methodOptions: { shapley: { permutations: 6 } } } as const;
    const a = await explainText(engine, text, { ...options, seed: 1 });
    const b = await explainText(engine, text, { ...options, seed: 1 });
    const c = await explainText(engine, text, { ...options, seed: 2 });
    expect(b.attributions.shapley).toEqual(a.attributions.shapley);
    expect(c.attributions.shapley).not.toEqual(a.attributions.shapley);
    const cost = await explanationCost(engine, text, options);
    expect(a.forward_calls + 1).toBeLessThanOrEqual(cost.forwardPasses);
  });

  it('matches exact Shapley values on a short text given every permutation pair', async () => {
    const short = 'so very angry';
    const registry = createPluginRegistry('explainer');
    registry.register(shapley);
    // 3 words: sampled permutations (many, antithetic) approach the exact values from all 8 coalitions.
    const e = await explainText(engine, short, { explainers: registry, methods: ['shapley'], methodOptions: { shapley: { permutations: 600 } } });
    const [enc] = await engine.encode([short]);
    const words = [[1], [2], [3]].map((w) => w.filter((p) => !enc.special[p]));
    const target = engine.labels.indexOf(e.target);
    const masked = (keep: number[]) => ({ ids: enc.ids.map((id, p) => (enc.special[p] || words.some((w, i) => keep.includes(i) && w.includes(p)) ? id : (engine.tokenizer.maskId as number))) });
    const subsets = [[], [0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]];
    const { probabilities } = await scorePerturbations(engine, subsets.map(masked));
    const v = (s: number[]) => probabilities[subsets.findIndex((x) => x.join() === [...s].sort().join())][target];
    const exact = [0, 1, 2].map((i) => {
      const others = [0, 1, 2].filter((j) => j !== i);
      const weight = [1 / 3, 1 / 6, 1 / 3]; // |S| = 0, 1, 2 of n = 3
      const sets = [[], [others[0]], [others[1]], others];
      return sets.reduce((s, set) => s + weight[set.length] * (v([...set, i]) - v(set)), 0);
    });
    expect(e.words.map((w) => w.text)).toEqual(['so', 'very', 'angry']);
    e.word_attributions.shapley.forEach((value, i) => expect(value).toBeCloseTo(exact[i], 2));
  });
});
