import { describe, expect, it } from 'vitest';
import {
  assertBoundaries,
  bucketCounts,
  bucketIndex,
  CONFIDENCE_BUCKETS,
  DURATION_BUCKETS,
  ENTROPY_BUCKETS,
  MARGIN_BUCKETS,
} from './buckets.js';

describe('bucket boundaries', () => {
  it('are finite and strictly increasing', () => {
    for (const b of [CONFIDENCE_BUCKETS, MARGIN_BUCKETS, ENTROPY_BUCKETS, DURATION_BUCKETS]) {
      expect(() => assertBoundaries(b)).not.toThrow();
    }
  });

  it('cover each signal range', () => {
    expect(CONFIDENCE_BUCKETS[0]).toBeGreaterThan(1 / 7);
    expect(CONFIDENCE_BUCKETS.at(-1)).toBeLessThan(1);
    expect(MARGIN_BUCKETS.at(-1)).toBeLessThan(1);
    expect(ENTROPY_BUCKETS.at(-1)).toBeLessThan(Math.log2(7));
  });
});

describe('bucketIndex / bucketCounts', () => {
  const boundaries = [0.2, 0.5, 0.9];

  it('is upper-inclusive like Prometheus le', () => {
    expect(bucketIndex(0.2, boundaries)).toBe(0);
    expect(bucketIndex(0.2000001, boundaries)).toBe(1);
    expect(bucketIndex(0.9, boundaries)).toBe(2);
    expect(bucketIndex(0.95, boundaries)).toBe(3);
    expect(bucketIndex(-1, boundaries)).toBe(0);
    expect(bucketIndex(Infinity, boundaries)).toBe(3);
  });

  it('counts into boundaries.length + 1 buckets, the last being +Inf', () => {
    expect(Array.from(bucketCounts([0.1, 0.2, 0.3, 0.5, 0.9, 1], boundaries))).toEqual([2, 2, 1, 1]);
    expect(Array.from(bucketCounts([], boundaries))).toEqual([0, 0, 0, 0]);
  });

  it('rejects NaN values and malformed boundaries with coded errors', () => {
    expect(() => bucketCounts([0.1, NaN], boundaries)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => assertBoundaries([])).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => assertBoundaries([0.5, 0.5])).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => assertBoundaries([0.5, Infinity])).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});
