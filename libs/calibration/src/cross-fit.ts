import { GlassboxError, type CalibratorPlugin, type PluginRegistry } from '@glassbox/core';
import { certifyAbstention, ruleFromCertificate } from './abstention-certificate.js';
import { computeMetricSet } from './calibration-file.js';
import type { HeldOutMetrics } from './calibration-schema.js';
import { createCalibrator, fitCalibration, type CalibrationMethod } from './calibration-method.js';
import { fitLac } from './conformal.js';
import { mulberry32, randomInt } from './random.js';
import type { LabelArray } from './validate.js';

export type { HeldOutMetrics } from './calibration-schema.js';

export interface CrossFitOptions {
  method: CalibrationMethod;
  /** Number of folds (default 5). */
  folds?: number;
  /** Seed of the fold assignment (default 1). */
  seed?: number;
  /** Also fit LAC with this miscoverage on each fold's fitting rows and measure its sets on the held-out fold. */
  conformalAlpha?: number;
  /** Also certify abstention at this selective risk on each fold's fitting rows and apply it to the held-out fold. */
  abstainRisk?: number;
  delta?: number;
  calibrators?: PluginRegistry<CalibratorPlugin>;
}

/** Fewest rows per fold for which cross-fitting is run (smaller folds say too little). */
export const MIN_ROWS_PER_FOLD = 10;

/**
 * Fold of each row: a seeded shuffle of the row indices dealt round-robin into `folds` folds, so
 * fold sizes differ by at most one and the assignment is the same on every run.
 */
export function assignFolds(n: number, folds: number, seed: number): Uint32Array {
  const order = Array.from({ length: n }, (_, i) => i);
  const rng = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const fold = new Uint32Array(n);
  order.forEach((row, position) => (fold[row] = position % folds));
  return fold;
}

function take<T extends Float32Array | Int32Array | Float64Array>(source: ArrayLike<number>, rows: number[], width: number, make: (n: number) => T): T {
  const out = make(rows.length * width);
  rows.forEach((row, i) => {
    for (let k = 0; k < width; k++) out[i * width + k] = source[row * width + k];
  });
  return out;
}

/**
 * Held-out figures of the whole calibration recipe by K-fold cross-fitting: for each fold, the
 * calibrator (and, when asked, the LAC threshold and the abstention certificate) is fitted on the
 * other folds exactly as `buildCalibrationFile` fits them on all rows, then applied to the fold it
 * never saw. The held-out fold's probabilities, sets and decisions are pooled over all folds, so
 * every row is scored once by a fit that did not use it: the figures a new batch of similar rows
 * would see, unlike the in-sample metrics of the file (which flatter flexible calibrators).
 * Returns null when a fold would hold fewer than MIN_ROWS_PER_FOLD rows.
 */
export function crossFitCalibration(
  logits: Float32Array,
  labels: LabelArray,
  numClasses: number,
  options: CrossFitOptions,
): HeldOutMetrics | null {
  const folds = options.folds ?? 5;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(folds) || folds < 2) {
    throw new GlassboxError('INVALID_OPTION', `cross-fit folds must be an integer >= 2 (got ${folds}).`);
  }
  const n = labels.length;
  if (Math.floor(n / folds) < MIN_ROWS_PER_FOLD) return null;
  const fold = assignFolds(n, folds, seed);
  const heldOutProbs = new Float64Array(n * numClasses);
  let covered = 0;
  let setSizes = 0;
  let accepted = 0;
  let acceptedErrors = 0;
  let certifiedFolds = 0;
  let certifiedRows = 0;
  for (let f = 0; f < folds; f++) {
    const fit: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? test : fit).push(i);
    const fitLogits = take(logits, fit, numClasses, (m) => new Float32Array(m));
    const fitLabels = take(labels, fit, 1, (m) => new Int32Array(m));
    const testLogits = take(logits, test, numClasses, (m) => new Float32Array(m));
    const fitted = fitCalibration(options.method, fitLogits, fitLabels, numClasses, options.calibrators);
    const calibrator = createCalibrator(fitted, undefined, options.calibrators);
    const fitProbs = calibrator.calibrate(fitLogits, numClasses);
    const testProbs = calibrator.calibrate(testLogits, numClasses);
    test.forEach((row, i) => {
      for (let k = 0; k < numClasses; k++) heldOutProbs[row * numClasses + k] = testProbs[i * numClasses + k];
    });
    if (options.conformalAlpha !== undefined) {
      const sets = fitLac(fitProbs, fitLabels, numClasses, { alpha: options.conformalAlpha }).predict(testProbs);
      sets.forEach((set, i) => {
        setSizes += set.length;
        if (set.includes(labels[test[i]])) covered++;
      });
    }
    if (options.abstainRisk !== undefined) {
      let rule;
      try {
        rule = ruleFromCertificate(
          certifyAbstention(fitProbs, fitLabels, numClasses, { targetRisk: options.abstainRisk, delta: options.delta ?? 0.001 }).certificate,
        );
      } catch (e) {
        if (e instanceof GlassboxError && e.code === 'INVALID_OPTION') continue; // no certificate on this fold
        throw e;
      }
      certifiedFolds++;
      certifiedRows += test.length;
      const names = Array.from({ length: numClasses }, (_, k) => String(k));
      test.forEach((row, i) => {
        const p = testProbs.subarray(i * numClasses, (i + 1) * numClasses);
        if (rule.decide(p, names).abstain) return;
        accepted++;
        let top = 0;
        for (let k = 1; k < numClasses; k++) if (p[k] > p[top]) top = k;
        if (top !== labels[row]) acceptedErrors++;
      });
    }
  }
  const result: HeldOutMetrics = {
    method: 'cross-fit',
    folds,
    seed,
    count: n,
    after: computeMetricSet(heldOutProbs, labels, numClasses),
  };
  if (options.conformalAlpha !== undefined) {
    result.conformal = { coverage: covered / n, mean_set_size: setSizes / n, target_coverage: 1 - options.conformalAlpha };
  }
  if (options.abstainRisk !== undefined) {
    result.abstention = {
      folds_certified: certifiedFolds,
      count: certifiedRows,
      coverage: certifiedRows === 0 ? 0 : accepted / certifiedRows,
      selective_risk: accepted === 0 ? 0 : acceptedErrors / accepted,
      target_risk: options.abstainRisk,
    };
  }
  return result;
}
