import { GlassboxError } from '@glassbox/core';
import { chiSquareSurvival } from './chi-square.js';

/**
 * Two-sample drift statistics over count vectors: bucket counts of a numeric signal
 * (confidence, margin, entropy) or counts per predicted label. `current` is the window being
 * judged, `reference` the baseline; both are raw counts (not shares) over the same bins.
 *
 * Counts may come from this process (a sliding window) or from Prometheus, e.g.
 * `sum by (le) (increase(glassbox_prediction_confidence_bucket[1h]))`: Prometheus `le` buckets
 * are cumulative, so difference them with {@link fromCumulative} first. Non-integer counts
 * (Prometheus extrapolates `increase`) are fine.
 */

export interface DriftStatisticsOptions {
  /**
   * Added to every bin of both vectors before normalising, for PSI only (Jeffreys' 0.5 by
   * default). It keeps ln(c/r) finite for empty bins without inventing epsilon-sized shares,
   * which would make one empty bin dominate the sum.
   */
  pseudoCount?: number;
}

export interface ChiSquareTest {
  /** Pearson's X² of the 2 x B contingency table (current, reference) x bins. */
  statistic: number;
  /** Non-empty bins - 1 (bins empty on both sides carry no information and are dropped). */
  df: number;
  /** P(χ²(df) >= statistic) under "both samples come from one distribution". */
  pValue: number;
}

export interface DriftStatistics {
  /** Population stability index Σ (c_i - r_i) ln(c_i / r_i) over pseudo-count shares; >= 0. */
  psi: number;
  /** Jensen-Shannon distance, base 2: sqrt of the JS divergence of the raw shares; in [0, 1]. */
  jsDistance: number;
  /** Kolmogorov-Smirnov D on the buckets: max |CDF_c - CDF_r| over bucket edges; in [0, 1]. */
  ks: number;
  chiSquare: ChiSquareTest;
  /** Total count of `current`. */
  n: number;
  /** Total count of `reference`. */
  m: number;
}

const DEFAULT_PSEUDO_COUNT = 0.5;

function total(counts: ArrayLike<number>, name: string): number {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (typeof c !== 'number' || !Number.isFinite(c) || c < 0) {
      throw new GlassboxError('INVALID_INPUT', `${name}[${i}] must be a finite count >= 0 (got ${String(c)}).`);
    }
    sum += c;
  }
  return sum;
}

function psiOf(current: ArrayLike<number>, reference: ArrayLike<number>, n: number, m: number, pseudo: number): number {
  const bins = current.length;
  const cTotal = n + pseudo * bins;
  const rTotal = m + pseudo * bins;
  let psi = 0;
  for (let i = 0; i < bins; i++) {
    const c = (current[i] + pseudo) / cTotal;
    const r = (reference[i] + pseudo) / rTotal;
    if (c > 0 && r > 0) psi += (c - r) * Math.log(c / r);
  }
  return Math.max(0, psi);
}

function jsDistanceOf(current: ArrayLike<number>, reference: ArrayLike<number>, n: number, m: number): number {
  let divergence = 0;
  for (let i = 0; i < current.length; i++) {
    const c = current[i] / n;
    const r = reference[i] / m;
    const mid = (c + r) / 2;
    if (c > 0) divergence += 0.5 * c * Math.log2(c / mid);
    if (r > 0) divergence += 0.5 * r * Math.log2(r / mid);
  }
  return Math.sqrt(Math.min(1, Math.max(0, divergence)));
}

function ksOf(current: ArrayLike<number>, reference: ArrayLike<number>, n: number, m: number): number {
  let cdfC = 0;
  let cdfR = 0;
  let d = 0;
  for (let i = 0; i < current.length - 1; i++) {
    cdfC += current[i] / n;
    cdfR += reference[i] / m;
    d = Math.max(d, Math.abs(cdfC - cdfR));
  }
  return Math.min(1, d);
}

function chiSquareOf(current: ArrayLike<number>, reference: ArrayLike<number>, n: number, m: number): ChiSquareTest {
  const grand = n + m;
  let statistic = 0;
  let nonEmpty = 0;
  for (let i = 0; i < current.length; i++) {
    const column = current[i] + reference[i];
    if (column === 0) continue;
    nonEmpty++;
    const expectedC = (n * column) / grand;
    const expectedR = (m * column) / grand;
    statistic += (current[i] - expectedC) ** 2 / expectedC + (reference[i] - expectedR) ** 2 / expectedR;
  }
  const df = nonEmpty - 1;
  return { statistic, df, pValue: df > 0 ? chiSquareSurvival(statistic, df) : 1 };
}

/**
 * PSI, JS distance, bucketed KS and a chi-square homogeneity test of `current` against
 * `reference` (equal-length count vectors, at least 2 bins).
 *
 * Empty input: when either vector sums to 0 there is no evidence of drift, and the result is
 * psi = jsDistance = ks = 0 and chiSquare = { statistic: 0, df: bins - 1, pValue: 1 }.
 * Throws INVALID_INPUT for mismatched lengths or a negative / non-finite count.
 */
export function driftStatistics(
  current: ArrayLike<number>,
  reference: ArrayLike<number>,
  options: DriftStatisticsOptions = {},
): DriftStatistics {
  const pseudo = options.pseudoCount ?? DEFAULT_PSEUDO_COUNT;
  if (!(pseudo > 0) || !Number.isFinite(pseudo)) {
    throw new GlassboxError('INVALID_OPTION', `pseudoCount must be a positive finite number (got ${pseudo}).`);
  }
  if (current.length !== reference.length || current.length < 2) {
    throw new GlassboxError(
      'INVALID_INPUT',
      `current and reference must count the same bins, at least 2 (got ${current.length} and ${reference.length}).`,
    );
  }
  const n = total(current, 'current');
  const m = total(reference, 'reference');
  if (n === 0 || m === 0) {
    return { psi: 0, jsDistance: 0, ks: 0, chiSquare: { statistic: 0, df: current.length - 1, pValue: 1 }, n, m };
  }
  return {
    psi: psiOf(current, reference, n, m, pseudo),
    jsDistance: jsDistanceOf(current, reference, n, m),
    ks: ksOf(current, reference, n, m),
    chiSquare: chiSquareOf(current, reference, n, m),
    n,
    m,
  };
}

/**
 * Per-bucket counts from cumulative `le` counts (Prometheus `_bucket` series in `le` order, the
 * last being `le="+Inf"`, i.e. the total). Differences below zero by less than 1e-6 of the total
 * (rounding in `increase()` extrapolation) clamp to 0; larger ones throw INVALID_INPUT, since
 * the series were not cumulative or not in `le` order.
 */
export function fromCumulative(counts: ArrayLike<number>): Float64Array {
  const out = new Float64Array(counts.length);
  const tolerance = 1e-6 * Math.max(1, counts.length > 0 ? Math.abs(counts[counts.length - 1]) : 0);
  let previous = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (typeof c !== 'number' || !Number.isFinite(c)) {
      throw new GlassboxError('INVALID_INPUT', `cumulative count [${i}] must be finite (got ${String(c)}).`);
    }
    const diff = c - previous;
    if (diff < -tolerance) {
      throw new GlassboxError(
        'INVALID_INPUT',
        `cumulative counts must not decrease (index ${i}: ${c} < ${previous}); pass Prometheus buckets in le order.`,
      );
    }
    out[i] = Math.max(0, diff);
    previous = Math.max(previous, c);
  }
  return out;
}
