import type { DriftAlarm, DriftMonitor, DriftSignal, MonitorObservation } from './drift-types.js';
import type { StateStore } from './state-store.js';
import type { AlarmRecord, SeriesPoint } from './state/records.js';

export interface MonitorPersistenceOptions {
  store: StateStore;
  modelId: string;
  /** The calibration the observations were served under, read at each commit. */
  calibrationId: () => string | null;
  /** Most observations kept pending while the store fails (the window's size). */
  window: number;
  /** Most alarms kept pending (the alarm log's limit). */
  alarmLimit: number;
  /** Most series points kept pending. */
  seriesLimit: number;
  /** Told the outcome of each commit: null when it worked, else the error. */
  onWrite: (error: unknown) => void;
}

/**
 * What the monitor did and the store has not yet taken: observations, the alarms they fired and
 * series points, committed together in one transaction by `commit()`.
 */
export interface MonitorPersistence {
  observation(observation: MonitorObservation): void;
  alarm(record: AlarmRecord): void;
  point(time: number, point: SeriesPoint): void;
  /**
   * Commits everything pending in one transaction. A failing store is told to `onWrite` and never
   * throws: what it did not take stays pending (the newest `window` observations, alarms and
   * series points within their limits) and goes with the next commit, so predictions
   * acknowledged while the disk was full still reach the stored window once it takes writes again.
   */
  commit(): void;
}

export function createMonitorPersistence(options: MonitorPersistenceOptions): MonitorPersistence {
  const { store, modelId } = options;
  let observations: MonitorObservation[] = [];
  let alarms: AlarmRecord[] = [];
  let points: Array<{ time: number; point: SeriesPoint }> = [];
  return {
    observation: (o) => void observations.push(o),
    alarm: (a) => void alarms.push(a),
    point: (time, point) => void points.push({ time, point }),
    commit() {
      if (observations.length === 0 && alarms.length === 0 && points.length === 0) return;
      const batch = { observations, alarms, points };
      observations = [];
      alarms = [];
      points = [];
      const calibration = options.calibrationId();
      try {
        store.transaction(() => {
          store.appendObservations(
            batch.observations.map((o) => ({
              index: o.index,
              time: o.time,
              modelId,
              calibrationId: calibration,
              predictionId: o.id,
              label: o.label,
              confidence: o.confidence,
              margin: o.margin,
              entropy: o.entropy,
              truth: o.truth,
            })),
          );
          for (const alarm of batch.alarms) store.appendAlarm(alarm);
          for (const { time, point } of batch.points) store.appendSeriesPoint(modelId, time, point);
        });
        options.onWrite(null);
      } catch (error) {
        observations = [...batch.observations, ...observations].slice(-options.window);
        alarms = [...batch.alarms, ...alarms].slice(-options.alarmLimit);
        points = [...batch.points, ...points].slice(-options.seriesLimit);
        options.onWrite(error);
      }
    },
  };
}

/**
 * Refills a new monitor's window (and its active alarms) from the store: the newest `window`
 * observations of the model and its stored alarms. Throws what the store or `restore` throws: a
 * window that cannot be rebuilt must fail the start, since carrying on would reuse stored indexes.
 */
export function restoreFromStore(monitor: DriftMonitor, store: StateStore, modelId: string, window: number, alarmLimit: number): void {
  monitor.restore({
    observed: store.observedCount(modelId),
    observations: store.recentObservations(modelId, window).map((o) => ({
      index: o.index,
      time: o.time,
      id: o.predictionId,
      label: o.label,
      confidence: o.confidence,
      margin: o.margin,
      entropy: o.entropy,
      truth: o.truth,
    })),
    alarms: store.alarms(alarmLimit, modelId).map((a) => ({
      time: Date.parse(a.time),
      index: a.index,
      signal: a.signal as DriftSignal,
      statistic: a.statistic as DriftAlarm['statistic'],
      value: a.value,
      threshold: a.threshold,
      reason: a.reason,
    })),
  });
}
