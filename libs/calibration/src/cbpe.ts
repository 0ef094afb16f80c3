import { nonEmptyRowCount } from './validate.js';
import type { Matrix } from './validate.js';

/**
 * Confidence-based performance estimation: the expected accuracy of a calibrated model on
 * unlabelled rows is the mean top-class probability, (1/n) sum_i max_k p_ik.
 */
export function cbpe(probs: Matrix, numClasses: number): number {
  const rows = nonEmptyRowCount(probs, numClasses, 'probs');
  let total = 0;
  for (let i = 0; i < rows; i++) {
    let max = -Infinity;
    for (let k = 0; k < numClasses; k++) max = Math.max(max, probs[i * numClasses + k]);
    total += max;
  }
  return total / rows;
}
