import { GlassboxError } from '@glassbox/core';
import type { DriftAlarm, DriftWindowOptions, MonitorState } from './drift-types.js';
import { DRIFT_SIGNALS } from './drift-types.js';
import type { ReferenceProfile } from './reference-profile.js';
import type { SlidingWindow } from './sliding-window.js';
import { createCountWindow, createTimeWindow } from './sliding-window.js';

/**
 * The drift window's layout (a bucket channel per signal, value channels for the performance
 * estimates), how a stored state is checked before it refills one, and the order alarms fire in.
 */

export const DEFAULT_WINDOW_SIZE = 500;
// Window channels (bucket indexes) and value channels.
export const CH = { confidence: 0, margin: 1, entropy: 2, labels: 3 } as const;
export const V_CONFIDENCE = 0;
export const V_LABELLED = 1;
export const V_CORRECT = 2;
export const V_LABELLED_CONFIDENCE = 3;

/** A sliding window with a bucket channel per signal (bucketed as the reference) and four value channels. */
export function createDriftWindow(options: DriftWindowOptions | undefined, reference: ReferenceProfile, now: () => number): SlidingWindow {
  const bins = [
    reference.buckets.confidence.length + 1,
    reference.buckets.margin.length + 1,
    reference.buckets.entropy.length + 1,
    reference.model.labels.length,
  ];
  const values = 4;
  if (options?.ms !== undefined) return createTimeWindow({ ms: options.ms, maxSize: options.size, bins, values, now });
  return createCountWindow({ size: options?.size ?? DEFAULT_WINDOW_SIZE, bins, values });
}

/** Throws INVALID_INPUT unless `state` can refill a window over `labelCount` labels. */
export function checkMonitorState(state: MonitorState, labelCount: number): void {
  const { observations } = state;
  const last = observations.length > 0 ? observations[observations.length - 1].index : -1;
  if (!Number.isInteger(state.observed) || state.observed <= last) {
    throw new GlassboxError('INVALID_INPUT', `restore: observed (${state.observed}) must be an integer above the last observation's index (${last}).`);
  }
  const n = labelCount;
  observations.forEach((o, i) => {
    const ok =
      Number.isInteger(o.index) &&
      (i === 0 || o.index > observations[i - 1].index) &&
      Number.isInteger(o.label) && o.label >= 0 && o.label < n &&
      [o.confidence, o.margin, o.entropy, o.time].every(Number.isFinite) &&
      (o.truth === null || (Number.isInteger(o.truth) && o.truth >= 0 && o.truth < n));
    if (!ok) throw new GlassboxError('INVALID_INPUT', `restore: observation ${i} is malformed or out of order (index ${o.index}).`);
  });
}

/** The latest firing of each signal and statistic, whatever order the history comes in. */
export function latestFirings(alarms: readonly DriftAlarm[]): Map<string, DriftAlarm> {
  const stored = new Map<string, DriftAlarm>();
  for (const a of alarms) {
    const key = `${a.signal}/${a.statistic}`;
    const seen = stored.get(key);
    if (!seen || a.index > seen.index) stored.set(key, a);
  }
  return stored;
}

/** The order alarms fire in: by prediction index, then as signals and statistics (in `statistics` order) are evaluated. */
export function byFiringOrder(statistics: readonly string[]): (a: DriftAlarm, b: DriftAlarm) => number {
  return (a, b) =>
    a.index - b.index ||
    DRIFT_SIGNALS.indexOf(a.signal) - DRIFT_SIGNALS.indexOf(b.signal) ||
    statistics.indexOf(a.statistic) - statistics.indexOf(b.statistic);
}
