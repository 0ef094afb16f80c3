import { describe, expect, it } from 'vitest';
import { bootstrapCi, quantileSorted } from './bootstrap.js';
import { accuracy, brier, ece } from './metrics.js';
import { mulberry32 } from './random.js';
import { expectGlassboxError } from './test-errors.js';

/** n two-class rows with top probability 0.7, right with probability 0.6 (seeded). */
function sample(n: number): { probs: number[]; labels: number[] } {
  const rng = mulberry32(5);
  const probs: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    probs.push(0.7, 0.3);
    labels.push(rng() < 0.6 ? 0 : 1);
  }
  return { probs, labels };
}

describe('quantileSorted', () => {
  it('interpolates linearly like numpy', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0)).toBe(1);
    expect(quantileSorted([1, 2, 3, 4], 1)).toBe(4);
    expect(quantileSorted([10, 20], 0.25)).toBe(12.5);
  });
});

describe('bootstrapCi', () => {
  it('brackets the estimate with roughly the normal-approximation width for accuracy', () => {
    const { probs, labels } = sample(2000);
    const ci = bootstrapCi(probs, labels, 2, accuracy, { samples: 4000, seed: 1 });
    expect(ci.estimate).toBe(accuracy(probs, labels, 2));
    expect(ci.lower).toBeLessThan(ci.estimate);
    expect(ci.upper).toBeGreaterThan(ci.estimate);
    const normalWidth = 2 * 1.96 * Math.sqrt((ci.estimate * (1 - ci.estimate)) / 2000);
    expect((ci.upper - ci.lower) / normalWidth).toBeGreaterThan(0.96);
    expect((ci.upper - ci.lower) / normalWidth).toBeLessThan(1.04);
    // symmetric about the estimate, as the binomial is near-normal at n = 2000
    expect(Math.abs(ci.upper - ci.estimate - (ci.estimate - ci.lower))).toBeLessThan(0.04 * normalWidth);
  });

  it('is reproducible for a seed and changes with it', () => {
    const { probs, labels } = sample(300);
    const a = bootstrapCi(probs, labels, 2, ece, { samples: 200, seed: 3 });
    const b = bootstrapCi(Float64Array.from(probs), Int32Array.from(labels), 2, ece, { samples: 200, seed: 3 });
    const c = bootstrapCi(probs, labels, 2, ece, { samples: 200, seed: 4 });
    expect(b).toEqual(a);
    expect([c.lower, c.upper]).not.toEqual([a.lower, a.upper]);
  });

  it('gives a zero-width interval for a metric constant under resampling', () => {
    const ci = bootstrapCi([0.6, 0.4, 0.6, 0.4, 0.6, 0.4], [0, 0, 0], 2, brier, { samples: 50 });
    expect(ci.lower).toBeCloseTo(0.32, 12);
    expect(ci.upper).toBeCloseTo(0.32, 12);
  });

  it('rejects bad options', () => {
    const { probs, labels } = sample(10);
    expectGlassboxError(() => bootstrapCi(probs, labels, 2, accuracy, { level: 1 }), 'INVALID_OPTION', /strictly between 0 and 1/);
    expectGlassboxError(() => bootstrapCi(probs, labels, 2, accuracy, { samples: 0 }), 'INVALID_OPTION', /samples must be an integer >= 1/);
  });
});
