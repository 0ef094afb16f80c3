import { describe, expect, it } from 'vitest';
import { softmaxRows64 } from './log-softmax.js';
import { nll } from './metrics.js';
import { mulberry32 } from './random.js';
import { sampleLabels } from './test-synthetic.js';
import { applyTemperature, fitTemperature, meanNllOfScaledLogits, temperatureAtBound } from './temperature.js';
import { expectGlassboxError } from './test-errors.js';
import { HAS_GOLDEN, loadGolden } from './test-golden.js';

/** Logits z ~ N(0, 3^2) per class; labels drawn from softmax(z / trueT) (seeded). */
function synthetic(n: number, k: number, trueT: number): { logits: Float64Array; labels: Int32Array } {
  const rng = mulberry32(21);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const logits = Float64Array.from({ length: n * k }, () => 3 * gauss());
  const p = softmaxRows64(logits, k, 1 / trueT);
  const labels = sampleLabels(p, k, rng);
  return { logits, labels };
}

describe('fitTemperature', () => {
  it('recovers the temperature that generated the labels', () => {
    const { logits, labels } = synthetic(5000, 4, 2.5);
    const fit = fitTemperature(logits, labels, 4);
    expect(Math.abs(fit.temperature / 2.5 - 1)).toBeLessThan(0.06);
    expect(fit.nllAfter).toBeLessThan(fit.nllBefore);
  });

  it('returns a stationary point of the NLL in ln T', () => {
    const { logits, labels } = synthetic(2000, 3, 0.5);
    const fit = fitTemperature(logits, labels, 3);
    const h = 1e-4;
    const at = (t: number): number => meanNllOfScaledLogits(logits, labels, 3, 1 / t);
    expect(at(fit.temperature * Math.exp(h))).toBeGreaterThan(fit.nllAfter);
    expect(at(fit.temperature * Math.exp(-h))).toBeGreaterThan(fit.nllAfter);
    expect(fit.nllAfter).toBeCloseTo(nll(applyTemperature(logits, fit.temperature, 3), labels, 3), 12);
    expect(fit.nllBefore).toBeCloseTo(nll(softmaxRows64(logits, 3), labels, 3), 12);
  });

  it('rejects mismatched labels', () => {
    expectGlassboxError(() => fitTemperature([1, 2, 3, 4], [0], 2), 'INVALID_INPUT', /one label per row/);
  });
});

describe('applyTemperature', () => {
  it('divides logits by T before the softmax', () => {
    const p = applyTemperature([2, 0, 0, 4], 2, 2);
    expect(p[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
    expect(p[3]).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
    expect(p[0] + p[1]).toBeCloseTo(1, 12);
  });

  it('rejects a non-positive temperature', () => {
    expectGlassboxError(() => applyTemperature([1, 2], 0, 2), 'INVALID_OPTION', /temperature must be a finite number > 0/);
  });
});

describe.skipIf(!HAS_GOLDEN)('golden fixture: temperature scaling', () => {
  it('reproduces temperature (1e-3 relative) and calibration_nll_before/after (1e-4)', () => {
    const g = loadGolden();
    const fit = fitTemperature(g.calibration.logits, g.calibration.labels, g.classes);
    expect(Math.abs(fit.temperature / g.expected.temperature - 1)).toBeLessThan(1e-3);
    expect(Math.abs(fit.nllBefore - g.expected.calibration_nll_before)).toBeLessThan(1e-4);
    expect(Math.abs(fit.nllAfter - g.expected.calibration_nll_after)).toBeLessThan(1e-4);
  });
});

describe('temperatureAtBound', () => {
  it('is true only at the edges of the ln T search interval [-5, 5]', () => {
    expect(temperatureAtBound(Math.exp(5))).toBe(true);
    expect(temperatureAtBound(Math.exp(-5))).toBe(true);
    expect(temperatureAtBound(Math.exp(4.9))).toBe(false);
    expect(temperatureAtBound(0.945)).toBe(false);
  });
});
