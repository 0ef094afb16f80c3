import { binomialUpperBound } from './binomial.js';
import { checkOpenUnit, checkSameLength } from './validate.js';

/** Per-row correctness: 1 (or true) where the prediction is right. */
export type Correctness = ArrayLike<number | boolean>;

export interface RiskCoverageCurve {
  /** coverage[j] = (j + 1) / n. */
  coverage: Float64Array;
  /** risk[j] = error rate among the j + 1 most confident rows. */
  risk: Float64Array;
}

export interface SelectiveStats {
  /** Fraction of rows with confidence >= threshold. */
  coverage: number;
  /** Error rate among them (0 when none is covered). */
  risk: number;
}

export interface SgrOptions {
  /** Largest acceptable risk r* (default 0.1). */
  targetRisk?: number;
  /** The guarantee fails with probability at most delta (default 0.01). */
  delta?: number;
}

export interface SgrResult extends SelectiveStats {
  targetRisk: number;
  delta: number;
  /** Accept rows with confidence >= threshold; null when no tested threshold met the target. */
  threshold: number | null;
  /** The risk bound that holds with probability >= 1 - delta at `threshold` (null with it). */
  riskBound: number | null;
}

/** Row indices sorted by confidence, highest first (stable on ties). */
function descendingOrder(confidence: ArrayLike<number>): number[] {
  return Array.from({ length: confidence.length }, (_, i) => i).sort((a, b) => confidence[b] - confidence[a] || a - b);
}

/** Risk-coverage curve: rows ranked by confidence (highest first, stable on ties). */
export function riskCoverageCurve(confidence: ArrayLike<number>, correct: Correctness): RiskCoverageCurve {
  checkSameLength(confidence, correct, 'confidence', 'correct');
  const n = confidence.length;
  const coverage = new Float64Array(n);
  const risk = new Float64Array(n);
  let errors = 0;
  descendingOrder(confidence).forEach((row, j) => {
    if (!correct[row]) errors++;
    coverage[j] = (j + 1) / n;
    risk[j] = errors / (j + 1);
  });
  return { coverage, risk };
}

/** Area under the risk-coverage curve: (1/n) sum_{k=1..n} (errors among the k most confident) / k. */
export function aurc(confidence: ArrayLike<number>, correct: Correctness): number {
  const { risk } = riskCoverageCurve(confidence, correct);
  let total = 0;
  for (const r of risk) total += r;
  return total / risk.length;
}

/** Coverage and risk of accepting the rows with confidence >= threshold. */
export function selectiveStats(confidence: ArrayLike<number>, correct: Correctness, threshold: number): SelectiveStats {
  checkSameLength(confidence, correct, 'confidence', 'correct');
  let covered = 0;
  let errors = 0;
  for (let i = 0; i < confidence.length; i++) {
    if (confidence[i] >= threshold) {
      covered++;
      if (!correct[i]) errors++;
    }
  }
  return { coverage: covered / confidence.length, risk: covered === 0 ? 0 : errors / covered };
}

/**
 * Selection with Guaranteed Risk (Geifman & El-Yaniv 2017). Confidences sorted descending,
 * m rows, steps = ceil(log2 m); binary search z in [0, m-1]: z = ceil((zmin + zmax)/2),
 * theta = conf[z], the c rows with conf >= theta have empirical risk r = errors / c, and
 * bound = the smallest b with BinomCDF(floor(c r); c, b) <= delta / steps (a union bound over the
 * steps). If bound < targetRisk, keep (theta, bound) and move to lower thresholds (zmin = z),
 * else zmax = z. Returns the last kept pair and its coverage and risk on these rows.
 * c r is the error count among the covered rows, used as that integer: recomputing it as
 * floor(c * (errors / c)) in float64 can lose one (49 * (1/49) < 1), which would make the bound
 * optimistic.
 */
export function sgr(confidence: ArrayLike<number>, correct: Correctness, options: SgrOptions = {}): SgrResult {
  const targetRisk = options.targetRisk ?? 0.1;
  const delta = options.delta ?? 0.01;
  checkOpenUnit(targetRisk, 'targetRisk');
  checkOpenUnit(delta, 'delta');
  checkSameLength(confidence, correct, 'confidence', 'correct');
  const m = confidence.length;
  const order = descendingOrder(confidence);
  const sorted = order.map((i) => confidence[i]);
  const errorsBefore = new Int32Array(m + 1);
  for (let j = 0; j < m; j++) errorsBefore[j + 1] = errorsBefore[j] + (correct[order[j]] ? 0 : 1);

  const steps = Math.max(1, Math.ceil(Math.log2(m)));
  let zMin = 0;
  let zMax = m - 1;
  let threshold: number | null = null;
  let riskBound: number | null = null;
  for (let step = 0; step < steps; step++) {
    const z = Math.ceil((zMin + zMax) / 2);
    const theta = sorted[z];
    let c = z + 1;
    while (c < m && sorted[c] >= theta) c++;
    const bound = binomialUpperBound(errorsBefore[c], c, delta / steps);
    if (bound < targetRisk) {
      threshold = theta;
      riskBound = bound;
      zMin = z;
    } else {
      zMax = z;
    }
  }
  const stats = threshold === null ? { coverage: 0, risk: 0 } : selectiveStats(confidence, correct, threshold);
  return { targetRisk, delta, threshold, riskBound, ...stats };
}
