import { describe, expect, it } from 'vitest';
import { binomialUpperBound } from './binomial.js';
import { maxProbability } from './confidence-scores.js';
import { topLabel } from './metrics.js';
import { aurc, riskCoverageCurve, selectiveStats, sgr } from './selective.js';
import { applyTemperature, fitTemperature } from './temperature.js';
import { expectGlassboxError } from './test-errors.js';
import { HAS_GOLDEN, loadGolden } from './test-golden.js';

describe('riskCoverageCurve / aurc', () => {
  it('match a hand-worked ranking', () => {
    // ranked 0.9 right, 0.8 wrong, 0.7 right, 0.6 wrong -> risks 0, 1/2, 1/3, 2/4
    const confidence = [0.7, 0.9, 0.6, 0.8];
    const correct = [1, 1, 0, 0];
    const curve = riskCoverageCurve(confidence, correct);
    expect(Array.from(curve.coverage)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(Array.from(curve.risk)).toEqual([0, 0.5, 1 / 3, 0.5]);
    expect(aurc(confidence, correct)).toBeCloseTo((0 + 0.5 + 1 / 3 + 0.5) / 4, 15);
  });

  it('accepts booleans and rejects mismatched lengths', () => {
    expect(aurc([0.9, 0.1], [true, false])).toBeCloseTo(0.25, 15);
    expectGlassboxError(() => aurc([0.9], [1, 0]), 'INVALID_INPUT', /one per row/);
  });
});

describe('selectiveStats', () => {
  it('covers rows with confidence >= threshold', () => {
    expect(selectiveStats([0.7, 0.9, 0.6, 0.8], [1, 1, 0, 0], 0.7)).toEqual({ coverage: 0.75, risk: 1 / 3 });
    expect(selectiveStats([0.5], [1], 0.9)).toEqual({ coverage: 0, risk: 0 });
  });
});

describe('sgr', () => {
  it('keeps the lowest threshold whose risk bound stays under the target', () => {
    // 100 rows, confidence 1 - i/100; the 50 most confident are right, the rest wrong.
    const confidence = Array.from({ length: 100 }, (_, i) => 1 - i / 100);
    const correct = confidence.map((_, i) => (i < 50 ? 1 : 0));
    const r = sgr(confidence, correct, { targetRisk: 0.2, delta: 0.05 });
    const steps = 7; // ceil(log2 100)
    expect(r.threshold).not.toBeNull();
    expect(r.riskBound).toBeLessThan(0.2);
    // Re-derive the bound at the returned threshold from its coverage and risk.
    const c = Math.round(r.coverage * 100);
    expect(r.riskBound).toBeCloseTo(binomialUpperBound(Math.round(r.risk * c), c, 0.05 / steps), 12);
    // A threshold one row lower must fail the target, else the search would have gone on.
    const lower = selectiveStats(confidence, correct, confidence[c]);
    const lowerCount = c + 1;
    expect(binomialUpperBound(Math.round(lower.risk * lowerCount), lowerCount, 0.05 / steps)).toBeGreaterThanOrEqual(0.2);
  });

  it('covers every row tied with the threshold when computing the bound', () => {
    // 40 rows at 0.9 (2 wrong), 60 rows at 0.5 (30 wrong): only theta = 0.9 can qualify, and its
    // bound must count all 40 tied rows: c = 40, 2 errors.
    const confidence = [...Array<number>(40).fill(0.9), ...Array<number>(60).fill(0.5)];
    const correct = confidence.map((c, i) => (c === 0.9 ? (i < 2 ? 0 : 1) : i % 2));
    const r = sgr(confidence, correct, { targetRisk: 0.25, delta: 0.05 });
    expect(r.threshold).toBe(0.9);
    expect(r.coverage).toBe(0.4);
    expect(r.riskBound).toBeCloseTo(binomialUpperBound(2, 40, 0.05 / 7), 12);
  });

  it('returns a null threshold when no coverage meets the target', () => {
    const r = sgr([0.9, 0.8, 0.7], [0, 0, 0], { targetRisk: 0.1, delta: 0.01 });
    expect(r).toMatchObject({ threshold: null, riskBound: null, coverage: 0 });
  });

  it('rejects targetRisk and delta outside (0, 1)', () => {
    expectGlassboxError(() => sgr([0.9], [1], { delta: 0 }), 'INVALID_OPTION', /delta must be a number strictly between 0 and 1/);
    expectGlassboxError(() => sgr([0.9], [1], { targetRisk: 1 }), 'INVALID_OPTION', /targetRisk/);
  });
});

describe.skipIf(!HAS_GOLDEN)('golden fixture: selective classification', () => {
  function scaled(): { g: ReturnType<typeof loadGolden>; cal: Float64Array; test: Float64Array } {
    const g = loadGolden();
    const { temperature } = fitTemperature(g.calibration.logits, g.calibration.labels, g.classes);
    return {
      g,
      cal: applyTemperature(g.calibration.logits, temperature, g.classes),
      test: applyTemperature(g.test.logits, temperature, g.classes),
    };
  }

  it('reproduces selective_sgr (threshold, risk_bound, test_coverage, test_risk)', () => {
    const { g, cal, test } = scaled();
    const want = g.expected.selective_sgr;
    const calTop = topLabel(cal, g.calibration.labels, g.classes);
    const r = sgr(calTop.confidence, calTop.correct, { targetRisk: want.target_risk, delta: want.delta });
    expect(Math.abs((r.threshold ?? Number.NaN) - want.threshold)).toBeLessThan(1e-4);
    expect(Math.abs((r.riskBound ?? Number.NaN) - want.risk_bound)).toBeLessThan(1e-4);
    const testTop = topLabel(test, g.test.labels, g.classes);
    const onTest = selectiveStats(testTop.confidence, testTop.correct, r.threshold ?? Infinity);
    expect(Math.abs(onTest.coverage - want.test_coverage)).toBeLessThan(1e-4);
    expect(Math.abs(onTest.risk - want.test_risk)).toBeLessThan(1e-4);
  });

  it('reproduces test_aurc_temperature', () => {
    const { g, test } = scaled();
    const { correct } = topLabel(test, g.test.labels, g.classes);
    expect(Math.abs(aurc(maxProbability(test, g.classes), correct) - g.expected.test_aurc_temperature)).toBeLessThan(1e-4);
  });
});
