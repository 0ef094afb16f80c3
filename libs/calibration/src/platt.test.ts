import { describe, expect, it } from 'vitest';
import { accuracy, brier, ece, mce, nll } from './metrics.js';
import { applyPlatt, fitPlatt, fitSigmoid } from './platt.js';
import { mulberry32 } from './random.js';
import { expectGlassboxError } from './test-errors.js';
import { HAS_GOLDEN, loadGolden } from './test-golden.js';

/** Gradient of Platt's smoothed log loss at (a, b), recomputed here from the definition. */
function plattGradient(z: number[], y: number[], a: number, b: number): [number, number] {
  const nPos = y.filter((v) => v === 1).length;
  const nNeg = y.length - nPos;
  let ga = 0;
  let gb = 0;
  z.forEach((zi, i) => {
    const t = y[i] === 1 ? (nPos + 1) / (nPos + 2) : 1 / (nNeg + 2);
    const s = 1 / (1 + Math.exp(a * zi + b));
    ga += (t - s) * zi;
    gb += t - s;
  });
  return [ga, gb];
}

describe('fitSigmoid', () => {
  it('reaches a stationary point of the smoothed log loss', () => {
    const rng = mulberry32(2);
    const z: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 500; i++) {
      const score = 4 * rng() - 2;
      z.push(score);
      y.push(rng() < 1 / (1 + Math.exp(-2 * score + 0.5)) ? 1 : 0);
    }
    const { a, b } = fitSigmoid(z, y);
    const [ga, gb] = plattGradient(z, y, a, b);
    expect(Math.abs(ga)).toBeLessThan(1e-7);
    expect(Math.abs(gb)).toBeLessThan(1e-7);
    // s = 1/(1+exp(a z + b)) increases with z here, so a < 0, near the generating slope -2.
    expect(a).toBeLessThan(-1.5);
    expect(a).toBeGreaterThan(-2.5);
  });

  it('stays finite on separable data thanks to the smoothed targets', () => {
    const { a, b } = fitSigmoid([-2, -1, 1, 2], [0, 0, 1, 1]);
    expect(Number.isFinite(a) && Number.isFinite(b)).toBe(true);
    const [ga, gb] = plattGradient([-2, -1, 1, 2], [0, 0, 1, 1], a, b);
    expect(Math.abs(ga) + Math.abs(gb)).toBeLessThan(1e-7);
  });
});

describe('applyPlatt', () => {
  it('renormalises the per-class sigmoids of each row', () => {
    const params = [
      { a: -1, b: 0 },
      { a: -2, b: 1 },
    ];
    const p = applyPlatt([1, 2], params, 2);
    const s0 = 1 / (1 + Math.exp(-1));
    const s1 = 1 / (1 + Math.exp(-3));
    expect(p[0]).toBeCloseTo(s0 / (s0 + s1), 12);
    expect(p[1]).toBeCloseTo(s1 / (s0 + s1), 12);
  });

  it('requires one parameter pair per class', () => {
    expectGlassboxError(() => applyPlatt([1, 2], [{ a: 1, b: 0 }], 2), 'INVALID_OPTION', /one \{a, b\} per class: 2 expected, got 1/);
  });
});

describe.skipIf(!HAS_GOLDEN)('golden fixture: one-vs-rest Platt scaling', () => {
  it('reproduces platt_ovr_params to 1e-3 relative', () => {
    const g = loadGolden();
    const params = fitPlatt(g.calibration.logits, g.calibration.labels, g.classes);
    expect(params).toHaveLength(g.expected.platt_ovr_params.length);
    params.forEach((p, k) => {
      expect(Math.abs(p.a / g.expected.platt_ovr_params[k].a - 1)).toBeLessThan(1e-3);
      expect(Math.abs(p.b / g.expected.platt_ovr_params[k].b - 1)).toBeLessThan(1e-3);
    });
  });

  it('reproduces test_platt', () => {
    const g = loadGolden();
    const k = g.classes;
    const probs = applyPlatt(g.test.logits, fitPlatt(g.calibration.logits, g.calibration.labels, k), k);
    const want = g.expected.test_platt;
    expect(Math.abs(accuracy(probs, g.test.labels, k) - want.accuracy)).toBeLessThan(1e-4);
    expect(Math.abs(ece(probs, g.test.labels, k) - want.ece15)).toBeLessThan(1e-4);
    expect(Math.abs(mce(probs, g.test.labels, k) - want.mce15)).toBeLessThan(1e-4);
    expect(Math.abs(brier(probs, g.test.labels, k) - want.brier)).toBeLessThan(1e-4);
    expect(Math.abs(nll(probs, g.test.labels, k) - want.nll)).toBeLessThan(1e-4);
  });
});
