import { GlassboxError } from '@glassbox/core';
import { minimizeLbfgs } from './lbfgs.js';
import { softmaxRows64 } from './log-softmax.js';
import { checkInteger, checkLabels, nonEmptyRowCount, rowCount } from './validate.js';
import type { LabelArray, Matrix } from './validate.js';

/** Per-class affine map of the logits: z'_k = scale_k * z_k + bias_k. */
export interface VectorScalingParams {
  scale: number[];
  bias: number[];
}

export interface VectorScalingFit extends VectorScalingParams {
  /** Mean NLL (unclipped, computed in log space) at scale 1 / bias 0 and at the fit. */
  nllBefore: number;
  nllAfter: number;
  iterations: number;
  converged: boolean;
}

export interface VectorScalingOptions {
  /** Most L-BFGS iterations (default 1000). */
  maxIterations?: number;
  /** Stop when every gradient component is below this (default 1e-7). */
  gradientTolerance?: number;
}

/**
 * Vector scaling (Guo et al. 2017): per-class scale w_k and bias b_k minimising the mean NLL of
 * softmax(w * z + b). The loss is convex in (w, b) (a log-sum-exp of functions linear in them);
 * with p = softmax(w * z + b) and y the one-hot label its gradient is
 *   dL/dw_k = mean_i (p_ik - y_ik) z_ik,   dL/db_k = mean_i (p_ik - y_ik).
 * Minimised by L-BFGS from the identity map (w = 1, b = 0). Temperature scaling is the special
 * case w_k = 1/T, b = 0, so at the optimum vector scaling's NLL is never above temperature's.
 */
export function fitVectorScaling(
  logits: Matrix,
  labels: LabelArray,
  numClasses: number,
  options: VectorScalingOptions = {},
): VectorScalingFit {
  const maxIterations = options.maxIterations ?? 1000;
  const gradientTolerance = options.gradientTolerance ?? 1e-7;
  checkInteger(maxIterations, 'maxIterations', 1);
  if (!(gradientTolerance > 0)) {
    throw new GlassboxError('INVALID_OPTION', `gradientTolerance must be a number > 0 (got ${gradientTolerance}).`);
  }
  const rows = nonEmptyRowCount(logits, numClasses, 'logits');
  checkLabels(labels, rows, numClasses);
  const k = numClasses;
  const shifted = new Float64Array(k);

  const objective = (x: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let total = 0;
    for (let i = 0; i < rows; i++) {
      const base = i * k;
      let max = -Infinity;
      for (let j = 0; j < k; j++) {
        shifted[j] = x[j] * logits[base + j] + x[k + j];
        max = Math.max(max, shifted[j]);
      }
      const y = labels[i];
      const labelLogit = shifted[y];
      let sum = 0;
      for (let j = 0; j < k; j++) {
        shifted[j] = Math.exp(shifted[j] - max);
        sum += shifted[j];
      }
      // -ln p_y in log space, so a vanishing p_y gives a large finite loss rather than Infinity.
      total += Math.log(sum) - (labelLogit - max);
      for (let j = 0; j < k; j++) {
        const residual = shifted[j] / sum - (j === y ? 1 : 0);
        grad[j] += residual * logits[base + j];
        grad[k + j] += residual;
      }
    }
    for (let j = 0; j < 2 * k; j++) grad[j] /= rows;
    return total / rows;
  };

  const x0 = new Float64Array(2 * k);
  x0.fill(1, 0, k);
  const before = objective(x0, new Float64Array(2 * k));
  const result = minimizeLbfgs(objective, x0, { maxIterations, gradientTolerance });
  const params = { scale: Array.from(result.x.subarray(0, k)), bias: Array.from(result.x.subarray(k)) };
  return {
    ...params,
    nllBefore: before,
    nllAfter: result.fx,
    iterations: result.iterations,
    converged: result.converged,
  };
}

/** Calibrated probabilities softmax(scale * z + bias), row-major, float64. */
export function applyVectorScaling(logits: Matrix, params: VectorScalingParams, numClasses: number): Float64Array {
  const rows = rowCount(logits, numClasses, 'logits');
  if (params.scale.length !== numClasses || params.bias.length !== numClasses) {
    throw new GlassboxError(
      'INVALID_OPTION',
      `scale and bias must hold one value per class: ${numClasses} expected, got ${params.scale.length} and ${params.bias.length}.`,
    );
  }
  const transformed = new Float64Array(logits.length);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < numClasses; j++) {
      const v = i * numClasses + j;
      transformed[v] = params.scale[j] * logits[v] + params.bias[j];
    }
  }
  return softmaxRows64(transformed, numClasses);
}
