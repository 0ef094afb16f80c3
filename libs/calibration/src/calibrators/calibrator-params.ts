import type { CalibratorPlugin } from '@glassbox/core';

/** Reports a malformed field (a path relative to the fitted calibration, e.g. "params.scale") and why. */
export type FieldFailure = (field: string, problem: string) => never;

type Params = Record<string, unknown>;

/**
 * A built-in calibrator: the core contract (fit on labelled logits, apply to logits) plus `check`,
 * which validates params read from a calibration file and returns the class count they fix (null
 * for any), so a malformed file fails when it is read, not at the first prediction.
 */
export interface CheckedCalibratorPlugin<P extends Params = Params> extends CalibratorPlugin<Record<string, never>, P> {
  check(params: Params, fail: FieldFailure): number | null;
}

export const numbers = (params: Params, key: string): number[] => params[key] as number[];

/** Checks that params[key] is an array of finite numbers (as long as params[like] when given). */
export function checkNumberArray(params: Params, key: string, fail: FieldFailure, like?: string): number[] {
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
export function checkPerClassPair(params: Params, first: string, second: string, fail: FieldFailure): number {
  const k = checkNumberArray(params, first, fail).length;
  if (k < 2) fail(`params.${first}`, `must hold one value per class, at least 2 (got ${k})`);
  checkNumberArray(params, second, fail, first);
  return k;
}
