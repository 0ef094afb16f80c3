import type { DriftStatisticPlugin, PipelineResult, PluginRegistry } from '@glassbox/core';
import type { Meter } from '@opentelemetry/api';
import { createNoopMeter } from '@opentelemetry/api';
import { createReasonClassifier } from './abstention-reason.js';
import type { PredictionInstruments } from './drift-instruments.js';
import { ATTR_CALIBRATION_ID, ATTR_MODEL_ID, createPredictionInstruments } from './drift-instruments.js';
import { createDriftMonitor } from './drift-monitor.js';
import { builtinDriftStatistics } from './statistics/builtin-statistics.js';
import type { DriftSeries } from './drift-series.js';
import { createDriftSeries } from './drift-series.js';
import type { DriftAlarm, DriftMonitor, DriftStatus } from './drift-types.js';
import type { MonitorPersistence } from './monitor-persistence.js';
import { createMonitorPersistence, restoreFromStore } from './monitor-persistence.js';
import type { ReferenceProfile } from './reference-profile.js';
import { parseReferenceProfile } from './reference-profile.js';
import type { StateStore } from './state-store.js';
import type { AlarmRecord, SeriesPoint } from './state/records.js';

/** Predictions of one classify call, as a server hands them over. */
export interface MonitorBatch {
  /** The served default view (calibrated when there is a calibration). */
  results: readonly PipelineResult[];
  /** One id per result: the prediction id clients see, for feedback. */
  ids: readonly string[];
  /** Inference latency of the batch, in seconds. */
  durationSeconds: number;
}

export interface MonitorSessionOptions {
  modelId: string;
  labels: readonly string[];
  /** Identity of the calibration of the served view now (read at each prediction); default none. */
  calibrationId?: () => string | null;
  /** Abstention rule names (the bounded `reason` attribute values). */
  abstentionRules?: readonly string[];
  /** A reference profile (parsed JSON, checked against `modelId` and `labels`), or null for no drift monitor. */
  reference: unknown;
  /** Predictions in the drift window. */
  window: number;
  /**
   * Predictions between false alarms under no drift, for the whole monitor (default 200,000; null:
   * per-window tests). A reference without thresholds for these settings is calibrated at creation
   * (progress and cost go to `log`), and the calibrated profile is saved to the store.
   */
  expectedRunLength?: number | null;
  /** The drift statistics computed, gauged and alarmed on. Default: the built-ins. */
  statistics?: PluginRegistry<DriftStatisticPlugin>;
  /** Where the instruments are created. Default: none (status, alarms and the series still work). */
  meter?: Meter | null;
  /** Where an alarm is logged as it fires, one JSON line each. Default: nowhere. */
  log?: { write(line: string): unknown } | null;
  /** Monitor, meter and log failures, the first of each message (at most 100). Default: ignored. */
  onError?: (error: unknown) => void;
  /**
   * Where observations, alarms and series points are kept across restarts; the window is rebuilt
   * from it at creation (which throws when it cannot be). Null: in memory only.
   */
  store?: StateStore | null;
  /** Told the outcome of each store write (null: it worked). Default: failures go to `onError`. */
  onWrite?: (error: unknown) => void;
  /** Most alarms kept in the alarm log (default 1000). */
  alarmLogLimit?: number;
  /** A series point every this many predictions (default 20). */
  seriesEvery?: number;
  /** Most series points kept (default 500; the oldest drop first). */
  seriesLimit?: number;
  now?: () => number;
}

/**
 * The monitor's whole life for one served model: the drift monitor (when a reference is given),
 * its window restored from and persisted to the state store, the alarm log, the drift series and
 * the prediction metrics. Without a reference, predictions, abstentions and latency still reach
 * the meter under the monitor's metric names. Nothing here throws into a prediction.
 */
export interface MonitorSession {
  /** The drift monitor; null without a reference. */
  readonly monitor: DriftMonitor | null;
  readonly reference: ReferenceProfile | null;
  readonly window: number;
  /** The drift statistics the monitor computes (what the API's statistic enums list). */
  readonly statistics: PluginRegistry<DriftStatisticPlugin>;
  /** Observes a batch, then commits what it changed to the store in one transaction. */
  observeBatch(batch: MonitorBatch): void;
  /**
   * The true label of an observed prediction: updates the drift window and the stored
   * observation. True when the prediction is still in the window; UNKNOWN_LABEL for a label that
   * is not the model's.
   */
  recordFeedback(id: string, label: string): boolean;
  /** The drift monitor's status; null without a reference. */
  status(): DriftStatus | null;
  /** Alarms fired (since start, or kept in the store), newest first. */
  alarmLog(): AlarmRecord[];
  /** Appends a series point unless one was taken less than a second ago (no-op without a monitor). */
  sample(): void;
  /** The drift time series, oldest first. */
  series(): SeriesPoint[];
  /** An alarm as it is logged, stored and served. */
  toRecord(alarm: DriftAlarm): AlarmRecord;
  /** Stops observing and unregisters the gauges. Idempotent. */
  shutdown(): Promise<void>;
}

/** Forwards the first occurrence of each distinct failure message (at most 100), so a broken meter cannot flood the handler. */
export function reportOncePerMessage(onError: (error: unknown) => void): (error: unknown) => void {
  const seen = new Set<string>();
  return (error) => {
    const message = (error as Error)?.message ?? String(error);
    if (seen.has(message) || seen.size >= 100) return;
    seen.add(message);
    try {
      onError(error);
    } catch {
      // A throwing handler has nowhere left to report to.
    }
  };
}

const NOOP_INSTRUMENTS = createPredictionInstruments(createNoopMeter());

export function createMonitorSession(options: MonitorSessionOptions): MonitorSession {
  const report = reportOncePerMessage(options.onError ?? (() => undefined));
  const now = options.now ?? Date.now;
  const meter = options.meter ?? createNoopMeter();
  const { modelId, window } = options;
  const calibrationId = options.calibrationId ?? (() => null);
  const abstentionRules = options.abstentionRules ?? [];
  const alarmLogLimit = options.alarmLogLimit ?? 1000;
  const seriesLimit = options.seriesLimit ?? 500;
  const store = options.store ?? null;
  const onWrite = options.onWrite ?? ((error: unknown) => error !== null && report(error));
  const memoryLog: AlarmRecord[] = [];
  let closed: Promise<void> | null = null;

  const toRecord = (a: DriftAlarm): AlarmRecord => ({
    time: new Date(a.time).toISOString(),
    index: a.index,
    signal: a.signal,
    statistic: a.statistic,
    value: a.value,
    threshold: a.threshold,
    reason: a.reason,
    model_id: modelId,
    calibration_id: calibrationId(),
  });
  const persistence: MonitorPersistence | null =
    store && createMonitorPersistence({ store, modelId, calibrationId, window, alarmLimit: alarmLogLimit, seriesLimit, onWrite });
  const onAlarm = (alarm: DriftAlarm) => {
    const record = toRecord(alarm);
    if (persistence) persistence.alarm(record);
    else {
      memoryLog.push(record);
      if (memoryLog.length > alarmLogLimit) memoryLog.splice(0, memoryLog.length - alarmLogLimit);
    }
    try {
      options.log?.write(`${JSON.stringify({ level: 'warn', event: 'glassbox.drift.alarm', msg: `drift alarm: ${record.statistic} on ${record.signal}`, ...record })}\n`);
    } catch (error) {
      report(error);
    }
  };

  const statistics = options.statistics ?? builtinDriftStatistics();
  let monitor: DriftMonitor | null = null;
  let reference: ReferenceProfile | null = null;
  let series: DriftSeries | null = null;
  if (options.reference !== null && options.reference !== undefined) {
    reference = parseReferenceProfile(options.reference, { modelId, labels: options.labels });
    const started = Date.now();
    const drift = createDriftMonitor({
      reference,
      window: { size: window },
      ...(options.expectedRunLength !== undefined && { alarm: { expectedRunLength: options.expectedRunLength } }),
      statistics,
      meter,
      modelId,
      calibrationId,
      abstentionRules,
      onAlarm,
      ...(persistence && { onObservation: persistence.observation }),
      onError: report,
      now,
    });
    const calibrated = drift.status().runLength;
    if (drift.runLength && calibrated && !calibrated.cached) {
      reference = { ...reference, run_length: drift.runLength };
      const message = `drift thresholds calibrated for window ${window} and run length ${calibrated.expectedRunLength}`;
      const detail = { tests: calibrated.tests, simulated_predictions: drift.runLength.simulated_predictions, seconds: (Date.now() - started) / 1000 };
      try {
        options.log?.write(`${JSON.stringify({ level: 'info', event: 'glassbox.drift.calibrated', msg: message, ...detail })}\n`);
        store?.saveReference(reference);
      } catch (error) {
        report(error);
      }
    }
    if (store) restoreFromStore(drift, store, modelId, window, alarmLogLimit);
    series = createDriftSeries({
      status: () => drift.status(),
      now,
      every: options.seriesEvery ?? 20,
      limit: seriesLimit,
      ...(persistence && { onPoint: persistence.point }),
      // After a restart, no new point until something new was observed.
      ...(store && { lastObserved: store.seriesPoints(modelId).at(-1)?.observed }),
    });
    monitor = drift;
  }
  const safely = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      report(error);
    }
  };

  // Without a monitor: the basic instruments, under the monitor's names and attributes.
  let basic: PredictionInstruments = NOOP_INSTRUMENTS;
  if (!monitor) safely(() => (basic = createPredictionInstruments(meter)));
  const attributeCache = new Map<string | null, Record<string, string>>();
  /** Attributes of the basic instruments, for the calibration active now. */
  const attributesNow = (): Record<string, string> => {
    const id = calibrationId();
    let attributes = attributeCache.get(id);
    if (!attributes) {
      attributes = { [ATTR_MODEL_ID]: modelId, ...(id !== null && { [ATTR_CALIBRATION_ID]: id }) };
      if (attributeCache.size < 64) attributeCache.set(id, attributes);
    }
    return attributes;
  };
  const classifyReason = createReasonClassifier(abstentionRules);
  // Rules word their reasons freely ("max probability 0.41 < 0.90"); with one rule, every
  // abstention is that rule's, so metrics get its name rather than "other".
  const [onlyRule] = abstentionRules.length === 1 ? abstentionRules : [];
  const named = (result: PipelineResult): PipelineResult =>
    onlyRule !== undefined && result.abstained && result.abstentionReason !== onlyRule ? { ...result, abstentionReason: onlyRule } : result;

  return {
    monitor,
    reference,
    window,
    statistics,
    observeBatch({ results, ids, durationSeconds }) {
      if (closed) return;
      safely(() =>
        results.forEach((served, i) => {
          const result = named(served);
          if (monitor) {
            monitor.observe(result, { id: ids[i], durationSeconds });
            if (series) safely(series.counted);
            return;
          }
          const attributes = attributesNow();
          basic.predictions.add(1, { ...attributes, label: result.label });
          if (result.abstained) basic.abstentions.add(1, { ...attributes, reason: classifyReason(result.abstentionReason) });
          basic.duration.record(durationSeconds, attributes);
        }),
      );
      persistence?.commit(); // one transaction per batch
    },
    recordFeedback(id, label) {
      if (!monitor) return false;
      const monitored = monitor.recordFeedback(id, label);
      if (store) {
        try {
          store.setTruth(modelId, id, options.labels.indexOf(label));
          onWrite(null);
        } catch (error) {
          onWrite(error);
        }
      }
      return monitored;
    },
    status: () => monitor?.status() ?? null,
    alarmLog() {
      if (!store) return [...memoryLog].reverse();
      try {
        return store.alarms(alarmLogLimit, modelId);
      } catch (error) {
        report(error);
        return [];
      }
    },
    sample() {
      if (series) safely(series.sample);
      persistence?.commit();
    },
    series() {
      if (!store) return series?.points() ?? [];
      try {
        return store.seriesPoints(modelId);
      } catch (error) {
        report(error);
        return [];
      }
    },
    toRecord,
    shutdown() {
      closed ??= (async () => {
        try {
          await monitor?.shutdown();
        } catch (error) {
          report(error);
        }
      })();
      return closed;
    },
  };
}
