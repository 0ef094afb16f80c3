import { GlassboxError } from '@glassbox/core';
import { resolvePluginOptions, type DriftInput, type DriftStatisticPlugin, type PluginRegistry } from '@glassbox/core';
import { builtinDriftStatistics } from './statistics/builtin-statistics.js';
import { chiSquareTest, type ChiSquareTest } from './statistics/chi-square-statistic.js';
import { jsDistance } from './statistics/js-distance.js';
import { ks } from './statistics/ks.js';
import { psi } from './statistics/psi.js';

export type { ChiSquareTest } from './statistics/chi-square-statistic.js';

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
   * Added to every bin of both vectors that holds data on either side before normalising, for
   * PSI only (Jeffreys' 0.5 by default); bins empty on both sides get none and are skipped. It keeps ln(c/r) finite for empty bins without inventing epsilon-sized shares,
   * which would make one empty bin dominate the sum.
   */
  pseudoCount?: number;
  /**
   * Bucket upper edges of a numeric signal (one fewer than the bins; the last bin is open), or
   * null for label counts; `values` then holds the statistics of that kind of signal. Default:
   * every statistic, with equally spaced buckets for those that read edges.
   */
  edges?: readonly number[] | null;
  /** The statistics `values` holds. Default: the built-in ones. */
  statistics?: PluginRegistry<DriftStatisticPlugin>;
  /** Options per statistic name, over each one's defaults (`pseudoCount` is PSI's). */
  statisticOptions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface DriftStatistics {
  /** Population stability index Σ (c_i - r_i) ln(c_i / r_i) over pseudo-count shares; >= 0. */
  psi: number;
  /** Jensen-Shannon distance, base 2: sqrt of the JS divergence of the raw shares; in [0, 1]. */
  jsDistance: number;
  /** Kolmogorov-Smirnov D on the buckets: max |CDF_c - CDF_r| over bucket edges; in [0, 1]. */
  ks: number;
  chiSquare: ChiSquareTest;
  /** Every registered statistic that applies to the signal (numeric or categorical), by name. */
  values: Record<string, number>;
  /** The effect size of each statistic whose alarm checks one besides its value (chi-square: JS distance). */
  effects: Record<string, number>;
  /** Bins holding data on either side. */
  bins: number;
  /** Total count of `current`. */
  n: number;
  /** Total count of `reference`. */
  m: number;
}

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

let builtins: PluginRegistry<DriftStatisticPlugin> | undefined;
const defaultRegistry = () => (builtins ??= builtinDriftStatistics());

/** The statistic's options: its defaults, then `pseudoCount` (PSI), then `statisticOptions`. */
export function statisticOptionsOf(plugin: DriftStatisticPlugin, options: Pick<DriftStatisticsOptions, 'pseudoCount' | 'statisticOptions'>) {
  const overrides = { ...(plugin.name === 'psi' && options.pseudoCount !== undefined && { pseudoCount: options.pseudoCount }), ...options.statisticOptions?.[plugin.name] };
  return resolvePluginOptions(plugin, overrides);
}

/** Whether a statistic applies to a signal with these edges (null: label counts). */
export const appliesTo = (plugin: DriftStatisticPlugin, edges: readonly number[] | null): boolean =>
  plugin.signals.includes(edges === null ? 'categorical' : 'numeric');

/**
 * PSI, JS distance, bucketed KS and a chi-square homogeneity test of `current` against
 * `reference` (equal-length count vectors, at least 2 bins), and in `values` every registered
 * statistic that applies to the signal.
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
  const pseudo = options.pseudoCount ?? 0.5;
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
  const edges = options.edges === undefined ? Array.from({ length: current.length - 1 }, (_, i) => i + 1) : options.edges;
  const input: DriftInput = { current: Array.from(current), reference: Array.from(reference), edges };
  let bins = 0;
  for (let i = 0; i < current.length; i++) if (current[i] + reference[i] > 0) bins++;
  const values: Record<string, number> = {};
  const effects: Record<string, number> = {};
  for (const { plugin } of (options.statistics ?? defaultRegistry()).entries()) {
    if (options.edges !== undefined && !appliesTo(plugin, edges)) continue;
    const resolved = statisticOptionsOf(plugin, options);
    values[plugin.name] = n === 0 || m === 0 ? 0 : plugin.compute(input, resolved);
    if (plugin.effect) effects[plugin.name] = n === 0 || m === 0 ? 0 : plugin.effect(input, resolved);
  }
  return {
    psi: psi.compute(input, statisticOptionsOf(psi, options) as { pseudoCount: number; floor: number }),
    jsDistance: jsDistance.compute(input, {}),
    ks: ks.compute(input, { floor: 0 }),
    chiSquare: chiSquareTest(input.current, input.reference),
    values,
    effects,
    bins,
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
