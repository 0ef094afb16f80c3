// A third-party calibrator for glassbox, as a plain-object plugin (no imports): softmax(z / 2),
// a fixed temperature of 2 whatever the fitting data. Load it with --plugin FILE (then
// `glassbox calibrate --method halve-logits`) or the server config's plugins: [...].
export default {
  kind: 'calibrator',
  name: 'halve-logits',
  description: 'softmax(z / 2): a fixed temperature of 2.',
  fit: () => ({ divisor: 2 }),
  apply(params, logits, k) {
    const out = new Float32Array(logits.length);
    for (let r = 0; r < logits.length / k; r++) {
      let max = -Infinity;
      for (let j = 0; j < k; j++) max = Math.max(max, logits[r * k + j] / params.divisor);
      let sum = 0;
      for (let j = 0; j < k; j++) sum += out[r * k + j] = Math.exp(logits[r * k + j] / params.divisor - max);
      for (let j = 0; j < k; j++) out[r * k + j] /= sum;
    }
    return out;
  },
};
