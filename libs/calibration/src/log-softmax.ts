import type { Matrix } from './validate.js';

/**
 * Row-wise softmax in float64 (max subtracted), with every logit first multiplied by `scale`.
 * Core's softmaxRows stores float32; the fits here need float64 so the objective is smooth
 * enough to locate its minimum tightly.
 */
export function softmaxRows64(logits: Matrix, numClasses: number, scale = 1): Float64Array {
  const out = new Float64Array(logits.length);
  for (let r = 0; r < logits.length; r += numClasses) {
    let max = -Infinity;
    for (let j = 0; j < numClasses; j++) max = Math.max(max, logits[r + j] * scale);
    let sum = 0;
    for (let j = 0; j < numClasses; j++) {
      const e = Math.exp(logits[r + j] * scale - max);
      out[r + j] = e;
      sum += e;
    }
    for (let j = 0; j < numClasses; j++) out[r + j] /= sum;
  }
  return out;
}

/** ln(sum_j exp(values[start + j])) for j < count, computed stably. */
export function logSumExp(values: ArrayLike<number>, start: number, count: number): number {
  let max = -Infinity;
  for (let j = 0; j < count; j++) max = Math.max(max, values[start + j]);
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let j = 0; j < count; j++) sum += Math.exp(values[start + j] - max);
  return max + Math.log(sum);
}
