import { describe, expect, it } from 'vitest';
import { classificationReport } from './classification-metrics.js';

describe('classificationReport', () => {
  it('computes accuracy, per-class F1 and macro-F1 as worked by hand', () => {
    // gold:      0 0 1 1 2
    // predicted: 0 1 1 1 0
    // class 0: tp 1, fp 1, fn 1 -> F1 0.5; class 1: tp 2, fp 1, fn 0 -> F1 0.8; class 2: 0
    const r = classificationReport([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], 3);
    expect(r.n).toBe(5);
    expect(r.accuracy).toBeCloseTo(0.6, 12);
    expect(r.f1[0]).toBeCloseTo(0.5, 12);
    expect(r.f1[1]).toBeCloseTo(0.8, 12);
    expect(r.f1[2]).toBe(0);
    expect(r.macroF1).toBeCloseTo(1.3 / 3, 12);
    expect(r.precision[1]).toBeCloseTo(2 / 3, 12);
    expect(r.recall[0]).toBeCloseTo(0.5, 12);
    expect(r.confusion).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 0],
    ]);
  });

  it('rejects mismatched lengths', () => {
    expect(() => classificationReport([0, 1], [0], 2)).toThrow(RangeError);
  });
});
