import type { PipelineResult, PredictionObserver } from '@glassbox/core';
import { GlassboxError } from '@glassbox/core';
import type { Attributes, BatchObservableResult, Counter, Histogram, Meter, Observable, ObservableGauge } from '@opentelemetry/api';
import { createNoopMeter } from '@opentelemetry/api';
import { createReasonClassifier } from './abstention-reason.js';
import type { AlarmDecision, AlarmOptions, DriftStatisticName, ResolvedAlarmOptions, SignalKind } from './alarm-rule.js';
import { evaluateAlarms, resolveAlarmOptions } from './alarm-rule.js';
import { bucketIndex, DURATION_BUCKETS } from './buckets.js';
import type { DriftStatistics } from './drift-statistics.js';
import { driftStatistics } from './drift-statistics.js';
import { predictionSignals, probabilityVector } from './prediction-signals.js';
import type { ReferenceProfile } from './reference-profile.js';
import { parseReferenceProfile } from './reference-profile.js';
import type { SlidingWindow } from './sliding-window.js';
import { createCountWindow, createTimeWindow } from './sliding-window.js';

/**
 * A prediction observer that exports the confidence, margin and entropy of every prediction as
 * OpenTelemetry histograms, counts predictions per label and abstentions per rule, and compares
 * a sliding window of recent predictions with a reference profile (PSI, JS distance, KS,
 * chi-square) with sample-size-aware alarms. Drift statistics, the confidence-based performance
 * estimate (CBPE) and alarm states are observable gauges, computed when metrics are collected.
 *
 * Every prediction counts, abstained or not: drift is about what the model outputs. Metric,
 * callback and input failures go to `onError` and never out of `observe`.
 */

export type DriftSignal = 'confidence' | 'margin' | 'entropy' | 'labels';

export const DRIFT_SIGNALS: readonly DriftSignal[] = Object.freeze(['confidence', 'margin', 'entropy', 'labels']);

/** Attribute keys on every glassbox metric (the only per-model attributes: bounded). */
export const ATTR_MODEL_ID = 'model.id';
export const ATTR_CALIBRATION_ID = 'calibration.id';

/** Metric names, as instruments are created (Prometheus turns dots into underscores). */
export const METRIC_NAMES = Object.freeze({
  confidence: 'glassbox.prediction.confidence',
  margin: 'glassbox.prediction.margin',
  entropy: 'glassbox.prediction.entropy',
  predictions: 'glassbox.predictions',
  abstentions: 'glassbox.abstentions',
  duration: 'glassbox.inference.duration',
  psi: 'glassbox.drift.psi',
  jsDistance: 'glassbox.drift.js_distance',
  ks: 'glassbox.drift.ks',
  alarm: 'glassbox.drift.alarm',
  windowSize: 'glassbox.drift.window_size',
  estimatedAccuracy: 'glassbox.performance.estimated_accuracy',
  realizedAccuracy: 'glassbox.performance.realized_accuracy',
  accuracyGap: 'glassbox.performance.accuracy_gap',
});

export interface DriftWindowOptions {
  /** Last `size` predictions (default 500 when `ms` is not given; with `ms`, a cap, default 100000). */
  size?: number;
  /** Predictions of the last `ms` milliseconds. */
  ms?: number;
}

export interface DriftMonitorOptions {
  /** Baseline distributions; its buckets become the histogram buckets. */
  reference: ReferenceProfile;
  window?: DriftWindowOptions;
  alarm?: AlarmOptions;
  /** Where instruments are created. Default: no metrics (status and alarms still work). */
  meter?: Meter;
  /** `model.id` attribute. Default: the reference's model id. */
  modelId?: string;
  /**
   * `calibration.id` attribute: a fixed id, or a function read at each prediction (for servers that
   * switch calibrations while running; null falls back). Default: the result's `calibrator` name,
   * when it has one.
   */
  calibrationId?: string | (() => string | null);
  /** Abstention rule names, to map rule texts back to names for the `reason` attribute. */
  abstentionRules?: readonly string[];
  /** Called once each time a statistic crosses into alarm. */
  onAlarm?: (alarm: DriftAlarm) => void;
  /**
   * Called with every observation as the window takes it (e.g. to persist it; see `restore`).
   * Runs inside `observe`: what it throws goes to `onError`.
   */
  onObservation?: (observation: MonitorObservation) => void;
  /** Failures of the meter, callbacks or malformed results. Default: one process warning per message. */
  onError?: (error: unknown) => void;
  /** Clock in milliseconds (window eviction and alarm times). Default `Date.now`. */
  now?: () => number;
}

export interface DriftAlarm {
  /** `now()` when it fired (ms). */
  time: number;
  /** 0-based index of the observed prediction that made it fire. */
  index: number;
  statistic: DriftStatisticName;
  signal: DriftSignal;
  value: number;
  threshold: number;
  reason: string;
}

/** One prediction as the drift window sees it: enough to rebuild the window after a restart. */
export interface MonitorObservation {
  /** 0-based index among observed predictions (continues across `restore`). */
  index: number;
  /** `now()` when it was observed (ms). */
  time: number;
  /** The caller's id (for feedback), or null. */
  id: string | null;
  /** Index of the predicted label in the reference's labels. */
  label: number;
  confidence: number;
  margin: number;
  /** Bits. */
  entropy: number;
  /** Index of the true label once feedback arrived, else null. */
  truth: number | null;
}

/** What `restore` takes: the newest observations (oldest first) and how many were ever observed. */
export interface MonitorState {
  /** Predictions ever observed (the index the next one gets); at least the last observation's index + 1. */
  observed: number;
  observations: readonly MonitorObservation[];
  /** Alarms stored as fired, in any order; those still active after the restore keep the time and index of their latest firing. */
  alarms?: readonly DriftAlarm[];
}

/** Extra facts about a prediction that `PipelineResult` does not carry. */
export interface ObserveMeta {
  /** Caller's id, for `recordFeedback`. Also read from an `id` property on the result. */
  id?: string;
  /** Inference latency in seconds. */
  durationSeconds?: number;
}

export interface SignalStatus {
  kind: SignalKind;
  statistics: DriftStatistics;
  decisions: AlarmDecision[];
  /** Upper-inclusive bucket boundaries (one fewer than the counts; last bucket +Inf); empty for labels. */
  buckets: number[];
  /** Reference counts per bucket (labels: per model label, in `DriftStatus.labels` order). */
  referenceCounts: number[];
  /** Window counts per bucket, aligned with `referenceCounts`. */
  windowCounts: number[];
}

export interface DriftStatus {
  /** Predictions observed since creation. */
  observed: number;
  /** Predictions in the window. */
  window: number;
  /** Model labels: the buckets of the `labels` signal. */
  labels: string[];
  signals: Record<DriftSignal, SignalStatus>;
  /** CBPE: mean (calibrated) top-class probability over the window; null when empty. */
  estimatedAccuracy: number | null;
  referenceMeanConfidence: number;
  /** Window predictions with a feedback label. */
  labelled: number;
  /** Accuracy over the labelled window predictions; null when none. */
  realizedAccuracy: number | null;
  /** Mean top-class probability minus accuracy over the labelled window predictions (> 0: over-confident). */
  accuracyGap: number | null;
  /** Alarms now active (fired and not yet cleared), in the order they fired. */
  alarms: DriftAlarm[];
}

export interface DriftMonitor extends PredictionObserver {
  readonly kind: 'observer';
  readonly name: 'drift-monitor';
  observe(result: PipelineResult, meta?: ObserveMeta): void;
  /**
   * The true label of an observed prediction, by the id it was observed with. Returns false when
   * the id is unknown or its prediction has left the window. Throws UNKNOWN_LABEL for a label
   * that is not one of the model's.
   */
  recordFeedback(id: string, label: string): boolean;
  status(): DriftStatus;
  /**
   * Refills the window from stored observations (after a restart), before the first `observe`.
   * Observations outside the window (too old, or beyond its size) are skipped; signals are
   * re-bucketed with this monitor's reference. Alarms active on the restored window are active
   * again without calling `onAlarm`, unless `state.alarms` lacks them (then they fire). Throws
   * INVALID_INPUT once predictions were observed or for malformed observations.
   */
  restore(state: MonitorState): void;
  /** Unregisters the gauges and stops observing; idempotent. */
  shutdown(): Promise<void>;
}

const DEFAULT_WINDOW_SIZE = 500;
const SIGNAL_KIND: Record<DriftSignal, SignalKind> = { confidence: 'ordinal', margin: 'ordinal', entropy: 'ordinal', labels: 'nominal' };
// Window channels (bucket indexes) and value channels.
const CH = { confidence: 0, margin: 1, entropy: 2, labels: 3 } as const;
const V_CONFIDENCE = 0;
const V_LABELLED = 1;
const V_CORRECT = 2;
const V_LABELLED_CONFIDENCE = 3;

interface Instruments {
  confidence: Histogram;
  margin: Histogram;
  entropy: Histogram;
  duration: Histogram;
  predictions: Counter;
  abstentions: Counter;
  gauges: ObservableGauge[];
  psi: ObservableGauge;
  jsDistance: ObservableGauge;
  ks: ObservableGauge;
  alarm: ObservableGauge;
  windowSize: ObservableGauge;
  estimatedAccuracy: ObservableGauge;
  realizedAccuracy: ObservableGauge;
  accuracyGap: ObservableGauge;
}

function createInstruments(meter: Meter, reference: ReferenceProfile): Instruments {
  const histogram = (name: string, description: string, unit: string, boundaries: readonly number[]): Histogram =>
    meter.createHistogram(name, { description, unit, advice: { explicitBucketBoundaries: [...boundaries] } });
  const gauge = (name: string, description: string, unit = '1'): ObservableGauge => meter.createObservableGauge(name, { description, unit });
  const psi = gauge(METRIC_NAMES.psi, 'PSI of the drift window against the reference, per signal.');
  const jsDistance = gauge(METRIC_NAMES.jsDistance, 'Jensen-Shannon distance (base 2) of the drift window against the reference, per signal.');
  const ks = gauge(METRIC_NAMES.ks, 'Bucketed Kolmogorov-Smirnov D of the drift window against the reference, per ordered signal.');
  const alarm = gauge(METRIC_NAMES.alarm, '1 while a drift statistic is in alarm, else 0; per signal and statistic.');
  const windowSize = gauge(METRIC_NAMES.windowSize, 'Predictions in the drift window.', '{prediction}');
  const estimatedAccuracy = gauge(METRIC_NAMES.estimatedAccuracy, 'CBPE: mean calibrated top-class probability over the drift window.');
  const realizedAccuracy = gauge(METRIC_NAMES.realizedAccuracy, 'Accuracy over drift-window predictions with feedback labels.');
  const accuracyGap = gauge(METRIC_NAMES.accuracyGap, 'Mean top-class probability minus accuracy over labelled drift-window predictions.');
  return {
    confidence: histogram(METRIC_NAMES.confidence, 'Top-class probability of each prediction.', '1', reference.buckets.confidence),
    margin: histogram(METRIC_NAMES.margin, 'Top-1 minus top-2 probability of each prediction.', '1', reference.buckets.margin),
    entropy: histogram(METRIC_NAMES.entropy, 'Entropy of the predicted distribution, in bits.', 'bit', reference.buckets.entropy),
    duration: histogram(METRIC_NAMES.duration, 'Inference latency.', 's', DURATION_BUCKETS),
    predictions: meter.createCounter(METRIC_NAMES.predictions, { description: 'Predictions, by predicted label.', unit: '{prediction}' }),
    abstentions: meter.createCounter(METRIC_NAMES.abstentions, { description: 'Abstentions, by rule.', unit: '{prediction}' }),
    gauges: [psi, jsDistance, ks, alarm, windowSize, estimatedAccuracy, realizedAccuracy, accuracyGap],
    psi,
    jsDistance,
    ks,
    alarm,
    windowSize,
    estimatedAccuracy,
    realizedAccuracy,
    accuracyGap,
  };
}

function defaultErrorHandler(): (error: unknown) => void {
  const seen = new Set<string>();
  return (error) => {
    const message = (error as Error)?.message ?? String(error);
    if (seen.has(message) || seen.size >= 20) return;
    seen.add(message);
    process.emitWarning(`glassbox drift-monitor: ${message}`);
  };
}

function createWindow(options: DriftWindowOptions | undefined, reference: ReferenceProfile, now: () => number): SlidingWindow {
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

const STATISTIC_ORDER = ['psi', 'ks', 'chi-square'];

/** The order alarms fire in: by prediction index, then as signals and statistics are evaluated. */
function byFiringOrder(a: DriftAlarm, b: DriftAlarm): number {
  return (
    a.index - b.index ||
    DRIFT_SIGNALS.indexOf(a.signal) - DRIFT_SIGNALS.indexOf(b.signal) ||
    STATISTIC_ORDER.indexOf(a.statistic) - STATISTIC_ORDER.indexOf(b.statistic)
  );
}

class DriftMonitorImpl implements DriftMonitor {
  readonly kind = 'observer' as const;
  readonly name = 'drift-monitor' as const;
  readonly description = 'Confidence, margin, entropy and label drift against a reference profile, through OpenTelemetry.';

  private readonly reference: ReferenceProfile;
  private readonly labels: readonly string[];
  private readonly alarmOptions: ResolvedAlarmOptions;
  private readonly window: SlidingWindow;
  private readonly ids = new Map<string, number>();
  private readonly active = new Map<string, DriftAlarm>();
  private readonly instruments: Instruments;
  private readonly meter: Meter;
  private readonly classifyReason: (reason: string | null) => string;
  private readonly attributeCache = new Map<string, Attributes>();
  private readonly now: () => number;
  private readonly onError: (error: unknown) => void;
  private readonly onAlarm: ((alarm: DriftAlarm) => void) | undefined;
  private readonly onObservation: ((observation: MonitorObservation) => void) | undefined;
  /** Observed before the window's first observation (restored counts); index = base + window seq. */
  private base = 0;
  private readonly gaugeCallback = (result: BatchObservableResult): void => this.observeGauges(result);
  private closed = false;

  constructor(private readonly options: DriftMonitorOptions) {
    this.reference = parseReferenceProfile(options.reference);
    this.labels = this.reference.model.labels;
    this.alarmOptions = resolveAlarmOptions(options.alarm);
    this.now = options.now ?? Date.now;
    this.window = createWindow(options.window, this.reference, this.now);
    this.classifyReason = createReasonClassifier(options.abstentionRules);
    this.onError = options.onError ?? defaultErrorHandler();
    this.onAlarm = options.onAlarm;
    this.onObservation = options.onObservation;
    let meter = options.meter ?? createNoopMeter();
    let instruments: Instruments;
    try {
      instruments = createInstruments(meter, this.reference);
      meter.addBatchObservableCallback(this.gaugeCallback, instruments.gauges as Observable[]);
    } catch (e) {
      this.report(e);
      meter = createNoopMeter();
      instruments = createInstruments(meter, this.reference);
    }
    this.meter = meter;
    this.instruments = instruments;
  }

  observe(result: PipelineResult, meta: ObserveMeta = {}): void {
    if (this.closed) return;
    try {
      this.record(result, meta);
    } catch (e) {
      this.report(e);
    }
  }

  recordFeedback(id: string, label: string): boolean {
    const truth = this.labels.indexOf(label);
    if (truth < 0) {
      throw new GlassboxError('UNKNOWN_LABEL', `feedback label "${label}" is not a model label; expected one of ${this.labels.join(', ')}.`);
    }
    const seq = this.ids.get(id);
    if (this.closed || seq === undefined || !this.window.has(seq)) return false;
    this.setTruth(seq, truth);
    return true;
  }

  restore(state: MonitorState): void {
    if (this.window.added > 0) throw new GlassboxError('INVALID_INPUT', 'restore() must come before the first observe().');
    const { observations } = state;
    const last = observations.length > 0 ? observations[observations.length - 1].index : -1;
    if (!Number.isInteger(state.observed) || state.observed <= last) {
      throw new GlassboxError('INVALID_INPUT', `restore: observed (${state.observed}) must be an integer above the last observation's index (${last}).`);
    }
    const n = this.labels.length;
    observations.forEach((o, i) => {
      const ok =
        Number.isInteger(o.index) &&
        (i === 0 || o.index > observations[i - 1].index) &&
        Number.isInteger(o.label) && o.label >= 0 && o.label < n &&
        [o.confidence, o.margin, o.entropy, o.time].every(Number.isFinite) &&
        (o.truth === null || (Number.isInteger(o.truth) && o.truth >= 0 && o.truth < n));
      if (!ok) throw new GlassboxError('INVALID_INPUT', `restore: observation ${i} is malformed or out of order (index ${o.index}).`);
    });
    const keep = observations.filter((o) => o.time > this.now() - (this.options.window?.ms ?? Infinity));
    for (const o of keep) {
      const seq = this.addToWindow(o.label, o.confidence, o.margin, o.entropy, o.time);
      if (o.truth !== null) this.setTruth(seq, o.truth);
      this.remember(o.id, seq);
    }
    this.base = state.observed - this.window.added;
    // The latest firing of each statistic, whatever order the history comes in.
    const stored = new Map<string, DriftAlarm>();
    for (const a of state.alarms ?? []) {
      const key = `${a.signal}/${a.statistic}`;
      const seen = stored.get(key);
      if (!seen || a.index > seen.index) stored.set(key, a);
    }
    this.updateAlarms(state.observed - 1, stored);
  }

  status(): DriftStatus {
    const n = this.window.length;
    const labelled = this.window.sum(V_LABELLED);
    return {
      observed: this.base + this.window.added,
      window: n,
      labels: [...this.labels],
      signals: this.evaluate(true),
      estimatedAccuracy: n > 0 ? this.window.sum(V_CONFIDENCE) / n : null,
      referenceMeanConfidence: this.reference.mean_confidence,
      labelled: Math.round(labelled),
      realizedAccuracy: labelled > 0 ? this.window.sum(V_CORRECT) / labelled : null,
      accuracyGap: labelled > 0 ? (this.window.sum(V_LABELLED_CONFIDENCE) - this.window.sum(V_CORRECT)) / labelled : null,
      alarms: [...this.active.values()].sort(byFiringOrder),
    };
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.meter.removeBatchObservableCallback(this.gaugeCallback, this.instruments.gauges as Observable[]);
    } catch (e) {
      this.report(e);
    }
    this.ids.clear();
    this.window.clear();
    this.active.clear();
  }

  private record(result: PipelineResult, meta: ObserveMeta): void {
    const signals = predictionSignals(probabilityVector(result, this.labels));
    const label = this.labels[signals.labelIndex];
    const attributes = this.attributesFor(result.calibrator);
    const time = this.now();
    const seq = this.addToWindow(signals.labelIndex, signals.confidence, signals.margin, signals.entropy, time);
    const id = meta.id ?? (result as { id?: unknown }).id;
    this.remember(id, seq);
    if (this.onObservation) {
      const onObservation = this.onObservation;
      const observation: MonitorObservation = {
        index: this.base + seq,
        time,
        id: typeof id === 'string' && id.length > 0 ? id : null,
        label: signals.labelIndex,
        confidence: signals.confidence,
        margin: signals.margin,
        entropy: signals.entropy,
        truth: null,
      };
      this.safely(() => onObservation(observation));
    }

    this.safely(() => {
      const i = this.instruments;
      i.confidence.record(signals.confidence, attributes);
      i.margin.record(signals.margin, attributes);
      i.entropy.record(signals.entropy, attributes);
      i.predictions.add(1, { ...attributes, label });
      if (result.abstained) i.abstentions.add(1, { ...attributes, reason: this.classifyReason(result.abstentionReason) });
    });
    if (meta.durationSeconds !== undefined) {
      const d = meta.durationSeconds;
      if (Number.isFinite(d) && d >= 0) this.safely(() => this.instruments.duration.record(d, attributes));
      else this.report(new GlassboxError('INVALID_INPUT', `durationSeconds must be a finite number >= 0 (got ${d}).`));
    }
    this.updateAlarms(this.base + seq);
  }

  private addToWindow(label: number, confidence: number, margin: number, entropy: number, time: number): number {
    const { buckets } = this.reference;
    return this.window.add(
      [bucketIndex(confidence, buckets.confidence), bucketIndex(margin, buckets.margin), bucketIndex(entropy, buckets.entropy), label],
      [confidence, 0, 0, 0],
      time,
    );
  }

  private setTruth(seq: number, truth: number): void {
    this.window.setValue(seq, V_LABELLED, 1);
    this.window.setValue(seq, V_CORRECT, this.window.bucketOf(seq, CH.labels) === truth ? 1 : 0);
    this.window.setValue(seq, V_LABELLED_CONFIDENCE, this.window.valueOf(seq, V_CONFIDENCE));
  }

  /** Maps a feedback id to its window slot; forgets ids whose predictions have left the window. */
  private remember(id: unknown, seq: number): void {
    if (typeof id === 'string' && id.length > 0) {
      this.ids.delete(id);
      this.ids.set(id, seq);
    }
    for (const [key, s] of this.ids) {
      if (this.window.has(s)) break;
      this.ids.delete(key);
    }
  }

  private attributesFor(calibrator: string | null): Attributes {
    const configured = this.options.calibrationId;
    const calibration = (typeof configured === 'function' ? configured() : configured) ?? calibrator ?? '';
    let attributes = this.attributeCache.get(calibration);
    if (attributes === undefined) {
      attributes = { [ATTR_MODEL_ID]: this.options.modelId ?? this.reference.model.id };
      if (calibration !== '') attributes[ATTR_CALIBRATION_ID] = calibration;
      // Calibrator names come from registered plugins; the cap only guards against misuse.
      if (this.attributeCache.size < 16) this.attributeCache.set(calibration, attributes);
    }
    return attributes;
  }

  private evaluate(withCounts = false): Record<DriftSignal, SignalStatus> {
    const out = {} as Record<DriftSignal, SignalStatus>;
    for (const signal of DRIFT_SIGNALS) {
      const kind = SIGNAL_KIND[signal];
      const windowCounts = this.window.counts(CH[signal]);
      const referenceCounts = this.reference.counts[signal];
      const statistics = driftStatistics(windowCounts, referenceCounts);
      out[signal] = {
        kind,
        statistics,
        decisions: evaluateAlarms(statistics, kind, this.alarmOptions),
        buckets: withCounts && signal !== 'labels' ? [...this.reference.buckets[signal]] : [],
        referenceCounts: withCounts ? [...referenceCounts] : [],
        windowCounts: withCounts ? Array.from(windowCounts) : [],
      };
    }
    return out;
  }

  /** Tracks which statistics are in alarm; `restored` alarms become active again without firing. */
  private updateAlarms(index: number, restored?: ReadonlyMap<string, DriftAlarm>): void {
    const signals = this.evaluate();
    for (const signal of DRIFT_SIGNALS) {
      for (const d of signals[signal].decisions) {
        const key = `${signal}/${d.statistic}`;
        if (!d.alarm) {
          this.active.delete(key);
          continue;
        }
        if (this.active.has(key)) continue;
        const previous = restored?.get(key);
        if (previous) {
          this.active.set(key, { ...previous });
          continue;
        }
        const alarm: DriftAlarm = {
          time: this.now(),
          index,
          statistic: d.statistic,
          signal,
          value: d.value,
          threshold: d.threshold,
          reason: d.reason,
        };
        this.active.set(key, alarm);
        if (this.onAlarm) {
          const onAlarm = this.onAlarm;
          this.safely(() => onAlarm(alarm));
        }
      }
    }
  }

  private observeGauges(result: BatchObservableResult): void {
    try {
      const i = this.instruments;
      const base = this.attributesFor(null);
      const status = this.status();
      for (const signal of DRIFT_SIGNALS) {
        const { statistics, decisions, kind } = status.signals[signal];
        const attributes = { ...base, signal };
        result.observe(i.psi, statistics.psi, attributes);
        result.observe(i.jsDistance, statistics.jsDistance, attributes);
        if (kind === 'ordinal') result.observe(i.ks, statistics.ks, attributes);
        for (const d of decisions) result.observe(i.alarm, d.alarm ? 1 : 0, { ...attributes, statistic: d.statistic });
      }
      result.observe(i.windowSize, status.window, base);
      if (status.estimatedAccuracy !== null) result.observe(i.estimatedAccuracy, status.estimatedAccuracy, base);
      if (status.realizedAccuracy !== null) result.observe(i.realizedAccuracy, status.realizedAccuracy, base);
      if (status.accuracyGap !== null) result.observe(i.accuracyGap, status.accuracyGap, base);
    } catch (e) {
      this.report(e);
    }
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.report(e);
    }
  }

  private report(error: unknown): void {
    try {
      this.onError(error);
    } catch {
      // An error handler that throws has nowhere left to report to.
    }
  }
}

/**
 * Creates the drift monitor; register it as a pipeline observer. Throws at construction for a
 * malformed reference (INVALID_INPUT) or bad window / alarm options (INVALID_OPTION).
 */
export function createDriftMonitor(options: DriftMonitorOptions): DriftMonitor {
  if (options === null || typeof options !== 'object' || options.reference === undefined) {
    throw new GlassboxError('INVALID_OPTION', 'createDriftMonitor needs { reference } (a ReferenceProfile; see buildReferenceProfile).');
  }
  return new DriftMonitorImpl(options);
}
