import { GlassboxError } from '@glassbox/core';

/**
 * Fixed bucket boundaries for the per-prediction signals. Boundaries are finite, strictly
 * increasing upper bounds; a value v falls in the first bucket i with v <= boundaries[i]
 * (upper-inclusive, like Prometheus `le` and the OpenTelemetry explicit-bucket histogram), and
 * values above the last boundary fall in one extra overflow bucket (`le="+Inf"`). A count vector
 * therefore has `boundaries.length + 1` entries.
 *
 * Keep these fixed: drift is measured by comparing counts in the same buckets, so a reference
 * profile, the in-process window and Prometheus histograms must share the boundaries.
 */

/**
 * Top-class probability, in [1/k, 1] (>= 1/7 ~ 0.143 for the 7 emotion labels). The first bucket
 * holds everything up to 0.2; the high end is finer because most mass of a confident model sits
 * there. 11 buckets; the last (`le="+Inf"`) holds (0.99, 1].
 */
export const CONFIDENCE_BUCKETS: readonly number[] = Object.freeze([0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]);

/** Top-1 minus top-2 probability, in [0, 1]. 12 buckets; the last (`le="+Inf"`) holds (0.95, 1]. */
export const MARGIN_BUCKETS: readonly number[] = Object.freeze([0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]);

/**
 * Shannon entropy of the probabilities in bits, in [0, log2 k] (log2 7 ~ 2.807). Steps of 0.25;
 * 12 buckets; the last (`le="+Inf"`) holds (2.75, 2.807].
 */
export const ENTROPY_BUCKETS: readonly number[] = Object.freeze([0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75]);

/** Inference latency in seconds (the Prometheus client defaults). */
export const DURATION_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

/** Throws INVALID_OPTION unless `boundaries` is a non-empty, finite, strictly increasing list. */
export function assertBoundaries(boundaries: ArrayLike<number>, name = 'boundaries'): void {
  if (boundaries.length === 0) {
    throw new GlassboxError('INVALID_OPTION', `${name} must hold at least one finite boundary.`);
  }
  for (let i = 0; i < boundaries.length; i++) {
    const b = boundaries[i];
    if (typeof b !== 'number' || !Number.isFinite(b) || (i > 0 && b <= boundaries[i - 1])) {
      throw new GlassboxError(
        'INVALID_OPTION',
        `${name} must be finite and strictly increasing (problem at index ${i}: ${String(b)}); +Inf is implicit.`,
      );
    }
  }
}

/** Index of the upper-inclusive bucket holding `value`: 0..boundaries.length (the last is +Inf). */
export function bucketIndex(value: number, boundaries: ArrayLike<number>): number {
  let lo = 0;
  let hi = boundaries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (boundaries[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Counts `values` into the upper-inclusive buckets of `boundaries`; returns
 * `boundaries.length + 1` counts (the last is the +Inf bucket). Empty input gives all zeros.
 * Throws INVALID_INPUT for a NaN value.
 */
export function bucketCounts(values: ArrayLike<number>, boundaries: ArrayLike<number>): Float64Array {
  const counts = new Float64Array(boundaries.length + 1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) {
      throw new GlassboxError('INVALID_INPUT', `values[${i}] is NaN; bucket only numbers.`);
    }
    counts[bucketIndex(v, boundaries)] += 1;
  }
  return counts;
}
