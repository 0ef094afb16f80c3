import { describe, expect, it } from 'vitest';
import { logSumExp, softmaxRows64 } from './log-softmax.js';

describe('softmaxRows64', () => {
  it('normalises each row in float64, after scaling the logits', () => {
    const p = softmaxRows64([1, 2, 3, 0, 0, 0], 3);
    expect(p[0]).toBeCloseTo(0.09003057317038046, 15);
    expect(p[2]).toBeCloseTo(0.6652409557748219, 15);
    expect(p[3]).toBeCloseTo(1 / 3, 15);
    const half = softmaxRows64([0, 2], 2, 0.5);
    expect(half[1]).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
  });

  it('is stable for large logits', () => {
    const p = softmaxRows64([1000, 1001], 2);
    expect(p[1]).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
  });
});

describe('logSumExp', () => {
  it('computes ln sum exp over a slice without overflow', () => {
    expect(logSumExp([9, 0, 0, 9], 1, 2)).toBeCloseTo(Math.log(2), 15);
    expect(logSumExp([1000, 1000], 0, 2)).toBeCloseTo(1000 + Math.log(2), 10);
    expect(logSumExp([-Infinity, -Infinity], 0, 2)).toBe(-Infinity);
  });
});
