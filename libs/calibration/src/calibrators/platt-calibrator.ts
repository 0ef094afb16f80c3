import { applyPlatt, fitPlatt } from '../platt.js';
import { asLabels, asMatrix } from '../validate.js';
import { checkPerClassPair, numbers, type CheckedCalibratorPlugin } from './calibrator-params.js';

/** One-vs-rest Platt scaling: s_k = 1 / (1 + exp(a_k z_k + b_k)), rows renormalised. Params `{ a: number[K], b: number[K] }`. */
export const plattCalibrator: CheckedCalibratorPlugin = {
  kind: 'calibrator',
  name: 'platt',
  description: 'One-vs-rest Platt scaling: a sigmoid per class on its logit, rows renormalised.',
  fit({ logits, labels, numLabels }) {
    const fits = fitPlatt(asMatrix(logits), asLabels(labels), numLabels);
    return { a: fits.map((f) => f.a), b: fits.map((f) => f.b) };
  },
  apply(params, logits, k) {
    const b = numbers(params, 'b');
    return Float32Array.from(applyPlatt(logits, numbers(params, 'a').map((a, i) => ({ a, b: b[i] })), k));
  },
  check: (params, fail) => checkPerClassPair(params, 'a', 'b', fail),
};
