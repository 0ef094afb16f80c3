import { mulberry32, randomInt } from './random.js';
import { checkInteger, checkLabels, checkOpenUnit, nonEmptyRowCount } from './validate.js';
import type { LabelArray, Matrix } from './validate.js';

/** A metric of (probs, labels, numClasses), e.g. `ece` or `brier`. */
export type RowMetric = (probs: Float64Array, labels: Int32Array, numClasses: number) => number;

export interface BootstrapOptions {
  /** Number of bootstrap resamples (default 1000). */
  samples?: number;
  /** Confidence level of the interval (default 0.95). */
  level?: number;
  /** Seed of the mulberry32 generator that draws the resamples (default 0). */
  seed?: number;
}

export interface ConfidenceInterval {
  /** The metric on the full data. */
  estimate: number;
  lower: number;
  upper: number;
  level: number;
  samples: number;
}

/** The q-quantile of ascending `sorted`, interpolated linearly (numpy's default 'linear' method). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Percentile bootstrap interval of a metric: `samples` times, draw n rows with replacement
 * (seeded), evaluate the metric; the interval is the (1 - level)/2 and (1 + level)/2 quantiles of
 * those values. Deterministic for a given seed.
 */
export function bootstrapCi(
  probs: Matrix,
  labels: LabelArray,
  numClasses: number,
  metric: RowMetric,
  options: BootstrapOptions = {},
): ConfidenceInterval {
  const samples = options.samples ?? 1000;
  const level = options.level ?? 0.95;
  const seed = options.seed ?? 0;
  checkInteger(samples, 'samples', 1);
  checkOpenUnit(level, 'level');
  const rows = nonEmptyRowCount(probs, numClasses, 'probs');
  checkLabels(labels, rows, numClasses);
  const fullProbs = Float64Array.from(probs);
  const fullLabels = Int32Array.from(labels);
  const estimate = metric(fullProbs, fullLabels, numClasses);
  const rng = mulberry32(seed);
  const sampleProbs = new Float64Array(fullProbs.length);
  const sampleLabels = new Int32Array(rows);
  const values = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < rows; i++) {
      const r = randomInt(rng, rows);
      sampleLabels[i] = fullLabels[r];
      sampleProbs.set(fullProbs.subarray(r * numClasses, (r + 1) * numClasses), i * numClasses);
    }
    values[s] = metric(sampleProbs, sampleLabels, numClasses);
  }
  values.sort();
  return {
    estimate,
    lower: quantileSorted(values, (1 - level) / 2),
    upper: quantileSorted(values, (1 + level) / 2),
    level,
    samples,
  };
}
