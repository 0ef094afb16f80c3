import type { DriftSignal, DriftStatus } from './drift-types.js';
import { DRIFT_SIGNALS } from './drift-types.js';
import type { SeriesPoint } from './state/records.js';

/** A point of the drift time series from a monitor status taken at `time` (ms). */
export function seriesPoint(status: DriftStatus, time: number): SeriesPoint {
  const psi = {} as Record<DriftSignal, number>;
  const js = {} as Record<DriftSignal, number>;
  for (const signal of DRIFT_SIGNALS) {
    psi[signal] = status.signals[signal].statistics.psi;
    js[signal] = status.signals[signal].statistics.jsDistance;
  }
  const counts = status.signals.labels.windowCounts;
  const label_shares = Object.fromEntries(status.labels.map((l, i) => [l, status.window > 0 ? (counts[i] ?? 0) / status.window : 0]));
  return { time: new Date(time).toISOString(), observed: status.observed, window: status.window, psi, js, label_shares };
}

export interface DriftSeriesOptions {
  /** The monitor's status now. */
  status: () => DriftStatus;
  now: () => number;
  /** A point every this many predictions (counted by `counted`). */
  every: number;
  /** Most points kept in memory (the oldest drop first). */
  limit: number;
  /**
   * Where points go instead of memory (a store; the series is then read back from there).
   * Absent: points are kept in memory, `limit` at most.
   */
  onPoint?: (time: number, point: SeriesPoint) => void;
  /** `observed` of the newest stored point after a restart: no new point until something new was observed. */
  lastObserved?: number;
}

/** The drift time series: points taken every `every` predictions, or when asked at most once a second. */
export interface DriftSeries {
  /** Counts an observed prediction; takes a point every `every` of them. */
  counted(): void;
  /** Takes a point unless one was taken less than a second ago or nothing was observed since. */
  sample(): void;
  /** The points kept in memory, oldest first (empty with `onPoint`). */
  points(): SeriesPoint[];
}

export function createDriftSeries(options: DriftSeriesOptions): DriftSeries {
  const kept: SeriesPoint[] = [];
  let lastSample = -Infinity;
  let lastSampledAt = options.lastObserved ?? -1;
  let sinceSample = 0;
  const take = (force: boolean) => {
    const t = options.now();
    const status = options.status();
    if (status.observed === lastSampledAt && !force) return;
    if (!force && t - lastSample < 1000) return;
    lastSample = t;
    lastSampledAt = status.observed;
    sinceSample = 0;
    const point = seriesPoint(status, t);
    if (options.onPoint) options.onPoint(t, point);
    else {
      kept.push(point);
      if (kept.length > options.limit) kept.splice(0, kept.length - options.limit);
    }
  };
  return {
    counted() {
      if (++sinceSample >= options.every) take(true);
    },
    sample: () => take(false),
    points: () => kept.map((p) => ({ ...p, psi: { ...p.psi }, js: { ...p.js }, label_shares: { ...p.label_shares } })),
  };
}
