import { GlassboxError } from '@glassbox/core';
import { checkLabels, nonEmptyRowCount, rowCount } from './validate.js';
import type { LabelArray, Matrix } from './validate.js';

/** One sigmoid s = 1 / (1 + exp(a * z + b)) over a class's logit z. */
export interface PlattParams {
  a: number;
  b: number;
}

/** ln(1 + e^x) without overflow. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** 1 / (1 + e^x) without overflow. */
function sigmoidOfNegative(x: number): number {
  if (x >= 0) {
    const e = Math.exp(-x);
    return e / (1 + e);
  }
  return 1 / (1 + Math.exp(x));
}

/**
 * Platt (1999) scaling of one score column: with positive/negative counts N+ and N-, targets
 * t = (N+ + 1)/(N+ + 2) for positives and 1/(N- + 2) for negatives, (a, b) minimise the log loss
 *   L(a, b) = sum_i -[t_i ln s_i + (1 - t_i) ln(1 - s_i)],  s_i = 1 / (1 + exp(a z_i + b)),
 * as scikit-learn's `_sigmoid_calibration` (same start: a = 0, b = ln((N- + 1)/(N+ + 1))). With
 * f = a z + b, L = sum t softplus(f) + (1 - t) softplus(-f), so dL/df = t - s and
 * d2L/df2 = s (1 - s): Newton steps on the convex 2-parameter problem with a backtracking line
 * search (Lin, Lin & Weng 2007) converge to the optimum BFGS approaches.
 */
export function fitSigmoid(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>): PlattParams {
  const n = scores.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) nPos++;
  const nNeg = n - nPos;
  const hiTarget = (nPos + 1) / (nPos + 2);
  const loTarget = 1 / (nNeg + 2);
  const target = (i: number): number => (positive[i] ? hiTarget : loTarget);
  const loss = (a: number, b: number): number => {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const f = a * scores[i] + b;
      const t = target(i);
      total += t * softplus(f) + (1 - t) * softplus(-f);
    }
    return total;
  };

  let a = 0;
  let b = Math.log((nNeg + 1) / (nPos + 1));
  let current = loss(a, b);
  for (let iteration = 0; iteration < 100; iteration++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-12;
    let hab = 0;
    let hbb = 1e-12;
    for (let i = 0; i < n; i++) {
      const z = scores[i];
      const s = sigmoidOfNegative(a * z + b);
      const d = target(i) - s;
      const w = s * (1 - s);
      ga += d * z;
      gb += d;
      haa += w * z * z;
      hab += w * z;
      hbb += w;
    }
    if (Math.abs(ga) < 1e-12 * n && Math.abs(gb) < 1e-12 * n) break;
    const det = haa * hbb - hab * hab;
    const da = -(hbb * ga - hab * gb) / det;
    const db = -(haa * gb - hab * ga) / det;
    const slope = ga * da + gb * db;
    // Armijo backtracking; the slack of a few ulps of the loss lets the last, quadratically
    // convergent steps through when their decrease is below float resolution.
    const slack = 1e-13 * Math.abs(current);
    let step = 1;
    let next = loss(a + da, b + db);
    while (next > current + 1e-4 * step * slope + slack && step > 1e-10) {
      step /= 2;
      next = loss(a + step * da, b + step * db);
    }
    if (step <= 1e-10) break;
    a += step * da;
    b += step * db;
    current = next;
    if (Math.abs(step * da) < 1e-15 * (1 + Math.abs(a)) && Math.abs(step * db) < 1e-15 * (1 + Math.abs(b))) break;
  }
  return { a, b };
}

/** One-vs-rest Platt scaling on logits: one sigmoid per class k over logit z_k, fitted on (z_k, [label = k]). */
export function fitPlatt(logits: Matrix, labels: LabelArray, numClasses: number): PlattParams[] {
  const rows = nonEmptyRowCount(logits, numClasses, 'logits');
  checkLabels(labels, rows, numClasses);
  const scores = new Float64Array(rows);
  const positive = new Uint8Array(rows);
  const params: PlattParams[] = [];
  for (let k = 0; k < numClasses; k++) {
    for (let i = 0; i < rows; i++) {
      scores[i] = logits[i * numClasses + k];
      positive[i] = labels[i] === k ? 1 : 0;
    }
    params.push(fitSigmoid(scores, positive));
  }
  return params;
}

/**
 * Calibrated probabilities: s_k = 1 / (1 + exp(a_k z_k + b_k)) per class, each row divided by its
 * sum (a row whose sigmoids all underflow to 0 becomes uniform).
 */
export function applyPlatt(logits: Matrix, params: readonly PlattParams[], numClasses: number): Float64Array {
  const rows = rowCount(logits, numClasses, 'logits');
  if (params.length !== numClasses) {
    throw new GlassboxError('INVALID_OPTION', `params must hold one {a, b} per class: ${numClasses} expected, got ${params.length}.`);
  }
  const out = new Float64Array(logits.length);
  for (let i = 0; i < rows; i++) {
    const base = i * numClasses;
    let sum = 0;
    for (let k = 0; k < numClasses; k++) {
      const s = sigmoidOfNegative(params[k].a * logits[base + k] + params[k].b);
      out[base + k] = s;
      sum += s;
    }
    for (let k = 0; k < numClasses; k++) out[base + k] = sum > 0 ? out[base + k] / sum : 1 / numClasses;
  }
  return out;
}
