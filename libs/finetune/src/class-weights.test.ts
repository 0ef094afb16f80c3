import { describe, expect, it } from 'vitest';
import { classCounts, classWeights } from './class-weights.js';

describe('classWeights', () => {
  it('auto is inverse frequency n / (k x count), as scikit-learn balanced', () => {
    const counts = classCounts([0, 0, 0, 1], 2);
    expect(counts).toEqual([3, 1]);
    expect([...classWeights(counts, 'auto')]).toEqual([4 / 6, 4 / 2]);
    // each class then carries the same total weight
    const w = classWeights(counts, 'auto');
    expect(w[0] * counts[0]).toBeCloseTo(w[1] * counts[1], 12);
  });

  it('none is all ones; a class without rows gets 0 under auto', () => {
    expect([...classWeights([5, 2], 'none')]).toEqual([1, 1]);
    expect([...classWeights([2, 0, 2], 'auto')]).toEqual([1, 0, 1]);
  });

  it('counts only the given rows', () => {
    expect(classCounts([0, 1, 1, 2], 3, [1, 3])).toEqual([0, 1, 1]);
  });
});
