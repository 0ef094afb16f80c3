import { describe, expect, it } from 'vitest';
import { CALIBRATION_METHODS, createCalibrator, fitCalibration } from './calibration-method.js';
import type { FittedCalibration } from './calibration-method.js';
import { softmaxRows64 } from './log-softmax.js';
import { ece } from './metrics.js';
import { overconfidentRows } from './test-synthetic.js';

/**
 * The contract every calibration method meets: fitted on over-confident rows (3 x the logits of a
 * calibrated generator), its calibrator returns probability rows, survives a JSON round trip of its
 * parameters unchanged, and lowers the ECE on rows it was not fitted on.
 */
const K = 7;
const fitRows = overconfidentRows(3000, K, 101);
const testRows = overconfidentRows(3000, K, 202);

/** True when `value` is a number or an array of numbers (what `params` may hold). */
const isJsonNumbers = (value: unknown): boolean =>
  (typeof value === 'number' && Number.isFinite(value)) || (Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v)));

describe.each(CALIBRATION_METHODS.map((method) => [method]))('calibrator contract: %s', (method) => {
  const fitted = fitCalibration(method, fitRows.logits, fitRows.labels, K);
  const calibrator = createCalibrator(fitted, 'sha256:abc');
  const probs = calibrator.calibrate(testRows.logits, K);

  it('is a core calibrator named after the method', () => {
    expect(fitted.method).toBe(method);
    expect(calibrator).toMatchObject({ kind: 'calibrator', name: method, id: 'sha256:abc' });
    expect(typeof calibrator.calibrate).toBe('function');
    expect(createCalibrator(fitted).id).toBeUndefined();
  });

  it('holds only numbers and arrays of numbers in its params', () => {
    expect(Object.keys(fitted.params).length).toBeGreaterThan(0);
    for (const [key, value] of Object.entries(fitted.params)) expect(isJsonNumbers(value), key).toBe(true);
  });

  it('returns probability rows that sum to 1', () => {
    expect(probs).toBeInstanceOf(Float32Array);
    expect(probs.length).toBe(testRows.logits.length);
    let worstSumError = 0;
    for (let i = 0; i < probs.length; i += K) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += probs[i + k];
      worstSumError = Math.max(worstSumError, Math.abs(sum - 1));
    }
    expect(worstSumError).toBeLessThan(1e-6);
    expect(Math.min(...probs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...probs)).toBeLessThanOrEqual(1);
  });

  it('gives identical output after a JSON round trip of the fitted calibration', () => {
    const reloaded = JSON.parse(JSON.stringify(fitted)) as FittedCalibration;
    expect(reloaded).toEqual(fitted);
    expect(createCalibrator(reloaded).calibrate(testRows.logits, K)).toEqual(probs);
  });

  it('lowers the ECE of held-out over-confident rows', () => {
    const raw = ece(softmaxRows64(testRows.logits, K), testRows.labels, K);
    const calibrated = ece(probs, testRows.labels, K);
    expect(raw).toBeGreaterThan(0.1);
    expect(calibrated).toBeLessThan(raw);
  });
});
