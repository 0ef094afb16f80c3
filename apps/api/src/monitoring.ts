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
  type DriftAlarm,
  type DriftMonitor,
  type DriftSignal,
  type MetricsRegistry,
  type ReferenceProfile,
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

/** A drift alarm as the API reports and logs it. */
export interface AlarmRecord {
  /** ISO 8601 time it fired. */
  time: string;
  /** 0-based index of the observed prediction that tipped it. */
  index: number;
  signal: DriftAlarm['signal'];
  statistic: DriftAlarm['statistic'];
  value: number;
  threshold: number;
  reason: string;
  model_id: string;
  calibration_id: string | null;
}

/** One point of the drift time series (GET /v1/monitor/series). */
export interface SeriesPoint {
  /** ISO 8601 time it was taken. */
  time: string;
  /** Predictions observed since start. */
  observed: number;
  /** Predictions in the window. */
  window: number;
  psi: Record<DriftSignal, number>;
  js: Record<DriftSignal, number>;
  /** Share of window predictions per predicted label (model label order). */
  label_shares: Record<string, number>;
}

export interface MonitoringOptions {
  modelId: string;
  labels: readonly string[];
  /** Identity of the calibration of the default view; null without one. */
  calibrationId: string | null;
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
  /** Alarms fired since start, newest first. */
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
    calibration_id: calibrationId,
  });

  const onAlarm = (alarm: DriftAlarm) => {
    const record = toRecord(alarm);
    log.push(record);
    if (log.length > alarmLogLimit) log.splice(0, log.length - alarmLogLimit);
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
      ...(calibrationId !== null && { calibrationId }),
      abstentionRules: options.abstentionRules,
      onAlarm,
      onError: report,
      now,
    });
  }

  const seriesEvery = options.seriesEvery ?? 20;
  const seriesLimit = options.seriesLimit ?? 500;
  const points: SeriesPoint[] = [];
  let lastSample = -Infinity;
  let lastSampledAt = -1;
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
      points.push({ time: new Date(t).toISOString(), observed: s.observed, window: s.window, psi, js, label_shares });
      if (points.length > seriesLimit) points.splice(0, points.length - seriesLimit);
    } catch (error) {
      report(error);
    }
  };

  // Without a monitor: the basic series, under the monitor's names and attributes.
  const basic = monitor ? NOOP_INSTRUMENTS : basicInstruments(meter, report);
  const attributes: Record<string, string> = { [ATTR_MODEL_ID]: options.modelId, ...(calibrationId !== null && { [ATTR_CALIBRATION_ID]: calibrationId }) };
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
          basic.predictions.add(1, { ...attributes, label: result.label });
          if (result.abstained) basic.abstentions.add(1, { ...attributes, reason: classifyReason(result.abstentionReason) });
          basic.duration.record(durationSeconds, attributes);
        });
      } catch (error) {
        report(error);
      }
    },
    alarmLog: () => [...log].reverse(),
    sample: () => sample(false),
    series: () => points.map((p) => ({ ...p, psi: { ...p.psi }, js: { ...p.js }, label_shares: { ...p.label_shares } })),
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
