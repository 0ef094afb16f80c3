import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceEngine, type InferenceEngine } from '../engine/inference-engine.js';
import { softmaxRows } from '../math/softmax.js';
import type { AbstentionRule, Calibrator, PipelineResult, PredictionObserver } from '../plugins/plugin-types.js';
import { miniModelDir } from '../test-support.js';
import { createPipeline } from './pipeline.js';

// Temperature 4: flattens every distribution, so calibrated scores fall below raw ones.
const flatten: Calibrator = {
  kind: 'calibrator',
  name: 'temperature-4',
  calibrate: (logits, k) => softmaxRows(logits.map((v) => v / 4), k),
};
const belowHalf: AbstentionRule = {
  kind: 'abstention',
  name: 'max-probability',
  decide: (p) => {
    const max = Math.max(...Array.from(p));
    return max < 0.5 ? { abstain: true, reason: `max probability ${max.toFixed(2)} < 0.50` } : { abstain: false };
  },
};

describe('pipeline: classify -> calibrate -> abstain -> observe', () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await createInferenceEngine(miniModelDir);
  });
  afterAll(() => engine.dispose());

  it('calibrates, keeps the raw view, abstains with a reason and feeds observers', async () => {
    const seen: PipelineResult[] = [];
    const observer: PredictionObserver = { kind: 'observer', name: 'collect', observe: (r) => void seen.push(r) };
    const pipeline = createPipeline({ engine, calibrator: flatten, abstention: [belowHalf], observers: [observer] });
    const [r] = await pipeline.run('I am so happy for you, congratulations!');
    expect(r.calibrator).toBe('temperature-4');
    expect(r.score).toBeLessThan(r.raw.score);
    expect(Object.values(r.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(r.abstained).toBe(r.score < 0.5);
    if (r.abstained) expect(r.abstentionReason).toMatch(/max probability/);
    expect(seen).toEqual([r]);
  });

  it('never lets a failing observer fail a prediction', async () => {
    const errors: unknown[] = [];
    const broken: PredictionObserver = {
      kind: 'observer',
      name: 'broken',
      observe: () => {
        throw new Error('exporter down');
      },
    };
    const rejecting: PredictionObserver = { kind: 'observer', name: 'rejecting', observe: async () => Promise.reject(new Error('async failure')) };
    const pipeline = createPipeline({ engine, observers: [broken, rejecting], onObserverError: (e) => errors.push(e) });
    const results = await pipeline.run(['fine', 'also fine']);
    expect(results).toHaveLength(2);
    expect(results[0].calibrator).toBeNull();
    expect(results[0].probabilities).toEqual(results[0].raw.probabilities);
    await new Promise((r) => setImmediate(r));
    expect(errors.map((e) => (e as Error).message)).toEqual(['exporter down', 'exporter down', 'async failure', 'async failure']);
  });
});
