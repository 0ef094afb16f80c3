import { describe, expect, it } from 'vitest';
import { argmax, softmax, softmaxRows } from './softmax.js';

describe('softmax', () => {
  it('matches the hand-worked values for [1, 2, 3]', () => {
    // e^1, e^2, e^3 over their sum 30.1928...
    const p = softmax([1, 2, 3]);
    expect(p[0]).toBeCloseTo(0.09003057, 7);
    expect(p[1]).toBeCloseTo(0.24472847, 7);
    expect(p[2]).toBeCloseTo(0.66524096, 7);
  });

  it('is stable for large logits and sums to 1', () => {
    const p = softmax([1000, 1001, 999]);
    expect(p.every(Number.isFinite)).toBe(true);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(argmax(p)).toBe(1);
  });

  it('normalises each row of a matrix independently', () => {
    const p = softmaxRows(new Float32Array([0, 0, 5, 5, 1, 3]), 2);
    expect(Array.from(p.subarray(0, 2))).toEqual([0.5, 0.5]);
    expect(p[2]).toBeCloseTo(0.5, 6);
    expect(p[4]).toBeCloseTo(1 / (1 + Math.exp(2)), 6);
    expect(softmaxRows([], 3)).toHaveLength(0);
  });

  it('argmax returns the first maximum and -1 for empty input', () => {
    expect(argmax([0.2, 0.5, 0.5])).toBe(1);
    expect(argmax([])).toBe(-1);
    expect(argmax([9, 1, 4, 7], 2, 4)).toBe(1);
  });
});
