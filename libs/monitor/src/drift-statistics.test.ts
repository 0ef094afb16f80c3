import { describe, expect, it } from 'vitest';
import { driftStatistics, fromCumulative } from './drift-statistics.js';
import { createPluginRegistry, type DriftInput } from '@glassbox/core';
import { BUILTIN_DRIFT_STATISTICS } from './statistics/builtin-statistics.js';

// Golden values from scipy 1.17 (jensenshannon base 2, chi2_contingency without correction) and
// numpy for PSI with 0.5 pseudo-counts.
describe('driftStatistics', () => {
  it('matches hand-worked values for [10, 20, 30] vs [20, 20, 20]', () => {
    const s = driftStatistics([10, 20, 30], [20, 20, 20]);
    // Shares with pseudo-counts: (10.5, 20.5, 30.5) / 61.5 against 20.5 / 61.5 each.
    expect(s.psi).toBeCloseTo(0.17339047584551023, 12);
    expect(s.jsDistance).toBeCloseTo(0.1803606400066241, 12);
    // CDFs 1/6, 1/2 against 1/3, 2/3.
    expect(s.ks).toBeCloseTo(1 / 6, 12);
    expect(s.chiSquare.statistic).toBeCloseTo(16 / 3, 12);
    expect(s.chiSquare.df).toBe(2);
    expect(s.chiSquare.pValue).toBeCloseTo(0.0694834512228015, 12);
    expect(s.n).toBe(60);
    expect(s.m).toBe(60);
  });

  it('stays finite with empty bins and drops bins empty on both sides from the chi-square df', () => {
    const s = driftStatistics([0, 5, 5, 0], [10, 0, 10, 0]);
    // PSI over the 3 bins holding data (the last, empty on both sides, takes no pseudo-count):
    // c = (0.5, 5.5, 5.5) / 11.5, r = (10.5, 0.5, 10.5) / 21.5.
    expect(s.psi).toBeCloseTo(2.452081918105989, 12);
    expect(s.jsDistance).toBeCloseTo(Math.SQRT1_2, 12);
    expect(s.chiSquare.statistic).toBeCloseTo(15, 10);
    expect(s.chiSquare.df).toBe(2);
    expect(s.chiSquare.pValue).toBeCloseTo(0.0005530843701478338, 12);
  });

  it('handles a sparse window against a large label reference', () => {
    const s = driftStatistics([3, 0, 1, 0, 2, 0, 0], [100, 40, 80, 300, 350, 90, 40]);
    expect(s.psi).toBeCloseTo(0.8822930833077678, 12);
    expect(s.jsDistance).toBeCloseTo(0.5927566989451305, 12);
    expect(s.chiSquare.statistic).toBeCloseTo(12.70150179882246, 10);
    expect(s.chiSquare.df).toBe(6);
    expect(s.chiSquare.pValue).toBeCloseTo(0.048028759824306995, 10);
  });

  it('is zero for identical shares and scale-free in the totals', () => {
    const s = driftStatistics([1, 2, 3], [10, 20, 30]);
    expect(s.jsDistance).toBe(0);
    expect(s.ks).toBeCloseTo(0, 15);
    expect(s.chiSquare.statistic).toBeCloseTo(0, 12);
    expect(s.chiSquare.pValue).toBeCloseTo(1, 12);
    // PSI is not exactly 0: pseudo-counts weigh more in the smaller sample.
    expect(s.psi).toBeGreaterThan(0);
    expect(s.psi).toBeLessThan(0.02);
  });

  it('reaches the JS and KS maxima for disjoint supports', () => {
    const s = driftStatistics([5, 0], [0, 7]);
    expect(s.jsDistance).toBeCloseTo(1, 12);
    expect(s.ks).toBe(1);
  });

  it('returns the documented no-evidence value when either side is empty', () => {
    expect(driftStatistics([0, 0, 0], [1, 2, 3])).toEqual({
      psi: 0,
      jsDistance: 0,
      ks: 0,
      chiSquare: { statistic: 0, df: 2, pValue: 1 },
      // Every statistic is 0; effects are those of statistics with one besides their value.
      values: Object.fromEntries(BUILTIN_DRIFT_STATISTICS.map((p) => [p.name, 0])),
      effects: Object.fromEntries(BUILTIN_DRIFT_STATISTICS.filter((p) => p.effect).map((p) => [p.name, 0])),
      bins: 3,
      n: 0,
      m: 6,
    });
  });

  it('holds every registered statistic that applies to the signal in values, equal to the named fields', () => {
    const numeric = driftStatistics([10, 20, 30], [30, 20, 10], { edges: [0.5, 0.8] });
    expect(Object.keys(numeric.values)).toEqual(BUILTIN_DRIFT_STATISTICS.filter((p) => p.signals.includes('numeric')).map((p) => p.name));
    expect(numeric.values).toMatchObject({ psi: numeric.psi, 'js-distance': numeric.jsDistance, ks: numeric.ks });
    const labels = driftStatistics([10, 20, 30], [30, 20, 10], { edges: null });
    expect(Object.keys(labels.values)).toEqual(BUILTIN_DRIFT_STATISTICS.filter((p) => p.signals.includes('categorical')).map((p) => p.name));
    expect(labels.values['chi-square']).toBe(labels.chiSquare.statistic);
    expect(labels.effects['chi-square']).toBe(labels.jsDistance);
  });

  it('computes whatever the registry holds (a registered third-party statistic, with its options)', () => {
    const registry = createPluginRegistry('drift-statistic');
    registry.register({
      kind: 'drift-statistic',
      name: 'total-variation',
      description: 'Half the L1 distance of the shares.',
      signals: ['numeric', 'categorical'],
      options: { scale: { type: 'number', default: 1 } },
      compute: ({ current, reference }: DriftInput, { scale }: { scale: number }) => {
        const n = current.reduce((a, b) => a + b, 0);
        const m = reference.reduce((a, b) => a + b, 0);
        return (scale * current.reduce((d, c, i) => d + Math.abs(c / n - reference[i] / m), 0)) / 2;
      },
    });
    const s = driftStatistics([10, 30], [30, 10], { edges: [0.5], statistics: registry, statisticOptions: { 'total-variation': { scale: 2 } } });
    expect(s.values).toEqual({ 'total-variation': 1 });
  });

  it('accepts typed arrays', () => {
    const a = driftStatistics(Float64Array.of(10, 20, 30), Uint32Array.of(20, 20, 20));
    expect(a.psi).toBeCloseTo(driftStatistics([10, 20, 30], [20, 20, 20]).psi, 15);
  });

  it('rejects mismatched or invalid counts with coded errors', () => {
    expect(() => driftStatistics([1, 2], [1, 2, 3])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => driftStatistics([1], [1])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => driftStatistics([1, -1], [1, 2])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => driftStatistics([1, NaN], [1, 2])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => driftStatistics([1, 2], [1, 2], { pseudoCount: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });
});

describe('fromCumulative', () => {
  it('differences Prometheus le buckets, the last being +Inf (the total)', () => {
    expect(Array.from(fromCumulative([2, 5, 5, 9]))).toEqual([2, 3, 0, 4]);
  });

  it('gives the same statistics as in-process counts', () => {
    const counts = [4, 7, 1, 0, 8];
    const cumulative = counts.map((_, i) => counts.slice(0, i + 1).reduce((a, b) => a + b, 0));
    const reference = [10, 10, 10, 10, 10];
    expect(driftStatistics(fromCumulative(cumulative), reference)).toEqual(driftStatistics(counts, reference));
  });

  it('clamps rounding noise and rejects decreasing series', () => {
    expect(Array.from(fromCumulative([2.0000001, 2, 3]))).toEqual([2.0000001, 0, expect.closeTo(1, 6)]);
    expect(() => fromCumulative([5, 3, 9])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
