import { describe, expect, it } from 'vitest';
import { binningOptions, equalMassBins, equalWidthBins } from './binning.js';
import { expectGlassboxError } from './test-errors.js';

describe('equalWidthBins', () => {
  it('puts a value on an edge into the bin below it: bin b = (b/B, (b+1)/B]', () => {
    const { index, lower, upper } = equalWidthBins([0, 1 / 15, 2 / 15, 0.5, 14 / 15, 1, 0.0667], 15);
    expect(Array.from(index)).toEqual([0, 0, 1, 7, 13, 14, 1]);
    expect(lower[0]).toBe(0);
    expect(upper[14]).toBe(1);
    expect(lower).toHaveLength(15);
  });

  it('handles edges whose float product rounds up (0.6 with 5 bins lies in (0.4, 0.6])', () => {
    expect(Array.from(equalWidthBins([0.6, 0.6000000000000002, 0.2, 0.8], 5).index)).toEqual([2, 3, 0, 3]);
    // 0.1 + 0.2 equals the edge 3 * (1/10) although (0.1 + 0.2) * 10 > 3
    expect(Array.from(equalWidthBins([0.1 + 0.2], 10).index)).toEqual([2]);
  });

  it('handles values one ulp above an edge whose product rounds down', () => {
    // 0.7333333333333334 > 11 * (1/15) = 0.7333333333333333, yet ceil(value * 15) - 1 = 10
    expect(Array.from(equalWidthBins([0.7333333333333334, 0.7333333333333333], 15).index)).toEqual([11, 10]);
  });
});

describe('equalMassBins', () => {
  it('splits sorted rows into bins whose sizes differ by at most one', () => {
    const values = [0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8];
    const { index, lower, upper } = equalMassBins(values, 3);
    // ranks: 0.1 0.2 0.3 | 0.5 0.7 | 0.8 0.9 -> floor(r * 3 / 7): 0 0 0 1 1 2 2
    expect(Array.from(index)).toEqual([2, 0, 1, 0, 1, 0, 2]);
    expect(lower).toEqual([0, 0.3, 0.7]);
    expect(upper).toEqual([0.3, 0.7, 1]);
  });

  it('leaves bins empty when there are fewer rows than bins', () => {
    const { index, upper } = equalMassBins([0.4, 0.6], 4);
    expect(Array.from(index)).toEqual([0, 2]);
    expect(upper).toEqual([0.4, 0.4, 0.6, 1]);
  });
});

describe('binningOptions', () => {
  it('defaults to 15 equal-width bins and rejects bad values', () => {
    expect(binningOptions()).toEqual({ bins: 15, scheme: 'equal-width' });
    expectGlassboxError(() => binningOptions({ bins: 0 }), 'INVALID_OPTION', /bins must be an integer >= 1/);
    expectGlassboxError(
      () => binningOptions({ scheme: 'quantile' as never }),
      'INVALID_OPTION',
      /scheme must be one of equal-width, equal-mass/,
    );
  });
});
