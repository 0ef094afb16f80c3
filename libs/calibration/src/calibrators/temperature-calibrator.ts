import { asLabels, asMatrix } from '../validate.js';
import { applyTemperature, fitTemperature } from '../temperature.js';
import type { CheckedCalibratorPlugin } from './calibrator-params.js';

/** Temperature scaling: one T > 0 for all classes; probabilities softmax(z / T). Params `{ temperature }`. */
export const temperatureCalibrator: CheckedCalibratorPlugin = {
  kind: 'calibrator',
  name: 'temperature',
  description: 'Temperature scaling: softmax(z / T), one T fitted by NLL (keeps the argmax).',
  fit: ({ logits, labels, numLabels }) => ({ temperature: fitTemperature(asMatrix(logits), asLabels(labels), numLabels).temperature }),
  apply: (params, logits, k) => Float32Array.from(applyTemperature(logits, params.temperature as number, k)),
  check(params, fail) {
    const t = params.temperature;
    if (typeof t !== 'number' || !(t > 0 && Number.isFinite(t))) fail('params.temperature', `must be a finite number > 0 (got ${JSON.stringify(t)})`);
    return null;
  },
};
