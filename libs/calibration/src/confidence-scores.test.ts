import { describe, expect, it } from 'vitest';
import { margin, maxProbability, negativeEntropy } from './confidence-scores.js';

describe('confidence scores', () => {
  const probs = [0.7, 0.2, 0.1, 0.4, 0.4, 0.2, 1, 0, 0];

  it('maxProbability is the top class probability', () => {
    expect(Array.from(maxProbability(probs, 3))).toEqual([0.7, 0.4, 1]);
  });

  it('margin is top-1 minus top-2 (0 on a tie)', () => {
    const m = margin(probs, 3);
    expect(m[0]).toBeCloseTo(0.5, 15);
    expect(m[1]).toBe(0);
    expect(m[2]).toBe(1);
  });

  it('negativeEntropy is sum p ln p with 0 ln 0 = 0', () => {
    const h = negativeEntropy(probs, 3);
    expect(h[0]).toBeCloseTo(0.7 * Math.log(0.7) + 0.2 * Math.log(0.2) + 0.1 * Math.log(0.1), 14);
    expect(h[2]).toBe(0);
    expect(h[1]).toBeLessThan(h[0]);
  });
});
