import { GlassboxError, resolvePluginOptions } from '@glassbox/core';
import type { CalibrationData, Calibrator, CalibratorPlugin, PluginRegistry } from '@glassbox/core';
import { builtinCalibrators, BUILTIN_CALIBRATORS } from './calibrators/builtin-calibrators.js';
import type { CheckedCalibratorPlugin, FieldFailure } from './calibrators/calibrator-params.js';
import { asLabels, asMatrix, checkLabels, nonEmptyRowCount } from './validate.js';

/** The name of a registered calibrator: 'temperature', 'vector', 'platt', 'isotonic', or a plugin's. */
export type CalibrationMethod = string;

/** The built-in calibration methods, in registration order. */
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = BUILTIN_CALIBRATORS.map((p) => p.name);

/**
 * A fitted calibration as plain data (numbers and arrays of numbers), so it survives a JSON round
 * trip unchanged. `params` per method are documented in its file (calibrators/*-calibrator.ts):
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

export type { FieldFailure } from './calibrators/calibrator-params.js';

let builtins: PluginRegistry<CalibratorPlugin> | undefined;
const defaultRegistry = () => (builtins ??= builtinCalibrators());

/** The registered calibrator named `method`; INVALID_OPTION lists the valid names. */
function methodSpec(method: unknown, registry: PluginRegistry<CalibratorPlugin>): CalibratorPlugin {
  if (typeof method !== 'string' || !registry.has(method)) {
    throw new GlassboxError('INVALID_OPTION', `unknown calibration method ${JSON.stringify(method)}; valid methods: ${registry.names().join(', ')}.`);
  }
  return registry.get(method);
}

const checkOf = (plugin: CalibratorPlugin) => (plugin as Partial<CheckedCalibratorPlugin>).check;

/** Checks a fitted calibration (failures through `fail`); returns it typed and its class count (null: any). */
function checkFitted(value: unknown, fail: FieldFailure, registry: PluginRegistry<CalibratorPlugin>): { fitted: FittedCalibration; classes: number | null } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('', 'must be an object { method, params }');
  const { method, params } = value as Record<string, unknown>;
  if (typeof method !== 'string' || !registry.has(method)) {
    const hint = typeof method === 'string' ? '; a plugin\'s method needs that plugin loaded (--plugin FILE, or the server\'s plugins)' : '';
    fail('method', `must be one of ${registry.names().join(', ')} (got ${JSON.stringify(method)})${hint}`);
  }
  if (params === null || typeof params !== 'object' || Array.isArray(params)) fail('params', 'must be an object');
  const classes = checkOf(registry.get(method as string))?.(params as Record<string, unknown>, fail) ?? null;
  return { fitted: { method: method as CalibrationMethod, params: params as Record<string, unknown> }, classes };
}

/**
 * Checks a fitted calibration's shape: a known method and params of that method's form (finite
 * numbers, per-class arrays of one length, isotonic fits increasing in x, non-decreasing in y);
 * when `numClasses` is given, that the params hold that many classes. Returns it typed; failures
 * go through `fail`.
 */
export function checkFittedCalibration(
  value: unknown,
  fail: FieldFailure,
  numClasses?: number,
  registry: PluginRegistry<CalibratorPlugin> = defaultRegistry(),
): FittedCalibration {
  const { fitted, classes } = checkFitted(value, fail, registry);
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
  registry: PluginRegistry<CalibratorPlugin> = defaultRegistry(),
): FittedCalibration {
  const plugin = methodSpec(method, registry);
  const z = asMatrix(logits);
  const y = asLabels(labels);
  checkLabels(y, nonEmptyRowCount(z, numClasses, 'logits'), numClasses);
  // The fitters take any numeric matrix: the rows go through as given (float64 stays float64).
  const data: CalibrationData = { logits: z as Float32Array, labels: y, numLabels: numClasses };
  return { method, params: plugin.fit(data, resolvePluginOptions(plugin)) as Record<string, unknown> };
}

/**
 * A core Calibrator plugin applying a fitted calibration: name = the method, `id` as given (e.g.
 * the calibration file's hash), calibrate(logits, k) -> probabilities [rows x k] in float32. The
 * params are checked here, so a malformed calibration fails at construction (INVALID_OPTION).
 */
export function createCalibrator(fitted: FittedCalibration, id?: string, registry: PluginRegistry<CalibratorPlugin> = defaultRegistry()): Calibrator {
  const fail: FieldFailure = (field, problem) => {
    throw new GlassboxError('INVALID_OPTION', `fitted calibration${field ? `: ${field}` : ''} ${problem}.`);
  };
  const { fitted: checked, classes } = checkFitted(fitted, fail, registry);
  const method = checked.method;
  // A private copy, so later changes to `fitted` cannot change what this calibrator computes.
  const params = structuredClone(checked.params);
  const plugin = registry.get(method);
  return {
    kind: 'calibrator',
    name: method,
    description: `${method} calibration`,
    ...(id === undefined ? {} : { id }),
    calibrate(logits: Float32Array, numLabels: number): Float32Array {
      if (classes !== null && classes !== numLabels) {
        throw new GlassboxError('INVALID_OPTION', `this ${method} calibration was fitted for ${classes} labels but the logits have ${numLabels}.`);
      }
      return plugin.apply(params, logits, numLabels);
    },
  };
}
