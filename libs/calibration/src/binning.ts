import { GlassboxError } from '@glassbox/core';
import { checkInteger } from './validate.js';

export type BinningScheme = 'equal-width' | 'equal-mass';

export interface BinningOptions {
  /** Number of bins (default 15). */
  bins?: number;
  /** 'equal-width' (default): bin b = (b/B, (b+1)/B]. 'equal-mass': B bins of (nearly) equal row counts. */
  scheme?: BinningScheme;
}

export interface Binning {
  /** Bin index of each value. */
  index: Int32Array;
  /** Bin b covers (lower[b], upper[b]]. */
  lower: number[];
  upper: number[];
}

const SCHEMES: readonly BinningScheme[] = ['equal-width', 'equal-mass'];

/** Validated bins and scheme, with defaults applied. */
export function binningOptions(options: BinningOptions = {}): { bins: number; scheme: BinningScheme } {
  const bins = options.bins ?? 15;
  const scheme = options.scheme ?? 'equal-width';
  checkInteger(bins, 'bins', 1);
  if (!SCHEMES.includes(scheme)) {
    throw new GlassboxError('INVALID_OPTION', `scheme must be one of ${SCHEMES.join(', ')} (got ${String(scheme)}).`);
  }
  return { bins, scheme };
}

/**
 * Equal-width bins over [0, 1]: bin b = (e_b, e_{b+1}] with edges e_i = i * (1/B) and e_B = 1
 * (numpy's linspace(0, 1, B + 1), the edges of Guo et al.'s ECE code). A value of exactly 0 joins
 * bin 0; values are compared against the edges themselves so that rounding in value * B never
 * moves a value sitting on an edge into the bin above.
 */
export function equalWidthBins(values: ArrayLike<number>, bins: number): Binning {
  const step = 1 / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? 1 : i * step));
  const index = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let b = Math.min(bins - 1, Math.max(0, Math.ceil(v * bins) - 1));
    while (b > 0 && v <= edges[b]) b--;
    while (b < bins - 1 && v > edges[b + 1]) b++;
    index[i] = b;
  }
  return { index, lower: edges.slice(0, bins), upper: edges.slice(1) };
}

/**
 * Equal-mass bins: rows sorted by value (stable), row of rank r goes to bin floor(r * B / n), so
 * bin sizes differ by at most one. Bin b spans (upper of bin b-1, largest value in bin b]; the
 * first bin starts at 0 and the last ends at 1. With n < B some bins stay empty.
 */
export function equalMassBins(values: ArrayLike<number>, bins: number): Binning {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
  const index = new Int32Array(n);
  const upper = new Array<number>(bins).fill(Number.NaN);
  for (let r = 0; r < n; r++) {
    const b = Math.floor((r * bins) / n);
    index[order[r]] = b;
    upper[b] = values[order[r]];
  }
  upper[bins - 1] = 1;
  const lower = new Array<number>(bins);
  let previous = 0;
  for (let b = 0; b < bins; b++) {
    if (Number.isNaN(upper[b])) upper[b] = previous;
    lower[b] = previous;
    previous = upper[b];
  }
  return { index, lower, upper };
}

/** Assigns values in [0, 1] to bins by the chosen scheme. */
export function assignBins(values: ArrayLike<number>, bins: number, scheme: BinningScheme): Binning {
  return scheme === 'equal-width' ? equalWidthBins(values, bins) : equalMassBins(values, bins);
}
