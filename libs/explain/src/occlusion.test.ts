import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceEngine, type InferenceEngine } from '@glassbox/core';
import { occlusion } from './occlusion.js';
import { scorePerturbations } from './perturb.js';
import { countingEngine, miniModelDir } from './test-models.js';
import { wordUnits } from './text-units.js';

const text = 'I am absolutely furious that you lied to me again today';

describe('occlusion', () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await createInferenceEngine(miniModelDir, { batchSize: 4 });
  });
  afterAll(() => engine.dispose());

  it(`occludes a text of n words in at most ceil((n+1)/batch) forward calls`, async () => {
    const counted = countingEngine(engine);
    const [enc] = await engine.encode([text]);
    const n = wordUnits(enc).length;
    const r = await occlusion(counted, enc, { granularity: 'word' });
    expect(r.units).toHaveLength(n);
    expect(counted.calls()).toBe(r.forwardCalls);
    expect(counted.calls()).toBeLessThanOrEqual(Math.ceil((n + 1) / 4));
  });

  it('scores the drop in the target probability, and contrast = drop(A) - drop(B)', async () => {
    const [enc] = await engine.encode([text]);
    const a = await occlusion(engine, enc, { granularity: 'token', target: 0 });
    const b = await occlusion(engine, enc, { granularity: 'token', target: 3 });
    const ab = await occlusion(engine, enc, { granularity: 'token', target: 0, contrast: 3 });
    ab.scores.forEach((s, i) => expect(s).toBeCloseTo(a.scores[i] - b.scores[i], 6));
    expect(a.predicted).toBe(a.probabilities.indexOf(Math.max(...a.probabilities)));
    // token scores add up to unit scores
    const sum = [...a.tokenScores.values()].reduce((x, y) => x + y, 0);
    expect(sum).toBeCloseTo(a.scores.reduce((x, y) => x + y, 0), 9);
  });

  it('supports the attention-mask baseline and sliding windows that cover every token', async () => {
    const [enc] = await engine.encode([text]);
    const masked = await occlusion(engine, enc, { granularity: 'word', baseline: 'mask' });
    const attention = await occlusion(engine, enc, { granularity: 'word', baseline: 'attention' });
    expect(attention.scores).not.toEqual(masked.scores);
    const w = await occlusion(engine, enc, { granularity: 'window', windowSize: 3, windowStride: 2 });
    const nonSpecial = enc.special.filter((s) => !s).length;
    expect(w.tokenScores.size).toBe(nonSpecial);
  });

  it('computes identical perturbations once', async () => {
    const one = await createInferenceEngine(miniModelDir, { batchSize: 1 });
    const counted = countingEngine(one);
    const ids = [0, 50, 60, 2];
    const r = await scorePerturbations(counted, [{ ids }, { ids: [...ids] }, { ids: [0, 4, 60, 2] }, { ids }]);
    expect(counted.calls()).toBe(2);
    expect(r.probabilities[0]).toEqual(r.probabilities[3]);
    await one.dispose();
  });
});
