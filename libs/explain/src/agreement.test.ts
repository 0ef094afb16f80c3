import { describe, expect, it } from 'vitest';
import { kendallTau, topKOverlap } from './agreement.js';

describe('agreement between methods', () => {
  it('Kendall tau: 1 for the same order, -1 reversed, tau-b with ties as scipy.stats.kendalltau', () => {
    expect(kendallTau([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(kendallTau([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    // scipy.stats.kendalltau([1,2,2,3],[1,3,2,4]) -> 0.9128709291752769 (tau-b)
    expect(kendallTau([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(0.9128709291752769, 12);
    expect(kendallTau([1, 1, 1], [1, 2, 3])).toBeNaN();
  });

  it('top-k overlap counts shared top units', () => {
    expect(topKOverlap([0.9, 0.1, 0.5, 0.3], [0.2, 0.1, 0.9, 0.8], 2)).toBe(0.5);
    expect(topKOverlap([3, 2, 1], [3, 2, 1], 5)).toBe(1);
  });
});
