import { applyIsotonic, fitIsotonic, type IsotonicFit } from '../isotonic.js';
import { softmaxRows64 } from '../log-softmax.js';
import { asLabels, asMatrix } from '../validate.js';
import { checkNumberArray, numbers, type CheckedCalibratorPlugin } from './calibrator-params.js';

/** Splits flattened isotonic params back into one fit per class (params already checked). */
function isotonicFits(params: Record<string, unknown>): IsotonicFit[] {
  const [x, y, offsets] = [numbers(params, 'x'), numbers(params, 'y'), numbers(params, 'offsets')];
  return offsets.slice(0, -1).map((start, k) => ({ x: x.slice(start, offsets[k + 1]), y: y.slice(start, offsets[k + 1]) }));
}

/**
 * One-vs-rest isotonic regression on softmax p_k, rows renormalised. Params `{ x, y, offsets }`:
 * class k's fitted points are x/y[offsets[k] .. offsets[k + 1]), offsets from 0 to x.length.
 */
export const isotonicCalibrator: CheckedCalibratorPlugin = {
  kind: 'calibrator',
  name: 'isotonic',
  description: 'One-vs-rest isotonic regression on the softmax probabilities, rows renormalised.',
  fit({ logits, labels, numLabels }) {
    const fits = fitIsotonic(softmaxRows64(asMatrix(logits), numLabels), asLabels(labels), numLabels);
    const offsets = [0];
    for (const f of fits) offsets.push(offsets[offsets.length - 1] + f.x.length);
    return { x: fits.flatMap((f) => f.x), y: fits.flatMap((f) => f.y), offsets };
  },
  apply: (params, logits, k) => Float32Array.from(applyIsotonic(softmaxRows64(logits, k), isotonicFits(params), k)),
  check(params, fail) {
    const x = checkNumberArray(params, 'x', fail);
    const y = checkNumberArray(params, 'y', fail, 'x');
    const offsets = checkNumberArray(params, 'offsets', fail);
    const k = offsets.length - 1;
    if (k < 2) fail('params.offsets', `must hold K + 1 entries for K >= 2 classes (got ${offsets.length})`);
    if (offsets[0] !== 0 || offsets[k] !== x.length) {
      fail('params.offsets', `must run from 0 to the length of params.x (${x.length}); got ${offsets[0]} .. ${offsets[k]}`);
    }
    for (let c = 0; c < k; c++) {
      const [start, end] = [offsets[c], offsets[c + 1]];
      if (!Number.isInteger(end) || end <= start) {
        fail(`params.offsets[${c + 1}]`, `must be an integer above offsets[${c}] (each class has at least one point); got ${end}`);
      }
      for (let i = start; i < end; i++) {
        if (y[i] < 0 || y[i] > 1) fail(`params.y[${i}]`, `must be a probability in [0, 1] (got ${y[i]})`);
        if (i > start && !(x[i] > x[i - 1])) fail(`params.x[${i}]`, `must be above params.x[${i - 1}] within class ${c}`);
        if (i > start && y[i] < y[i - 1]) fail(`params.y[${i}]`, `must not be below params.y[${i - 1}] within class ${c} (isotonic)`);
      }
    }
    return k;
  },
};
