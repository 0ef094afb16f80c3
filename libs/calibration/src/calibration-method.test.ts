import { describe, expect, it } from 'vitest';
import { GlassboxError } from '@glassbox/core';
import { CALIBRATION_METHODS, checkFittedCalibration, createCalibrator, fitCalibration } from './calibration-method.js';
import type { FittedCalibration } from './calibration-method.js';
import { applyIsotonic, fitIsotonic } from './isotonic.js';
import { softmaxRows64 } from './log-softmax.js';
import { applyPlatt, fitPlatt } from './platt.js';
import { applyTemperature, fitTemperature } from './temperature.js';
import { expectGlassboxError } from './test-errors.js';
import { overconfidentRows } from './test-synthetic.js';
import { applyVectorScaling, fitVectorScaling } from './vector-scaling.js';

const K = 4;
const rows = overconfidentRows(400, K, 7);
const logits64 = Float64Array.from(rows.logits);

describe('fitCalibration', () => {
  it('stores each method’s own fit as plain numbers', () => {
    expect(fitCalibration('temperature', rows.logits, rows.labels, K).params).toEqual({
      temperature: fitTemperature(rows.logits, rows.labels, K).temperature,
    });
    const vector = fitVectorScaling(rows.logits, rows.labels, K);
    expect(fitCalibration('vector', rows.logits, rows.labels, K).params).toEqual({ scale: vector.scale, bias: vector.bias });
    const platt = fitPlatt(rows.logits, rows.labels, K);
    expect(fitCalibration('platt', rows.logits, rows.labels, K).params).toEqual({ a: platt.map((p) => p.a), b: platt.map((p) => p.b) });
  });

  it('flattens the per-class isotonic fits with offsets', () => {
    const fits = fitIsotonic(softmaxRows64(rows.logits, K), rows.labels, K);
    const { x, y, offsets } = fitCalibration('isotonic', rows.logits, rows.labels, K).params as Record<string, number[]>;
    expect(offsets).toHaveLength(K + 1);
    fits.forEach((fit, k) => {
      expect(x.slice(offsets[k], offsets[k + 1])).toEqual(fit.x);
      expect(y.slice(offsets[k], offsets[k + 1])).toEqual(fit.y);
    });
  });

  it('accepts plain arrays and array-likes', () => {
    const fromArrays = fitCalibration('temperature', Array.from(rows.logits), Array.from(rows.labels), K);
    expect(fromArrays).toEqual(fitCalibration('temperature', rows.logits, rows.labels, K));
  });

  it('names the valid methods when given an unknown one', () => {
    expectGlassboxError(
      () => fitCalibration('beta' as never, rows.logits, rows.labels, K),
      'INVALID_OPTION',
      /unknown calibration method "beta"; valid methods: temperature, vector, platt, isotonic/,
    );
  });

  it('rejects labels outside 0..K-1 and a ragged logits matrix', () => {
    expectGlassboxError(() => fitCalibration('vector', [1, 2, 3, 4], [4], K), 'INVALID_INPUT', /labels must be integers in 0\.\.3/);
    expectGlassboxError(() => fitCalibration('platt', [1, 2, 3], [0], K), 'INVALID_INPUT', /logits has 3 values/);
    expectGlassboxError(() => fitCalibration('isotonic', [], [], K), 'INVALID_INPUT', /logits is empty/);
  });
});

describe('createCalibrator', () => {
  it('applies the same maps as the underlying apply functions, in float32', () => {
    const expected: Record<string, Float64Array> = {
      temperature: applyTemperature(logits64, fitTemperature(rows.logits, rows.labels, K).temperature, K),
      vector: applyVectorScaling(logits64, fitVectorScaling(rows.logits, rows.labels, K), K),
      platt: applyPlatt(logits64, fitPlatt(rows.logits, rows.labels, K), K),
      isotonic: applyIsotonic(softmaxRows64(rows.logits, K), fitIsotonic(softmaxRows64(rows.logits, K), rows.labels, K), K),
    };
    for (const method of CALIBRATION_METHODS) {
      const out = createCalibrator(fitCalibration(method, rows.logits, rows.labels, K)).calibrate(rows.logits, K);
      expect(out, method).toEqual(Float32Array.from(expected[method]));
    }
  });

  it('keeps its own copy of the parameters', () => {
    const fitted = fitCalibration('vector', rows.logits, rows.labels, K);
    const calibrator = createCalibrator(fitted);
    const before = calibrator.calibrate(rows.logits, K);
    (fitted.params.scale as number[])[0] = 100;
    expect(calibrator.calibrate(rows.logits, K)).toEqual(before);
  });

  it('refuses logits with another class count than the fit', () => {
    const calibrator = createCalibrator(fitCalibration('platt', rows.logits, rows.labels, K));
    expectGlassboxError(() => calibrator.calibrate(new Float32Array(6), 3), 'INVALID_OPTION', /fitted for 4 labels but the logits have 3/);
    // Temperature fixes no class count.
    expect(createCalibrator({ method: 'temperature', params: { temperature: 2 } }).calibrate(new Float32Array(3), 3)).toHaveLength(3);
  });

  const malformed: [string, FittedCalibration, RegExp][] = [
    ['an unknown method', { method: 'beta' as never, params: {} }, /method must be one of temperature, vector, platt, isotonic \(got "beta"\)/],
    ['params not an object', { method: 'temperature', params: [] as never }, /params must be an object/],
    ['a temperature <= 0', { method: 'temperature', params: { temperature: 0 } }, /params\.temperature must be a finite number > 0 \(got 0\)/],
    ['a missing temperature', { method: 'temperature', params: {} }, /params\.temperature must be a finite number > 0/],
    ['per-class arrays of different lengths', { method: 'vector', params: { scale: [1, 1, 1], bias: [0, 0] } }, /params\.bias must hold 3 values/],
    ['a non-number entry', { method: 'platt', params: { a: [1, '2'], b: [0, 0] } }, /params\.a\[1\] must be a finite number \(got "2"\)/],
    ['a single class', { method: 'vector', params: { scale: [1], bias: [0] } }, /params\.scale must hold one value per class, at least 2/],
    ['isotonic offsets not ending at x.length', { method: 'isotonic', params: { x: [0, 1], y: [0, 1], offsets: [0, 1, 3] } }, /params\.offsets must run from 0 to the length of params\.x \(2\)/],
    ['an isotonic class with no point', { method: 'isotonic', params: { x: [0, 1], y: [0, 1], offsets: [0, 0, 2] } }, /params\.offsets\[1\] must be an integer above offsets\[0\]/],
    ['decreasing isotonic values', { method: 'isotonic', params: { x: [0, 1, 0.5], y: [0.5, 0.2, 1], offsets: [0, 2, 3] } }, /params\.y\[1\] must not be below params\.y\[0\] within class 0/],
    ['unsorted isotonic inputs', { method: 'isotonic', params: { x: [0.5, 0.5, 0.5], y: [0, 1, 1], offsets: [0, 2, 3] } }, /params\.x\[1\] must be above params\.x\[0\]/],
    ['an isotonic value above 1', { method: 'isotonic', params: { x: [0, 1], y: [0, 2], offsets: [0, 1, 2] } }, /params\.y\[1\] must be a probability in \[0, 1\]/],
  ];
  it.each(malformed)('fails at construction on %s', (_, fitted, message) => {
    expectGlassboxError(() => createCalibrator(fitted), 'INVALID_OPTION', message);
  });
});

describe('checkFittedCalibration', () => {
  const fail = (field: string, problem: string): never => {
    throw new GlassboxError('CALIBRATION_FILE_INVALID', `${field} ${problem}`);
  };
  it('checks the class count when given one', () => {
    const fitted = fitCalibration('vector', rows.logits, rows.labels, K);
    expect(checkFittedCalibration(fitted, fail, K)).toEqual(fitted);
    expectGlassboxError(() => checkFittedCalibration(fitted, fail, 7), 'CALIBRATION_FILE_INVALID', /params hold 4 classes but the model has 7 labels/);
    expect(checkFittedCalibration({ method: 'temperature', params: { temperature: 1.5 } }, fail, 7).method).toBe('temperature');
  });
});
