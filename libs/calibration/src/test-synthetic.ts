import { softmaxRows64 } from './log-softmax.js';
import { mulberry32 } from './random.js';

export interface SyntheticRows {
  /** Row-major logits [n x k], float32 as a model emits them. */
  logits: Float32Array;
  labels: Int32Array;
}

/**
 * Seeded rows from a calibrated generator, made over-confident: true logits z_ik ~ N(0, 1.5^2)
 * plus `signal` on one class per row, labels drawn from softmax(z) (so softmax(z) is calibrated
 * by construction), returned as `overconfidence` * z.
 */
export function overconfidentRows(n: number, k: number, seed: number, overconfidence = 3, signal = 1.5): SyntheticRows {
  const rng = mulberry32(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const z = Float64Array.from({ length: n * k }, () => 1.5 * gauss());
  for (let i = 0; i < n; i++) z[i * k + Math.floor(rng() * k)] += signal;
  const p = softmaxRows64(z, k);
  const labels = sampleLabels(p, k, rng);
  return { logits: Float32Array.from(z, (v) => v * overconfidence), labels };
}

/** One label per row drawn from that row's probabilities (inverse CDF with `rng`). */
export function sampleLabels(p: ArrayLike<number>, k: number, rng: () => number): Int32Array {
  const n = p.length / k;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let u = rng();
    let y = 0;
    while (y < k - 1 && u >= p[i * k + y]) u -= p[i * k + y++];
    labels[i] = y;
  }
  return labels;
}
