import { rowCount } from './validate.js';
import type { Matrix } from './validate.js';

function perRow(probs: Matrix, numClasses: number, score: (base: number) => number): Float64Array {
  const rows = rowCount(probs, numClasses, 'probs');
  return Float64Array.from({ length: rows }, (_, i) => score(i * numClasses));
}

/** Top-class probability per row (softmax response). */
export function maxProbability(probs: Matrix, numClasses: number): Float64Array {
  return perRow(probs, numClasses, (base) => {
    let max = -Infinity;
    for (let k = 0; k < numClasses; k++) max = Math.max(max, probs[base + k]);
    return max;
  });
}

/** Top-1 minus top-2 probability per row. */
export function margin(probs: Matrix, numClasses: number): Float64Array {
  return perRow(probs, numClasses, (base) => {
    let first = -Infinity;
    let second = -Infinity;
    for (let k = 0; k < numClasses; k++) {
      const p = probs[base + k];
      if (p > first) {
        second = first;
        first = p;
      } else if (p > second) {
        second = p;
      }
    }
    return first - second;
  });
}

/** sum_k p_k ln p_k per row (minus the entropy, so higher means more confident; 0 ln 0 = 0). */
export function negativeEntropy(probs: Matrix, numClasses: number): Float64Array {
  return perRow(probs, numClasses, (base) => {
    let s = 0;
    for (let k = 0; k < numClasses; k++) {
      const p = probs[base + k];
      if (p > 0) s += p * Math.log(p);
    }
    return s;
  });
}
