import { describe, expect, it } from 'vitest';
import { applyIsotonic, fitIsotonic, isotonicRegression, predictIsotonic } from './isotonic.js';
import { softmaxRows64 } from './log-softmax.js';
import { ece, nll } from './metrics.js';
import { expectGlassboxError } from './test-errors.js';
import { HAS_GOLDEN, loadGolden } from './test-golden.js';

describe('isotonicRegression (pool-adjacent-violators)', () => {
  it('matches a hand-worked example', () => {
    // y = 1 3 2 4 3 5: (3, 2) violate -> 2.5 2.5; (4, 3) violate -> 3.5 3.5
    const fit = isotonicRegression([1, 2, 3, 4, 5, 6], [1, 3, 2, 4, 3, 5]);
    expect(fit.x).toEqual([1, 2, 3, 4, 5, 6]);
    expect(fit.y).toEqual([1, 2.5, 2.5, 3.5, 3.5, 5]);
  });

  it('pools backwards across several blocks', () => {
    // 1, then 4 4 pooled with 0 -> (4+4+0)/3 = 8/3 > 1 ok; then 0.5 pulls the block down: (8+0.5)/4 = 2.125
    const fit = isotonicRegression([1, 2, 3, 4, 5], [1, 4, 4, 0, 0.5]);
    expect(fit.y).toEqual([1, 2.125, 2.125, 2.125, 2.125]);
  });

  it('weights points, merges equal x and sorts by x', () => {
    expect(isotonicRegression([1, 2], [3, 1], [1, 3]).y).toEqual([1.5, 1.5]);
    // x = 1 twice (mean 0.5, weight 2), then x = 2 with 0: pooled (1 + 0) / 3
    const fit = isotonicRegression([2, 1, 1], [0, 0, 1]);
    expect(fit.x).toEqual([1, 2]);
    expect(fit.y[0]).toBeCloseTo(1 / 3, 15);
    expect(fit.y[1]).toBeCloseTo(1 / 3, 15);
  });

  it('leaves a non-decreasing sequence unchanged', () => {
    expect(isotonicRegression([0.1, 0.2, 0.3], [0, 0.5, 1]).y).toEqual([0, 0.5, 1]);
  });

  it('rejects non-positive weights', () => {
    expectGlassboxError(() => isotonicRegression([1, 2], [0, 1], [1, 0]), 'INVALID_INPUT', /weights > 0/);
  });
});

describe('predictIsotonic', () => {
  it('interpolates linearly between fitted points and clips outside them', () => {
    const fit = { x: [0.2, 0.4, 0.8], y: [0, 0.5, 1] };
    expect(predictIsotonic(fit, 0.3)).toBeCloseTo(0.25, 15);
    expect(predictIsotonic(fit, 0.6)).toBeCloseTo(0.75, 15);
    expect(predictIsotonic(fit, 0.1)).toBe(0);
    expect(predictIsotonic(fit, 0.9)).toBe(1);
    expect(predictIsotonic(fit, 0.4)).toBe(0.5);
  });
});

describe('fitIsotonic / applyIsotonic', () => {
  it('fits each class one-vs-rest and renormalises rows', () => {
    // class 0 probabilities .9 .8 .3 .4 with outcomes 1 0 0 1 -> PAV on sorted (.3:0, .4:1, .8:0, .9:1)
    const probs = [0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.4, 0.6];
    const fits = fitIsotonic(probs, [0, 1, 1, 0], 2);
    expect(fits[0].y).toEqual([0, 0.5, 0.5, 1]);
    const out = applyIsotonic(probs, fits, 2);
    for (let i = 0; i < 4; i++) expect(out[2 * i] + out[2 * i + 1]).toBeCloseTo(1, 15);
  });

  it('gives a uniform row when every class maps to 0', () => {
    const fits = [
      { x: [0, 1], y: [0, 0] },
      { x: [0, 1], y: [0, 0] },
    ];
    expect(Array.from(applyIsotonic([0.3, 0.7], fits, 2))).toEqual([0.5, 0.5]);
  });

  it('requires one fit per class', () => {
    expectGlassboxError(() => applyIsotonic([0.3, 0.7], [], 2), 'INVALID_OPTION', /one isotonic fit per class/);
  });
});

describe.skipIf(!HAS_GOLDEN)('golden fixture: isotonic calibration', () => {
  it('fits non-decreasing maps that cut the over-confidence of the raw softmax', () => {
    const g = loadGolden();
    const k = g.classes;
    const calProbs = softmaxRows64(g.calibration.logits, k);
    const fits = fitIsotonic(calProbs, g.calibration.labels, k);
    for (const fit of fits) for (let i = 1; i < fit.y.length; i++) expect(fit.y[i]).toBeGreaterThanOrEqual(fit.y[i - 1]);
    const testProbs = softmaxRows64(g.test.logits, k);
    const calibrated = applyIsotonic(testProbs, fits, k);
    expect(ece(calibrated, g.test.labels, k)).toBeLessThan(ece(testProbs, g.test.labels, k) / 2);
    expect(ece(applyIsotonic(calProbs, fits, k), g.calibration.labels, k)).toBeLessThan(0.05);
    expect(Number.isFinite(nll(calibrated, g.test.labels, k))).toBe(true);
  });
});
