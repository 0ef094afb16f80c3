import { GlassboxError } from '@glassbox/core';
import type { Calibrator } from '@glassbox/core';
import { applyIsotonic, fitIsotonic } from './isotonic.js';
import type { IsotonicFit } from './isotonic.js';
import { softmaxRows64 } from './log-softmax.js';
import { applyPlatt, fitPlatt } from './platt.js';
import { applyTemperature, fitTemperature } from './temperature.js';
import { asLabels, asMatrix, checkLabels, nonEmptyRowCount } from './validate.js';
import type { LabelArray, Matrix } from './validate.js';
import { applyVectorScaling, fitVectorScaling } from './vector-scaling.js';

export type CalibrationMethod = 'temperature' | 'vector' | 'platt' | 'isotonic';

export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['temperature', 'vector', 'platt', 'isotonic'];

/**
 * A fitted calibration as plain data (numbers and arrays of numbers), so it survives a JSON round
 * trip unchanged. `params` per method:
 * - temperature: `{ temperature }` (T > 0; probabilities softmax(z / T))
 * - vector: `{ scale: number[K], bias: number[K] }` (softmax(scale * z + bias))
 * - platt: `{ a: number[K], b: number[K] }` (s_k = 1 / (1 + exp(a_k z_k + b_k)), rows renormalised)
 * - isotonic: `{ x, y, offsets }`: class k's fitted points (on softmax p_k) are
 *   x/y[offsets[k] .. offsets[k + 1]), offsets of length K + 1 from 0 to x.length
 */
export interface FittedCalibration {
  method: CalibrationMethod;
  params: Record<string, unknown>;
}

/** Reports a malformed field (a path relative to the fitted calibration, e.g. "params.scale") and why. */
export type FieldFailure = (field: string, problem: string) => never;

interface MethodSpec {
  fit(logits: Matrix, labels: LabelArray, numClasses: number): Record<string, unknown>;
  /** Calibrated probabilities, row-major float64; params already checked. */
  apply(logits: Matrix, params: Record<string, unknown>, numClasses: number): Float64Array;
  /** Checks params (throwing through `fail`) and returns the class count they fix, or null for any. */
  check(params: Record<string, unknown>, fail: FieldFailure): number | null;
}

const numbers = (params: Record<string, unknown>, key: string): number[] => params[key] as number[];

/** Checks that params[key] is an array of finite numbers (as long as params[like] when given). */
function checkNumberArray(params: Record<string, unknown>, key: string, fail: FieldFailure, like?: string): number[] {
  const value = params[key];
  if (!Array.isArray(value)) fail(`params.${key}`, 'must be an array of numbers');
  const bad = value.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
  if (bad >= 0) fail(`params.${key}[${bad}]`, `must be a finite number (got ${JSON.stringify(value[bad])})`);
  const length = like === undefined ? undefined : (params[like] as unknown[]).length;
  if (length !== undefined && value.length !== length) {
    fail(`params.${key}`, `must hold ${length} values, as many as params.${like} (got ${value.length})`);
  }
  return value as number[];
}

/** Two per-class arrays of the same length >= 2; returns that length. */
function checkPerClassPair(params: Record<string, unknown>, first: string, second: string, fail: FieldFailure): number {
  const k = checkNumberArray(params, first, fail).length;
  if (k < 2) fail(`params.${first}`, `must hold one value per class, at least 2 (got ${k})`);
  checkNumberArray(params, second, fail, first);
  return k;
}

/** Splits flattened isotonic params back into one fit per class (params already checked). */
function isotonicFits(params: Record<string, unknown>): IsotonicFit[] {
  const [x, y, offsets] = [numbers(params, 'x'), numbers(params, 'y'), numbers(params, 'offsets')];
  return offsets.slice(0, -1).map((start, k) => ({ x: x.slice(start, offsets[k + 1]), y: y.slice(start, offsets[k + 1]) }));
}

const METHODS: Record<CalibrationMethod, MethodSpec> = {
  temperature: {
    fit: (logits, labels, k) => ({ temperature: fitTemperature(logits, labels, k).temperature }),
    apply: (logits, params, k) => applyTemperature(logits, params.temperature as number, k),
    check(params, fail) {
      const t = params.temperature;
      if (typeof t !== 'number' || !(t > 0 && Number.isFinite(t))) {
        fail('params.temperature', `must be a finite number > 0 (got ${JSON.stringify(t)})`);
      }
      return null;
    },
  },
  vector: {
    fit(logits, labels, k) {
      const { scale, bias } = fitVectorScaling(logits, labels, k);
      return { scale, bias };
    },
    apply: (logits, params, k) => applyVectorScaling(logits, { scale: numbers(params, 'scale'), bias: numbers(params, 'bias') }, k),
    check: (params, fail) => checkPerClassPair(params, 'scale', 'bias', fail),
  },
  platt: {
    fit(logits, labels, k) {
      const fits = fitPlatt(logits, labels, k);
      return { a: fits.map((f) => f.a), b: fits.map((f) => f.b) };
    },
    apply(logits, params, k) {
      const b = numbers(params, 'b');
      return applyPlatt(logits, numbers(params, 'a').map((a, i) => ({ a, b: b[i] })), k);
    },
    check: (params, fail) => checkPerClassPair(params, 'a', 'b', fail),
  },
  isotonic: {
    fit(logits, labels, k) {
      const fits = fitIsotonic(softmaxRows64(logits, k), labels, k);
      const offsets = [0];
      for (const f of fits) offsets.push(offsets[offsets.length - 1] + f.x.length);
      return { x: fits.flatMap((f) => f.x), y: fits.flatMap((f) => f.y), offsets };
    },
    apply: (logits, params, k) => applyIsotonic(softmaxRows64(logits, k), isotonicFits(params), k),
    check(params, fail) {
      const x = checkNumberArray(params, 'x', fail);
      const y = checkNumberArray(params, 'y', fail, 'x');
      const offsets = checkNumberArray(params, 'offsets', fail);
      const k = offsets.length - 1;
      if (k < 2) fail('params.offsets', `must hold K + 1 entries for K >= 2 classes (got ${offsets.length})`);
      if (offsets[0] !== 0 || offsets[k] !== x.length) {
        fail('params.offsets', `must run from 0 to the length of params.x (${x.length}); got ${offsets[0]} .. ${offsets[k]}`);
      }
      for (let c = 0; c < k; c++) {
        const [start, end] = [offsets[c], offsets[c + 1]];
        if (!Number.isInteger(end) || end <= start) {
          fail(`params.offsets[${c + 1}]`, `must be an integer above offsets[${c}] (each class has at least one point); got ${end}`);
        }
        for (let i = start; i < end; i++) {
          if (y[i] < 0 || y[i] > 1) fail(`params.y[${i}]`, `must be a probability in [0, 1] (got ${y[i]})`);
          if (i > start && !(x[i] > x[i - 1])) fail(`params.x[${i}]`, `must be above params.x[${i - 1}] within class ${c}`);
          if (i > start && y[i] < y[i - 1]) fail(`params.y[${i}]`, `must not be below params.y[${i - 1}] within class ${c} (isotonic)`);
        }
      }
      return k;
    },
  },
};

function methodSpec(method: unknown): MethodSpec {
  if (!CALIBRATION_METHODS.includes(method as CalibrationMethod)) {
    throw new GlassboxError(
      'INVALID_OPTION',
      `unknown calibration method ${JSON.stringify(method)}; valid methods: ${CALIBRATION_METHODS.join(', ')}.`,
    );
  }
  return METHODS[method as CalibrationMethod];
}

/** Checks a fitted calibration (failures through `fail`); returns it typed and its class count (null: any). */
function checkFitted(value: unknown, fail: FieldFailure): { fitted: FittedCalibration; classes: number | null } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('', 'must be an object { method, params }');
  const { method, params } = value as Record<string, unknown>;
  if (!CALIBRATION_METHODS.includes(method as CalibrationMethod)) {
    fail('method', `must be one of ${CALIBRATION_METHODS.join(', ')} (got ${JSON.stringify(method)})`);
  }
  if (params === null || typeof params !== 'object' || Array.isArray(params)) fail('params', 'must be an object');
  const classes = METHODS[method as CalibrationMethod].check(params as Record<string, unknown>, fail);
  return { fitted: { method: method as CalibrationMethod, params: params as Record<string, unknown> }, classes };
}

/**
 * Checks a fitted calibration's shape: a known method and params of that method's form (finite
 * numbers, per-class arrays of one length, isotonic fits increasing in x, non-decreasing in y);
 * when `numClasses` is given, that the params hold that many classes. Returns it typed; failures
 * go through `fail`.
 */
export function checkFittedCalibration(value: unknown, fail: FieldFailure, numClasses?: number): FittedCalibration {
  const { fitted, classes } = checkFitted(value, fail);
  if (numClasses !== undefined && classes !== null && classes !== numClasses) {
    fail('params', `hold ${classes} classes but the model has ${numClasses} labels`);
  }
  return fitted;
}

/**
 * Fits `method` on calibration rows (row-major logits [n x numClasses], integer labels) and
 * returns its parameters as plain data. Unknown methods throw INVALID_OPTION listing the valid ones.
 */
export function fitCalibration(
  method: CalibrationMethod,
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
): FittedCalibration {
  const spec = methodSpec(method);
  const z = asMatrix(logits);
  const y = asLabels(labels);
  checkLabels(y, nonEmptyRowCount(z, numClasses, 'logits'), numClasses);
  return { method, params: spec.fit(z, y, numClasses) };
}

/**
 * A core Calibrator plugin applying a fitted calibration: name = the method, `id` as given (e.g.
 * the calibration file's hash), calibrate(logits, k) -> probabilities [rows x k] in float32. The
 * params are checked here, so a malformed calibration fails at construction (INVALID_OPTION).
 */
export function createCalibrator(fitted: FittedCalibration, id?: string): Calibrator {
  const fail: FieldFailure = (field, problem) => {
    throw new GlassboxError('INVALID_OPTION', `fitted calibration${field ? `: ${field}` : ''} ${problem}.`);
  };
  const { fitted: checked, classes } = checkFitted(fitted, fail);
  const method = checked.method;
  // A private copy, so later changes to `fitted` cannot change what this calibrator computes.
  const params = structuredClone(checked.params);
  const spec = METHODS[method];
  return {
    kind: 'calibrator',
    name: method,
    description: `${method} calibration`,
    ...(id === undefined ? {} : { id }),
    calibrate(logits: Float32Array, numLabels: number): Float32Array {
      if (classes !== null && classes !== numLabels) {
        throw new GlassboxError('INVALID_OPTION', `this ${method} calibration was fitted for ${classes} labels but the logits have ${numLabels}.`);
      }
      return Float32Array.from(spec.apply(logits, params, numLabels));
    },
  };
}
