import { describe, expect, it } from 'vitest';
import { apsScore, conformalQuantile, fitAps, fitLac, fitMondrianLac, meanSetSize, setCoverage } from './conformal.js';
import { mulberry32 } from './random.js';
import { applyTemperature, fitTemperature } from './temperature.js';
import { expectGlassboxError } from './test-errors.js';
import { HAS_GOLDEN, loadGolden } from './test-golden.js';

describe('conformalQuantile', () => {
  it('takes the ceil((n+1)(1-alpha))-th smallest score', () => {
    const scores = [0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6];
    expect(conformalQuantile(scores, 0.2)).toBe(0.8); // ceil(10 * 0.8) = 8
    expect(conformalQuantile(scores, 0.25)).toBe(0.8); // ceil(7.5) = 8
    expect(conformalQuantile(scores, 0.35)).toBe(0.7); // ceil(6.5) = 7
    expect(conformalQuantile(scores, 0.1)).toBe(0.9); // ceil(9) = 9, not 10 despite float rounding
  });

  it('is Infinity when the rank exceeds n', () => {
    expect(conformalQuantile([0.1, 0.2, 0.3], 0.1)).toBe(Infinity); // ceil(3.6) = 4 > 3
  });

  it('rejects alpha outside (0, 1)', () => {
    expectGlassboxError(() => conformalQuantile([0.1], 0), 'INVALID_OPTION', /alpha must be a number strictly between 0 and 1/);
  });
});

describe('fitLac', () => {
  it('keeps every class with 1 - p_k <= qhat', () => {
    // calibration scores 1 - p_label: 0.1 0.3 0.6 0.2; alpha 0.4 -> ceil(5 * 0.6) = 3rd smallest = 0.3
    const cal = [0.9, 0.1, 0.7, 0.3, 0.6, 0.4, 0.2, 0.8];
    const lac = fitLac(cal, [0, 0, 1, 1], 2, { alpha: 0.4 });
    expect(lac.alpha).toBe(0.4);
    expect(lac.qhat).toBeCloseTo(0.3, 15);
    expect(lac.predict([0.75, 0.25, 0.5, 0.5, 0.69, 0.31])).toEqual([[0], [], []]);
    expect(lac.predict([0.7, 0.3])).toEqual([[0]]);
  });

  it('keeps every class when calibration is too small for alpha', () => {
    const lac = fitLac([0.9, 0.1], [0], 2, { alpha: 0.1 });
    expect(lac.predict([0.99, 0.01])).toEqual([[0, 1]]);
  });
});

describe('fitMondrianLac', () => {
  it('uses one threshold per class from that class rows only', () => {
    // class 0 scores 0.1 0.3 0.2, class 1 scores 0.4 0.6 0.5; alpha 0.5 -> ceil(4 * 0.5) = 2nd smallest
    const cal = [0.9, 0.1, 0.7, 0.3, 0.8, 0.2, 0.4, 0.6, 0.6, 0.4, 0.5, 0.5];
    const m = fitMondrianLac(cal, [0, 0, 0, 1, 1, 1], 2, { alpha: 0.5 });
    expect(m.qhat[0]).toBeCloseTo(0.2, 15);
    expect(m.qhat[1]).toBeCloseTo(0.5, 15);
    expect(m.predict([0.75, 0.25, 0.45, 0.55])).toEqual([[], [1]]);
  });
});

describe('fitAps', () => {
  it('scores a label by the mass ranked above it plus u times its own probability', () => {
    expect(apsScore([0.2, 0.5, 0.3], 0, 2, 3, 0.5)).toBeCloseTo(0.5 + 0.15, 15);
    expect(apsScore([0.2, 0.5, 0.3], 0, 1, 3, 1)).toBeCloseTo(0.5, 15);
  });

  it('predicts top-ranked prefixes, reproducibly per seed', () => {
    const cal: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 200; i++) {
      cal.push(0.6, 0.3, 0.1);
      labels.push(i % 10 < 6 ? 0 : i % 10 < 9 ? 1 : 2);
    }
    const aps = fitAps(cal, labels, 3, { alpha: 0.2, seed: 4 });
    const again = fitAps(cal, labels, 3, { alpha: 0.2, seed: 4 });
    expect(again.qhat).toBe(aps.qhat);
    const test = cal.slice(0, 60);
    const sets = aps.predict(test);
    expect(aps.predict(test)).toEqual(sets);
    for (const set of sets) expect([[], [0], [0, 1], [0, 1, 2]]).toContainEqual(set);
    // scores of label 0 lie in [0, .6], label 1 in [.6, .9]: the 80% quantile sits in label 1's range
    expect(aps.qhat).toBeGreaterThan(0.6);
    expect(aps.qhat).toBeLessThan(0.9);
  });

  it('keeps exactly the classes whose APS score with the row U is <= qhat', () => {
    const cal = [0.5, 0.3, 0.2, 0.6, 0.3, 0.1, 0.4, 0.4, 0.2, 0.7, 0.2, 0.1, 0.5, 0.25, 0.25];
    const aps = fitAps(cal, [1, 0, 2, 1, 2], 3, { alpha: 0.3, seed: 8 });
    const test = [0.5, 0.3, 0.2, 0.2, 0.7, 0.1, 0.34, 0.33, 0.33];
    for (let seed = 0; seed < 20; seed++) {
      const rng = mulberry32(seed);
      const expected = [0, 1, 2].map((row) => {
        const u = rng();
        return [0, 1, 2].filter((k) => apsScore(test, row, k, 3, u) <= aps.qhat);
      });
      expect(aps.predict(test, seed)).toEqual(expected);
    }
  });
});

describe('setCoverage / meanSetSize', () => {
  it('count label hits and set sizes', () => {
    expect(setCoverage([[0, 1], [2], []], [1, 0, 0])).toBeCloseTo(1 / 3, 15);
    expect(meanSetSize([[0, 1], [2], []])).toBe(1);
    expectGlassboxError(() => setCoverage([[0]], [0, 1]), 'INVALID_INPUT', /one per row/);
  });
});

describe.skipIf(!HAS_GOLDEN)('golden fixture: split conformal', () => {
  function temperatureScaled(): { cal: Float64Array; test: Float64Array; g: ReturnType<typeof loadGolden> } {
    const g = loadGolden();
    const { temperature } = fitTemperature(g.calibration.logits, g.calibration.labels, g.classes);
    return {
      g,
      cal: applyTemperature(g.calibration.logits, temperature, g.classes),
      test: applyTemperature(g.test.logits, temperature, g.classes),
    };
  }

  it('reproduces conformal_lac (qhat, coverage, mean_set_size)', () => {
    const { g, cal, test } = temperatureScaled();
    const want = g.expected.conformal_lac;
    const lac = fitLac(cal, g.calibration.labels, g.classes, { alpha: want.alpha });
    const sets = lac.predict(test);
    expect(Math.abs(lac.qhat - want.qhat)).toBeLessThan(1e-4);
    expect(Math.abs(setCoverage(sets, g.test.labels) - want.coverage)).toBeLessThan(1e-4);
    expect(Math.abs(meanSetSize(sets) - want.mean_set_size)).toBeLessThan(1e-4);
  });

  it('APS and Mondrian LAC cover close to 1 - alpha on the test rows', () => {
    const { g, cal, test } = temperatureScaled();
    const aps = fitAps(cal, g.calibration.labels, g.classes, { alpha: 0.1, seed: 1 });
    expect(Math.abs(setCoverage(aps.predict(test), g.test.labels) - 0.9)).toBeLessThan(0.03);
    const mondrian = fitMondrianLac(cal, g.calibration.labels, g.classes, { alpha: 0.1 });
    const sets = mondrian.predict(test);
    expect(Math.abs(setCoverage(sets, g.test.labels) - 0.9)).toBeLessThan(0.03);
    for (let k = 0; k < g.classes; k++) {
      const rows = Array.from(g.test.labels.keys()).filter((i) => g.test.labels[i] === k);
      if (rows.length < 100) continue;
      const covered = rows.filter((i) => sets[i].includes(k)).length / rows.length;
      expect(covered).toBeGreaterThan(0.83);
    }
  });
});
