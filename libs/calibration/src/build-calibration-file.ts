import { GlassboxError, softmaxRows, type CalibratorPlugin, type PluginRegistry } from '@glassbox/core';
import { certifyAbstention } from './abstention-certificate.js';
import { computeMetricSet, hashFittingRows, type CalibrationFile } from './calibration-file.js';
import { createCalibrator, fitCalibration, type CalibrationMethod } from './calibration-method.js';
import { fitLac } from './conformal.js';
import { crossFitCalibration } from './cross-fit.js';
import type { LabelArray } from './validate.js';

export interface BuildCalibrationOptions {
  method: CalibrationMethod;
  /** Identity of the model the rows were scored by. */
  model: CalibrationFile['model'];
  /** Also fit split-conformal LAC sets with this miscoverage. */
  conformalAlpha?: number;
  /** Also certify an abstention threshold with selective risk at most this (SGR). */
  abstainRisk?: number;
  /** Confidence parameter of the certificate (default 0.001). */
  delta?: number;
  /**
   * Folds of the cross-fitting that measures the recipe on held-out rows (`metrics.held_out`;
   * default 5); false skips it. Skipped anyway when a fold would hold fewer than 10 rows.
   */
  heldOutFolds?: number | false;
  now?: () => Date;
  /** The registry `method` is looked up in (default: the built-in calibrators). */
  calibrators?: PluginRegistry<CalibratorPlugin>;
}

/** Fewest calibration rows for which LAC with miscoverage `alpha` has a finite threshold. */
export function minRowsForConformal(alpha: number): number {
  return Math.ceil(1 / alpha) - 1;
}

/**
 * Fits a calibrator on scored rows (logits + true labels) and records it with its metrics before
 * and after (in-sample, and held-out by 5-fold cross-fitting of the same recipe), optionally a LAC
 * conformal threshold and an SGR abstention certificate: the whole
 * calibration file that `glassbox calibrate` and the API's calibration fit save.
 */
export function buildCalibrationFile(
  logits: Float32Array,
  labels: LabelArray,
  numClasses: number,
  options: BuildCalibrationOptions,
): CalibrationFile {
  const n = labels.length;
  if (options.conformalAlpha !== undefined && n < minRowsForConformal(options.conformalAlpha)) {
    throw new GlassboxError(
      'INVALID_OPTION',
      `conformal alpha ${options.conformalAlpha} needs at least ${minRowsForConformal(options.conformalAlpha)} calibration rows, got ${n}`,
    );
  }
  const fitted = fitCalibration(options.method, logits, labels, numClasses, options.calibrators);
  const rowsHash = hashFittingRows(logits, labels);
  const calibrated = createCalibrator(fitted, rowsHash, options.calibrators).calibrate(logits, numClasses);
  const file: CalibrationFile = {
    format: 'glassbox-calibration',
    version: 1,
    model: options.model,
    calibration: fitted,
    fitted_on: { count: n, sha256: rowsHash },
    metrics: { before: computeMetricSet(softmaxRows(logits, numClasses), labels, numClasses), after: computeMetricSet(calibrated, labels, numClasses) },
    created_at: (options.now?.() ?? new Date()).toISOString(),
  };
  if (options.heldOutFolds !== false) {
    const heldOut = crossFitCalibration(logits, labels, numClasses, {
      method: options.method,
      folds: options.heldOutFolds,
      conformalAlpha: options.conformalAlpha,
      abstainRisk: options.abstainRisk,
      delta: options.delta,
      calibrators: options.calibrators,
    });
    if (heldOut && file.metrics) file.metrics.held_out = heldOut;
  }
  if (options.conformalAlpha !== undefined) {
    const lac = fitLac(calibrated, labels, numClasses, { alpha: options.conformalAlpha });
    file.conformal = { method: 'lac', alpha: lac.alpha, qhat: lac.qhat };
  }
  if (options.abstainRisk !== undefined) {
    file.certificate = certifyAbstention(calibrated, labels, numClasses, { targetRisk: options.abstainRisk, delta: options.delta ?? 0.001 }).certificate;
  }
  return file;
}
