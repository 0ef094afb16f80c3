/**
 * Multinomial logistic regression (a linear softmax head) over frozen features: the weighted
 * cross-entropy with L2 on the weights, its gradient, and the Adam update.
 * Parameters are one Float64Array: W row-major [k x d], then b [k].
 */

export interface HeadProblem {
  /** Row-major [n x d] features. */
  features: Float32Array;
  d: number;
  k: number;
  /** Label id per row. */
  labels: ArrayLike<number>;
  /** Loss weight per class (1s for an unweighted loss). */
  classWeights: ArrayLike<number>;
  /** L2 strength on W (not b): adds l2/2 x ||W||². */
  l2: number;
}

/** Logits of one row into `out` ([k]). */
export function rowLogits(params: Float64Array, features: Float32Array, row: number, d: number, k: number, out: Float64Array): void {
  const x = row * d;
  for (let c = 0; c < k; c++) {
    let s = params[k * d + c];
    const w = c * d;
    for (let j = 0; j < d; j++) s += params[w + j] * features[x + j];
    out[c] = s;
  }
}

/** Softmax of `z` in place; returns log-sum-exp. */
function softmaxInPlace(z: Float64Array): number {
  let max = -Infinity;
  for (const v of z) max = Math.max(max, v);
  let sum = 0;
  for (let c = 0; c < z.length; c++) sum += Math.exp(z[c] - max);
  const lse = max + Math.log(sum);
  for (let c = 0; c < z.length; c++) z[c] = Math.exp(z[c] - lse);
  return lse;
}

/**
 * Mean weighted cross-entropy over `rows` (sum of w_y x -log p_y divided by the sum of w_y, as
 * PyTorch's CrossEntropyLoss with class weights) plus l2/2 x ||W||². Writes the gradient into
 * `grad` when given. Rows whose class weight is 0 do not count.
 */
export function headLoss(params: Float64Array, problem: HeadProblem, rows: ArrayLike<number>, grad?: Float64Array): number {
  const { features, d, k, labels, classWeights, l2 } = problem;
  const z = new Float64Array(k);
  if (grad) grad.fill(0);
  let total = 0;
  let weightSum = 0;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const y = labels[row];
    const w = classWeights[y];
    if (w === 0) continue;
    rowLogits(params, features, row, d, k, z);
    const lse = softmaxInPlace(z);
    total += w * (lse - (Math.log(z[y]) + lse));
    weightSum += w;
    if (!grad) continue;
    const x = row * d;
    for (let c = 0; c < k; c++) {
      const delta = w * (z[c] - (c === y ? 1 : 0));
      if (delta === 0) continue;
      const g = c * d;
      for (let j = 0; j < d; j++) grad[g + j] += delta * features[x + j];
      grad[k * d + c] += delta;
    }
  }
  const scale = weightSum > 0 ? 1 / weightSum : 0;
  let penalty = 0;
  for (let i = 0; i < k * d; i++) penalty += params[i] * params[i];
  if (grad) {
    for (let i = 0; i < grad.length; i++) grad[i] *= scale;
    for (let i = 0; i < k * d; i++) grad[i] += l2 * params[i];
  }
  return total * scale + 0.5 * l2 * penalty;
}

export interface AdamState {
  m: Float64Array;
  v: Float64Array;
  t: number;
}

export function createAdamState(size: number): AdamState {
  return { m: new Float64Array(size), v: new Float64Array(size), t: 0 };
}

/** One Adam step (Kingma & Ba 2015, betas 0.9 / 0.999, eps 1e-8) on `params` in place. */
export function adamStep(params: Float64Array, grad: Float64Array, state: AdamState, learningRate: number): void {
  const b1 = 0.9;
  const b2 = 0.999;
  state.t++;
  const c1 = 1 - b1 ** state.t;
  const c2 = 1 - b2 ** state.t;
  for (let i = 0; i < params.length; i++) {
    state.m[i] = b1 * state.m[i] + (1 - b1) * grad[i];
    state.v[i] = b2 * state.v[i] + (1 - b2) * grad[i] * grad[i];
    params[i] -= (learningRate * (state.m[i] / c1)) / (Math.sqrt(state.v[i] / c2) + 1e-8);
  }
}

/** Predicted class (argmax of the logits) of each row in `rows`. */
export function predictRows(params: Float64Array, features: Float32Array, rows: readonly number[], d: number, k: number): number[] {
  const z = new Float64Array(k);
  return rows.map((row) => {
    rowLogits(params, features, row, d, k, z);
    let best = 0;
    for (let c = 1; c < k; c++) if (z[c] > z[best]) best = c;
    return best;
  });
}

export interface Standardizer {
  mean: Float64Array;
  /** Standard deviation per feature (1 where a feature is constant). */
  std: Float64Array;
}

/** Per-feature mean and standard deviation over `rows`. */
export function fitStandardizer(features: Float32Array, d: number, rows: readonly number[]): Standardizer {
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (const row of rows) for (let j = 0; j < d; j++) mean[j] += features[row * d + j];
  for (let j = 0; j < d; j++) mean[j] /= Math.max(1, rows.length);
  for (const row of rows) for (let j = 0; j < d; j++) sq[j] += (features[row * d + j] - mean[j]) ** 2;
  const std = sq.map((s) => Math.sqrt(s / Math.max(1, rows.length)) || 1);
  return { mean, std };
}

/** (x - mean) / std for every row. */
export function standardize(features: Float32Array, d: number, s: Standardizer): Float32Array {
  const out = new Float32Array(features.length);
  for (let i = 0; i < features.length; i++) out[i] = (features[i] - s.mean[i % d]) / s.std[i % d];
  return out;
}

/**
 * The head on raw features equal to `params` on standardized ones:
 * W' = W / std, b' = b - W' · mean. Returns float32 weight [k x d] and bias [k].
 */
export function foldStandardizer(params: Float64Array, s: Standardizer, d: number, k: number): { weight: Float32Array; bias: Float32Array } {
  const weight = new Float32Array(k * d);
  const bias = new Float32Array(k);
  for (let c = 0; c < k; c++) {
    let b = params[k * d + c];
    for (let j = 0; j < d; j++) {
      const w = params[c * d + j] / s.std[j];
      weight[c * d + j] = w;
      b -= w * s.mean[j];
    }
    bias[c] = b;
  }
  return { weight, bias };
}
