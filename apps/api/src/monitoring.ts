import { readFile } from 'node:fs/promises';
import { GlassboxError, type PipelineResult } from '@glassbox/core';
import {
  ATTR_CALIBRATION_ID,
  ATTR_MODEL_ID,
  createDriftMonitor,
  createMetricsRegistry,
  createReasonClassifier,
  DURATION_BUCKETS,
  METRIC_NAMES,
  parseReferenceProfile,
  DRIFT_SIGNALS,
  type AlarmRecord,
  type DriftAlarm,
  type DriftMonitor,
  type DriftSignal,
  type MetricsRegistry,
  type MonitorObservation,
  type ReferenceProfile,
  type SeriesPoint,
  type StateStore,
} from '@glassbox/monitor';
import type { ApiMeter, LogSink } from './api-options.js';

/** Predictions of one classify call, as the model service hands them over. */
export interface ObservedBatch {
  /** The server's default view (calibrated when it has a calibration), whatever the request asked for. */
  results: readonly PipelineResult[];
  /** One id per result: the prediction id clients see on /v1/predict. */
  ids: readonly string[];
  /** Inference latency of the batch: from submission to the micro-batcher until the model answered. */
  durationSeconds: number;
}



export interface MonitoringOptions {
  modelId: string;
  labels: readonly string[];
  /** Identity of the calibration of the default view now (it changes when a version is selected); null without one. */
  calibrationId: () => string | null;
  /** Abstention rule names (bounded `reason` attribute values). */
  abstentionRules: readonly string[];
  /** A parsed-JSON reference profile, or null for no drift monitor. */
  reference: unknown;
  window: number;
  log: LogSink;
  /** Default: the registry's meter. */
  meter: ApiMeter | null;
  /** Monitor, meter, log and collection failures. */
  onError: (error: unknown) => void;
  /**
   * Where the window's observations, alarms and series points are kept across restarts; the
   * monitor's window is rebuilt from it at start. Null: in memory only.
   */
  store?: StateStore | null;
  /**
   * Told the outcome of each store write (null: it worked), so failing writes make the server
   * unready, count in the metrics and are logged once per condition. Default: failures go to
   * `onError`.
   */
  writes?: { record(error: unknown): void };
  /** Most alarms kept in the alarm log (default 1000). */
  alarmLogLimit?: number;
  /** A series point every this many predictions (default 20). */
  seriesEvery?: number;
  /** Most series points kept (default 500; the oldest drop first). */
  seriesLimit?: number;
  now?: () => number;
}

/**
 * The server's metrics and drift monitoring: a metrics registry (always), a drift monitor when a
 * reference is configured, and the alarm log. Without a monitor, a prediction counter, an
 * abstention counter and the inference latency still reach the meter, under the monitor's
 * metric names. Nothing here ever throws into a prediction.
 */
export interface Monitoring {
  readonly metrics: MetricsRegistry;
  /** The drift monitor; null without a reference. */
  readonly monitor: DriftMonitor | null;
  readonly reference: ReferenceProfile | null;
  readonly window: number;
  observe(batch: ObservedBatch): void;
  /**
   * The true label of an observed prediction: updates the drift window (and the stored
   * observation). True when the prediction is still in the window.
   */
  recordFeedback(id: string, label: string): boolean;
  /** Alarms fired (since start, or kept in the store), newest first. */
  alarmLog(): AlarmRecord[];
  /**
   * Appends a series point unless one was taken less than a second ago (no-op without a
   * monitor); GET /v1/monitor calls it, and observe every `seriesEvery` predictions.
   */
  sample(): void;
  /** The drift time series, oldest first. */
  series(): SeriesPoint[];
  toRecord(alarm: DriftAlarm): AlarmRecord;
  /** Stops the monitor, then flushes and stops the metrics registry. Idempotent. */
  shutdown(): Promise<void>;
}

/** Reads a reference profile file as JSON (its content is checked against the model later). */
export async function readReferenceFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new GlassboxError('INPUT_FILE_UNREADABLE', `cannot read reference profile ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new GlassboxError('INVALID_INPUT', `reference profile ${path} is not JSON: ${(cause as Error).message}`, { cause });
  }
}

/** Forwards the first occurrence of each distinct failure message (at most 100), so a broken meter cannot flood the handler. */
function oncePerMessage(onError: (error: unknown) => void): (error: unknown) => void {
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

interface BasicInstruments {
  predictions: { add(value: number, attributes?: Record<string, string>): void };
  abstentions: { add(value: number, attributes?: Record<string, string>): void };
  duration: { record(value: number, attributes?: Record<string, string>): void };
}

const NOOP_INSTRUMENTS: BasicInstruments = {
  predictions: { add: () => undefined },
  abstentions: { add: () => undefined },
  duration: { record: () => undefined },
};

function basicInstruments(meter: ApiMeter, report: (error: unknown) => void): BasicInstruments {
  try {
    return {
      predictions: meter.createCounter(METRIC_NAMES.predictions, { description: 'Predictions, by predicted label.', unit: '{prediction}' }),
      abstentions: meter.createCounter(METRIC_NAMES.abstentions, { description: 'Abstentions, by rule.', unit: '{prediction}' }),
      duration: meter.createHistogram(METRIC_NAMES.duration, {
        description: 'Inference latency.',
        unit: 's',
        advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
      }),
    };
  } catch (error) {
    report(error);
    return NOOP_INSTRUMENTS;
  }
}

export function createMonitoring(options: MonitoringOptions): Monitoring {
  const report = oncePerMessage(options.onError);
  const now = options.now ?? Date.now;
  const metrics = createMetricsRegistry({ onError: report });
  const meter = options.meter ?? metrics.meter();
  const alarmLogLimit = options.alarmLogLimit ?? 1000;
  const log: AlarmRecord[] = [];
  const calibrationId = options.calibrationId;
  const attributeCache = new Map<string | null, Record<string, string>>();
  /** Attributes of the basic instruments, for the calibration active now. */
  const attributesNow = (): Record<string, string> => {
    const id = calibrationId();
    let attributes = attributeCache.get(id);
    if (!attributes) {
      attributes = { [ATTR_MODEL_ID]: options.modelId, ...(id !== null && { [ATTR_CALIBRATION_ID]: id }) };
      if (attributeCache.size < 64) attributeCache.set(id, attributes);
    }
    return attributes;
  };
  let shutdown: Promise<void> | null = null;

  const toRecord = (a: DriftAlarm): AlarmRecord => ({
    time: new Date(a.time).toISOString(),
    index: a.index,
    signal: a.signal,
    statistic: a.statistic,
    value: a.value,
    threshold: a.threshold,
    reason: a.reason,
    model_id: options.modelId,
    calibration_id: calibrationId(),
  });

  const store = options.store ?? null;
  const recordWrite = (error: unknown) => {
    if (options.writes) options.writes.record(error);
    else if (error !== null) report(error);
  };
  // What the store has not yet been given: written together, in one transaction, by persist().
  let pending: MonitorObservation[] = [];
  let pendingAlarms: AlarmRecord[] = [];
  let pendingPoints: Array<{ time: number; point: SeriesPoint }> = [];
  const onAlarm = (alarm: DriftAlarm) => {
    const record = toRecord(alarm);
    if (store) pendingAlarms.push(record);
    else {
      log.push(record);
      if (log.length > alarmLogLimit) log.splice(0, log.length - alarmLogLimit);
    }
    try {
      options.log.write(`${JSON.stringify({ level: 'warn', event: 'glassbox.drift.alarm', msg: `drift alarm: ${record.statistic} on ${record.signal}`, ...record })}\n`);
    } catch (error) {
      report(error);
    }
  };

  let monitor: DriftMonitor | null = null;
  let reference: ReferenceProfile | null = null;
  if (options.reference !== null && options.reference !== undefined) {
    reference = parseReferenceProfile(options.reference, { modelId: options.modelId, labels: options.labels });
    monitor = createDriftMonitor({
      reference,
      window: { size: options.window },
      meter,
      modelId: options.modelId,
      calibrationId,
      abstentionRules: options.abstentionRules,
      onAlarm,
      ...(store && { onObservation: (o: MonitorObservation) => pending.push(o) }),
      onError: report,
      now,
    });
    if (store) {
      // A window that cannot be rebuilt fails the start: carrying on would reuse stored indexes.
      monitor.restore({
        observed: store.observedCount(options.modelId),
        observations: store.recentObservations(options.modelId, options.window).map((o) => ({
          index: o.index,
          time: o.time,
          id: o.predictionId,
          label: o.label,
          confidence: o.confidence,
          margin: o.margin,
          entropy: o.entropy,
          truth: o.truth,
        })),
        alarms: store.alarms(alarmLogLimit, options.modelId).map((a) => ({
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
  }
  /**
   * Commits what the monitor did since the last call (observations, the alarms they fired, series
   * points) in one transaction. The in-memory monitor has already moved on: a failing store is
   * reported (to `writes`) and never fails a prediction; what it did not take stays pending (the
   * newest `window` observations, alarms and series points within their limits) and goes with the
   * next commit, so predictions acknowledged while the disk was full still reach the stored
   * window once it takes writes again.
   */
  const persist = () => {
    if (!store || (pending.length === 0 && pendingAlarms.length === 0 && pendingPoints.length === 0)) return;
    const [observations, alarms, points] = [pending, pendingAlarms, pendingPoints];
    pending = [];
    pendingAlarms = [];
    pendingPoints = [];
    const calibration = calibrationId();
    try {
      store.transaction(() => {
        store.appendObservations(
          observations.map((o) => ({
            index: o.index,
            time: o.time,
            modelId: options.modelId,
            calibrationId: calibration,
            predictionId: o.id,
            label: o.label,
            confidence: o.confidence,
            margin: o.margin,
            entropy: o.entropy,
            truth: o.truth,
          })),
        );
        for (const alarm of alarms) store.appendAlarm(alarm);
        for (const { time, point } of points) store.appendSeriesPoint(options.modelId, time, point);
      });
      recordWrite(null);
    } catch (error) {
      pending = [...observations, ...pending].slice(-options.window);
      pendingAlarms = [...alarms, ...pendingAlarms].slice(-alarmLogLimit);
      pendingPoints = [...points, ...pendingPoints].slice(-(options.seriesLimit ?? 500));
      recordWrite(error);
    }
  };

  const seriesEvery = options.seriesEvery ?? 20;
  const seriesLimit = options.seriesLimit ?? 500;
  const points: SeriesPoint[] = [];
  let lastSample = -Infinity;
  let lastSampledAt = -1;
  if (store && monitor) {
    // After a restart, no new point until something new was observed.
    const last = store.seriesPoints(options.modelId).at(-1);
    if (last) lastSampledAt = last.observed;
  }
  let sinceSample = 0;
  const sample = (force: boolean) => {
    if (!monitor) return;
    try {
      const t = now();
      const s = monitor.status();
      if (s.observed === lastSampledAt && !force) return;
      if (!force && t - lastSample < 1000) return;
      lastSample = t;
      lastSampledAt = s.observed;
      sinceSample = 0;
      const psi = {} as Record<DriftSignal, number>;
      const js = {} as Record<DriftSignal, number>;
      for (const signal of DRIFT_SIGNALS) {
        psi[signal] = s.signals[signal].statistics.psi;
        js[signal] = s.signals[signal].statistics.jsDistance;
      }
      const counts = s.signals.labels.windowCounts;
      const label_shares = Object.fromEntries(s.labels.map((l, i) => [l, s.window > 0 ? (counts[i] ?? 0) / s.window : 0]));
      const point: SeriesPoint = { time: new Date(t).toISOString(), observed: s.observed, window: s.window, psi, js, label_shares };
      if (store) pendingPoints.push({ time: t, point });
      else {
        points.push(point);
        if (points.length > seriesLimit) points.splice(0, points.length - seriesLimit);
      }
    } catch (error) {
      report(error);
    }
  };

  // Without a monitor: the basic series, under the monitor's names and attributes.
  const basic = monitor ? NOOP_INSTRUMENTS : basicInstruments(meter, report);
  const classifyReason = createReasonClassifier(options.abstentionRules);
  // Rules word their reasons freely ("max probability 0.41 < 0.90"); with one rule, every
  // abstention is that rule's, so metrics get its name rather than "other".
  const [onlyRule] = options.abstentionRules.length === 1 ? options.abstentionRules : [];
  const named = (result: PipelineResult): PipelineResult =>
    onlyRule !== undefined && result.abstained && result.abstentionReason !== onlyRule ? { ...result, abstentionReason: onlyRule } : result;

  return {
    metrics,
    monitor,
    reference,
    window: options.window,
    observe({ results, ids, durationSeconds }) {
      if (shutdown) return;
      try {
        results.forEach((served, i) => {
          const result = named(served);
          if (monitor) {
            monitor.observe(result, { id: ids[i], durationSeconds });
            if (++sinceSample >= seriesEvery) sample(true);
            return;
          }
          const attributes = attributesNow();
          basic.predictions.add(1, { ...attributes, label: result.label });
          if (result.abstained) basic.abstentions.add(1, { ...attributes, reason: classifyReason(result.abstentionReason) });
          basic.duration.record(durationSeconds, attributes);
        });
      } catch (error) {
        report(error);
      }
      persist(); // one transaction per batch
    },
    recordFeedback(id, label) {
      if (!monitor) return false;
      const monitored = monitor.recordFeedback(id, label);
      if (store) {
        try {
          store.setTruth(options.modelId, id, options.labels.indexOf(label));
          recordWrite(null);
        } catch (error) {
          recordWrite(error);
        }
      }
      return monitored;
    },
    alarmLog() {
      if (!store) return [...log].reverse();
      try {
        return store.alarms(alarmLogLimit, options.modelId);
      } catch (error) {
        report(error);
        return [];
      }
    },
    sample() {
      sample(false);
      persist();
    },
    series() {
      if (!store) return points.map((p) => ({ ...p, psi: { ...p.psi }, js: { ...p.js }, label_shares: { ...p.label_shares } }));
      try {
        return store.seriesPoints(options.modelId);
      } catch (error) {
        report(error);
        return [];
      }
    },
    toRecord,
    shutdown() {
      shutdown ??= (async () => {
        try {
          await monitor?.shutdown();
        } catch (error) {
          report(error);
        }
        await metrics.shutdown();
      })();
      return shutdown;
    },
  };
}
