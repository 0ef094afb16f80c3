import { GlassboxError } from '@glassbox/core';
import { checkLabels, checkSameLength, nonEmptyRowCount, rowCount } from './validate.js';
import type { LabelArray, Matrix } from './validate.js';

/** A fitted non-decreasing step: value y[i] at the distinct input x[i] (x ascending). */
export interface IsotonicFit {
  x: number[];
  y: number[];
}

/**
 * Weighted isotonic (non-decreasing) least-squares regression by pool-adjacent-violators.
 * Rows with equal x are first merged into one point (weighted mean of y, summed weight), as
 * scikit-learn does; then, left to right, each point opens a block and the block is merged with its
 * left neighbour while the neighbour's mean is larger. Returns the fitted value at every distinct x.
 */
export function isotonicRegression(x: ArrayLike<number>, y: ArrayLike<number>, weights?: ArrayLike<number>): IsotonicFit {
  checkSameLength(x, y, 'x', 'y');
  if (weights !== undefined) checkSameLength(x, weights, 'x', 'weights');
  const order = Array.from({ length: x.length }, (_, i) => i).sort((a, b) => x[a] - x[b] || a - b);
  const xs: number[] = [];
  const sumWy: number[] = [];
  const sumW: number[] = [];
  for (const i of order) {
    const w = weights === undefined ? 1 : weights[i];
    if (!(w > 0) || !Number.isFinite(x[i]) || !Number.isFinite(y[i])) {
      throw new GlassboxError('INVALID_INPUT', `x, y must be finite and weights > 0 (row ${i}: x ${x[i]}, y ${y[i]}, weight ${w}).`);
    }
    const last = xs.length - 1;
    if (last >= 0 && xs[last] === x[i]) {
      sumWy[last] += w * y[i];
      sumW[last] += w;
    } else {
      xs.push(x[i]);
      sumWy.push(w * y[i]);
      sumW.push(w);
    }
  }
  // Blocks on a stack: weighted sum, weight, and how many distinct points each covers.
  const blockSum: number[] = [];
  const blockWeight: number[] = [];
  const blockSize: number[] = [];
  for (let p = 0; p < xs.length; p++) {
    blockSum.push(sumWy[p]);
    blockWeight.push(sumW[p]);
    blockSize.push(1);
    while (blockSum.length > 1) {
      const top = blockSum.length - 1;
      if (blockSum[top - 1] / blockWeight[top - 1] <= blockSum[top] / blockWeight[top]) break;
      blockSum[top - 1] += blockSum[top];
      blockWeight[top - 1] += blockWeight[top];
      blockSize[top - 1] += blockSize[top];
      blockSum.pop();
      blockWeight.pop();
      blockSize.pop();
    }
  }
  const fitted: number[] = [];
  for (let b = 0; b < blockSum.length; b++) {
    for (let s = 0; s < blockSize[b]; s++) fitted.push(blockSum[b] / blockWeight[b]);
  }
  return { x: xs, y: fitted };
}

/**
 * Evaluates a fit at `value`: linear interpolation between neighbouring fitted points, clipped to
 * the first/last fitted value outside their range (scikit-learn's transform, out_of_bounds='clip').
 */
export function predictIsotonic(fit: IsotonicFit, value: number): number {
  const { x, y } = fit;
  if (value <= x[0]) return y[0];
  const last = x.length - 1;
  if (value >= x[last]) return y[last];
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid] <= value) lo = mid;
    else hi = mid;
  }
  return y[lo] + ((value - x[lo]) * (y[hi] - y[lo])) / (x[hi] - x[lo]);
}

/** One-vs-rest isotonic calibration: for each class k, isotonic regression of [label = k] on p_k. */
export function fitIsotonic(probs: Matrix, labels: LabelArray, numClasses: number): IsotonicFit[] {
  const rows = nonEmptyRowCount(probs, numClasses, 'probs');
  checkLabels(labels, rows, numClasses);
  const scores = new Float64Array(rows);
  const outcome = new Uint8Array(rows);
  const fits: IsotonicFit[] = [];
  for (let k = 0; k < numClasses; k++) {
    for (let i = 0; i < rows; i++) {
      scores[i] = probs[i * numClasses + k];
      outcome[i] = labels[i] === k ? 1 : 0;
    }
    fits.push(isotonicRegression(scores, outcome));
  }
  return fits;
}

/**
 * Calibrated probabilities: each class's softmax probability mapped through its isotonic fit,
 * then each row divided by its sum (a row mapped to all zeros becomes uniform, as scikit-learn does).
 */
export function applyIsotonic(probs: Matrix, fits: readonly IsotonicFit[], numClasses: number): Float64Array {
  const rows = rowCount(probs, numClasses, 'probs');
  if (fits.length !== numClasses) {
    throw new GlassboxError('INVALID_OPTION', `fits must hold one isotonic fit per class: ${numClasses} expected, got ${fits.length}.`);
  }
  const out = new Float64Array(probs.length);
  for (let i = 0; i < rows; i++) {
    const base = i * numClasses;
    let sum = 0;
    for (let k = 0; k < numClasses; k++) {
      const v = predictIsotonic(fits[k], probs[base + k]);
      out[base + k] = v;
      sum += v;
    }
    for (let k = 0; k < numClasses; k++) out[base + k] = sum > 0 ? out[base + k] / sum : 1 / numClasses;
  }
  return out;
}
