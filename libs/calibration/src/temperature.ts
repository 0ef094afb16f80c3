import { GlassboxError } from '@glassbox/core';
import { logSumExp, softmaxRows64 } from './log-softmax.js';
import { NLL_CLIP } from './metrics.js';
import { minimizeScalarBounded } from './minimize-scalar.js';
import { checkLabels, nonEmptyRowCount, rowCount } from './validate.js';
import type { LabelArray, Matrix } from './validate.js';

export interface TemperatureFit {
  /** T* = argmin_T mean NLL of softmax(logits / T). */
  temperature: number;
  /** Mean NLL at T = 1 and at T*. */
  nllBefore: number;
  nllAfter: number;
}

/** Search interval for ln T. */
const LOG_T_BOUNDS = [-5, 5] as const;

/**
 * Whether a fitted temperature sits at the edge of the search interval (e^-5 or e^5, within
 * 1e-3 in ln T): the optimum lies outside it, so the fit says more about the data (labels that
 * barely follow the logits, a handful of rows) than about the model's confidence.
 */
export function temperatureAtBound(temperature: number): boolean {
  const u = Math.log(temperature);
  return u <= LOG_T_BOUNDS[0] + 1e-3 || u >= LOG_T_BOUNDS[1] - 1e-3;
}
const MAX_LOSS = -Math.log(NLL_CLIP);

/**
 * Mean NLL of softmax(logits * scale), each row's -ln p_label computed in log space as
 * logsumexp(scale * z) - scale * z_label and capped at -ln(1e-12) (the clip of `nll`).
 */
export function meanNllOfScaledLogits(logits: Matrix, labels: LabelArray, numClasses: number, scale: number): number {
  const rows = logits.length / numClasses;
  const scaled = new Float64Array(numClasses);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const base = i * numClasses;
    for (let j = 0; j < numClasses; j++) scaled[j] = logits[base + j] * scale;
    total += Math.min(logSumExp(scaled, 0, numClasses) - scaled[labels[i]], MAX_LOSS);
  }
  return total / rows;
}

/**
 * Temperature scaling (Guo et al. 2017): T* minimises the mean NLL of softmax(logits / T) on
 * calibration rows. The NLL is convex in 1/T, so it is unimodal in u = ln T; Brent's bounded
 * method finds u* in [-5, 5] to ~1e-8, i.e. T* to ~1e-8 relative.
 */
export function fitTemperature(logits: Matrix, labels: LabelArray, numClasses: number): TemperatureFit {
  const rows = nonEmptyRowCount(logits, numClasses, 'logits');
  checkLabels(labels, rows, numClasses);
  const objective = (u: number): number => meanNllOfScaledLogits(logits, labels, numClasses, Math.exp(-u));
  const best = minimizeScalarBounded(objective, LOG_T_BOUNDS[0], LOG_T_BOUNDS[1], { xatol: 1e-10 });
  return {
    temperature: Math.exp(best.x),
    nllBefore: objective(0),
    nllAfter: best.fx,
  };
}

/** Calibrated probabilities softmax(logits / T), row-major, float64. */
export function applyTemperature(logits: Matrix, temperature: number, numClasses: number): Float64Array {
  if (!(temperature > 0 && Number.isFinite(temperature))) {
    throw new GlassboxError('INVALID_OPTION', `temperature must be a finite number > 0 (got ${temperature}).`);
  }
  rowCount(logits, numClasses, 'logits');
  return softmaxRows64(logits, numClasses, 1 / temperature);
}
