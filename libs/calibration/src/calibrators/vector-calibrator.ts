import { asLabels, asMatrix } from '../validate.js';
import { applyVectorScaling, fitVectorScaling } from '../vector-scaling.js';
import { checkPerClassPair, numbers, type CheckedCalibratorPlugin } from './calibrator-params.js';

/** Vector scaling: softmax(scale * z + bias) per class. Params `{ scale: number[K], bias: number[K] }`. */
export const vectorCalibrator: CheckedCalibratorPlugin = {
  kind: 'calibrator',
  name: 'vector',
  description: 'Vector scaling: softmax(scale * z + bias), a scale and bias per class fitted by NLL.',
  fit({ logits, labels, numLabels }) {
    const { scale, bias } = fitVectorScaling(asMatrix(logits), asLabels(labels), numLabels);
    return { scale, bias };
  },
  apply: (params, logits, k) => Float32Array.from(applyVectorScaling(logits, { scale: numbers(params, 'scale'), bias: numbers(params, 'bias') }, k)),
  check: (params, fail) => checkPerClassPair(params, 'scale', 'bias', fail),
};
