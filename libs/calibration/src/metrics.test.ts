import { describe, expect, it } from 'vitest';
import { softmaxRows64 } from './log-softmax.js';
import { accuracy, brier, classwiseEce, debiasedEce, ece, mce, nll, reliabilityDiagram, topLabel } from './metrics.js';
import { mulberry32 } from './random.js';
import { applyTemperature, fitTemperature } from './temperature.js';
import { expectGlassboxError } from './test-errors.js';
import { HAS_GOLDEN, loadGolden } from './test-golden.js';
import type { GoldenMetrics } from './test-golden.js';

// Four 2-class rows: top confidences 0.9 (right), 0.8 (wrong), 0.7 (right), 0.6 (wrong).
const probs = [0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.4, 0.6];
const labels = [0, 1, 1, 0];

describe('accuracy, brier, nll', () => {
  it('match the hand-worked values', () => {
    expect(accuracy(probs, labels, 2)).toBe(0.5);
    // (0.01+0.01) + (0.64+0.64) + (0.09+0.09) + (0.36+0.36) = 2.2, over 4 rows
    expect(brier(probs, labels, 2)).toBeCloseTo(0.55, 12);
    expect(nll(probs, labels, 2)).toBeCloseTo(-(Math.log(0.9) + Math.log(0.2) + Math.log(0.7) + Math.log(0.4)) / 4, 12);
  });

  it('clips probabilities at 1e-12 in nll and accepts typed arrays', () => {
    expect(nll(new Float32Array([1, 0]), new Int32Array([1]), 2)).toBeCloseTo(-Math.log(1e-12), 9);
    expect(accuracy(new Float64Array(probs), Int32Array.from(labels), 2)).toBe(0.5);
  });

  it('takes the first class on ties', () => {
    expect(Array.from(topLabel([0.5, 0.5, 0.5, 0.5], [0, 1], 2).correct)).toEqual([1, 0]);
  });
});

describe('ece, mce, reliabilityDiagram', () => {
  it('match a hand-worked example with 2 and 5 equal-width bins', () => {
    // 2 bins: all rows in (0.5, 1]: confidence 0.75, accuracy 0.5
    expect(ece(probs, labels, 2, { bins: 2 })).toBeCloseTo(0.25, 12);
    expect(mce(probs, labels, 2, { bins: 2 })).toBeCloseTo(0.25, 12);
    // 5 bins: (0.4,0.6] {0.6 wrong} gap 0.6; (0.6,0.8] {0.8 wrong, 0.7 right} gap 0.25; (0.8,1] {0.9 right} gap 0.1
    expect(ece(probs, labels, 2, { bins: 5 })).toBeCloseTo(0.25 * 0.6 + 0.5 * 0.25 + 0.25 * 0.1, 12);
    expect(mce(probs, labels, 2, { bins: 5 })).toBeCloseTo(0.6, 12);
  });

  it('reports every bin with its edges, counts and an empty flag', () => {
    const bins = reliabilityDiagram(probs, labels, 2, { bins: 5 });
    expect(bins.map((b) => b.count)).toEqual([0, 0, 1, 2, 1]);
    expect(bins.map((b) => b.empty)).toEqual([true, true, false, false, false]);
    expect(bins[3].meanConfidence).toBeCloseTo(0.75, 12);
    expect(bins[3].accuracy).toBe(0.5);
    expect(bins[3].lower).toBeCloseTo(0.6, 12);
    expect(bins[3].upper).toBeCloseTo(0.8, 12);
    expect(bins[0]).toMatchObject({ count: 0, meanConfidence: 0, accuracy: 0 });
  });

  it('supports equal-mass bins', () => {
    // 2 equal-mass bins: {0.6 wrong, 0.7 right} gap 0.15; {0.8 wrong, 0.9 right} gap 0.35
    expect(ece(probs, labels, 2, { bins: 2, scheme: 'equal-mass' })).toBeCloseTo(0.5 * 0.15 + 0.5 * 0.35, 12);
    expect(mce(probs, labels, 2, { bins: 2, scheme: 'equal-mass' })).toBeCloseTo(0.35, 12);
  });

  it('is zero for a perfectly calibrated bin', () => {
    expect(ece([0.75, 0.25, 0.75, 0.25, 0.75, 0.25, 0.75, 0.25], [0, 0, 0, 1], 2)).toBeCloseTo(0, 12);
  });
});

describe('classwiseEce', () => {
  it('averages the one-vs-rest ECE of each class', () => {
    // class 0: p0 = .9 .8 .3 .4, y = 1 0 0 1: (0,.5] gap |.5-.35|, (.5,1] gap |.5-.85| -> .5*.15 + .5*.35
    // class 1: p1 = .1 .2 .7 .6, y = 0 1 1 0: (0,.5] gap |.5-.15|, (.5,1] gap |.5-.65| -> .5*.35 + .5*.15
    expect(classwiseEce(probs, labels, 2, { bins: 2 })).toBeCloseTo(0.25, 12);
  });
});

describe('debiasedEce', () => {
  it('subtracts the bin variance a(1-a)/(n_b-1) from the squared gap (Kumar et al. 2019)', () => {
    // 6 rows, confidence 0.9, 3 right: one bin, (0.9-0.5)^2 - 0.25/5 = 0.11
    const p = [0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1];
    const y = [0, 0, 0, 1, 1, 1];
    expect(debiasedEce(p, y, 2, { bins: 1 })).toBeCloseTo(Math.sqrt(0.11), 12);
    // 2 bins of 3: {right, right, right} gap 0.1 var 0; {wrong x3} gap 0.9 var 0 -> sqrt(.5*.01 + .5*.81)
    expect(debiasedEce(p, [0, 0, 0, 1, 1, 1].map((_, i) => (i < 3 ? 0 : 1)), 2, { bins: 2 })).toBeCloseTo(Math.sqrt(0.41), 12);
  });

  it('clamps a negative estimate to 0 and ignores bins with fewer than 2 rows', () => {
    expect(debiasedEce(probs, labels, 2, { bins: 1 })).toBe(0); // .0625 - .25/3 < 0
    expect(debiasedEce(probs, labels, 2, { bins: 4 })).toBe(0);
  });

  it('removes the upward bias of the plug-in squared error, averaged over seeded samples', () => {
    // confidence 0.8 everywhere, right with probability 0.7: the true squared gap is 0.01, and the
    // plug-in over 15 bins of ~67 rows overshoots it by about 15 * 0.21 / 1000 = 0.0032.
    const n = 1000;
    const repeats = 100;
    let plugInSquared = 0;
    let debiasedSquared = 0;
    for (let seed = 0; seed < repeats; seed++) {
      const rng = mulberry32(seed);
      const p: number[] = [];
      const y: number[] = [];
      for (let i = 0; i < n; i++) {
        p.push(0.8, 0.2);
        y.push(rng() < 0.7 ? 0 : 1);
      }
      const bins = reliabilityDiagram(p, y, 2, { bins: 15, scheme: 'equal-mass' });
      plugInSquared += bins.reduce((s, b) => s + (b.count / n) * (b.meanConfidence - b.accuracy) ** 2, 0) / repeats;
      debiasedSquared += debiasedEce(p, y, 2) ** 2 / repeats;
    }
    expect(plugInSquared - 0.01).toBeGreaterThan(0.002);
    expect(Math.abs(debiasedSquared - 0.01)).toBeLessThan(0.001);
  });
});

describe('validation', () => {
  it('names the valid values in its errors', () => {
    expectGlassboxError(() => ece(probs, labels, 1), 'INVALID_OPTION', /numClasses must be an integer >= 2/);
    expectGlassboxError(() => ece([0.5, 0.5, 1], [0], 2), 'INVALID_INPUT', /whole number of rows/);
    expectGlassboxError(() => ece(probs, [0, 1, 2, 0], 2), 'INVALID_INPUT', /labels must be integers in 0\.\.1/);
    expectGlassboxError(() => brier(probs, [0, 1], 2), 'INVALID_INPUT', /one label per row/);
    expectGlassboxError(() => nll([], [], 2), 'INVALID_INPUT', /empty/);
    expectGlassboxError(() => nll([Number.NaN, 1], [0], 2), 'INVALID_INPUT', /finite/);
  });
});

describe.skipIf(!HAS_GOLDEN)('golden fixture: test-row metrics', () => {
  function check(p: Float64Array, labelsOfTest: Int32Array, k: number, expected: GoldenMetrics): void {
    expect(Math.abs(accuracy(p, labelsOfTest, k) - expected.accuracy)).toBeLessThan(1e-4);
    expect(Math.abs(ece(p, labelsOfTest, k, { bins: 15 }) - expected.ece15)).toBeLessThan(1e-4);
    expect(Math.abs(mce(p, labelsOfTest, k, { bins: 15 }) - expected.mce15)).toBeLessThan(1e-4);
    expect(Math.abs(brier(p, labelsOfTest, k) - expected.brier)).toBeLessThan(1e-4);
    expect(Math.abs(nll(p, labelsOfTest, k) - expected.nll)).toBeLessThan(1e-4);
  }

  it('reproduces test_raw (softmax of the logits)', () => {
    const g = loadGolden();
    check(softmaxRows64(g.test.logits, g.classes), g.test.labels, g.classes, g.expected.test_raw);
  });

  it('reproduces test_temperature (softmax of logits / fitted T)', () => {
    const g = loadGolden();
    const { temperature } = fitTemperature(g.calibration.logits, g.calibration.labels, g.classes);
    check(applyTemperature(g.test.logits, temperature, g.classes), g.test.labels, g.classes, g.expected.test_temperature);
  });
});
