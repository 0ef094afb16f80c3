import type { DriftStatisticPlugin, PipelineResult, PluginOptionValues, PluginRegistry } from '@glassbox/core';
import { GlassboxError } from '@glassbox/core';
import type { Attributes, BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import { createNoopMeter } from '@opentelemetry/api';
import { createReasonClassifier } from './abstention-reason.js';
import type { ResolvedAlarmOptions, SignalKind } from './alarm-rule.js';
import { alarmStatisticOptions, evaluateAlarms, resolveAlarmOptions } from './alarm-rule.js';
import { builtinDriftStatistics } from './statistics/builtin-statistics.js';
import { bucketIndex } from './buckets.js';
import type { DriftInstruments } from './drift-instruments.js';
import { ATTR_CALIBRATION_ID, ATTR_MODEL_ID, createDriftInstruments, observeDriftGauges } from './drift-instruments.js';
import { driftStatistics } from './drift-statistics.js';
import type {
  DriftAlarm,
  DriftMonitor,
  DriftMonitorOptions,
  DriftSignal,
  DriftStatus,
  MonitorObservation,
  MonitorState,
  ObserveMeta,
  SignalStatus,
} from './drift-types.js';
import { DRIFT_SIGNALS } from './drift-types.js';
import { predictionSignals, probabilityVector } from './prediction-signals.js';
import type { ReferenceProfile } from './reference-profile.js';
import { parseReferenceProfile } from './reference-profile.js';
import type { RunLengthCalibration } from './run-length.js';
import { resolveRunLength, runLengthMismatch, runLengthSettings } from './run-length.js';
import type { SlidingWindow } from './sliding-window.js';
import { byFiringOrder, checkMonitorState, createDriftWindow, CH, DEFAULT_WINDOW_SIZE, latestFirings, V_CONFIDENCE, V_CORRECT, V_LABELLED, V_LABELLED_CONFIDENCE } from './drift-window.js';

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

const SIGNAL_KIND: Record<DriftSignal, SignalKind> = { confidence: 'ordinal', margin: 'ordinal', entropy: 'ordinal', labels: 'nominal' };

function defaultErrorHandler(): (error: unknown) => void {
  const seen = new Set<string>();
  return (error) => {
    const message = (error as Error)?.message ?? String(error);
    if (seen.has(message) || seen.size >= 20) return;
    seen.add(message);
    process.emitWarning(`glassbox drift-monitor: ${message}`);
  };
}

const calibrations = new Map<string, RunLengthCalibration>();

/**
 * The run-length calibration a monitor runs with: none for per-window tests (`expectedRunLength:
 * null`) or a time window (its fill follows the traffic), the reference's own when it was made for
 * these settings, else a new one (remembered per reference and settings in this process, so
 * monitors made again on the same reference do not simulate again).
 */
function monitorRunLength(
  reference: ReferenceProfile,
  options: DriftMonitorOptions,
  alarm: ResolvedAlarmOptions,
  statistics: PluginRegistry<DriftStatisticPlugin>,
): { calibration: RunLengthCalibration; cached: boolean } | null {
  if (alarm.expectedRunLength === null || options.window?.ms !== undefined) return null;
  const settings = { window: options.window?.size ?? DEFAULT_WINDOW_SIZE, expectedRunLength: alarm.expectedRunLength, alarm, statistics };
  const key = JSON.stringify([reference.n, reference.counts, settings.window, settings.expectedRunLength, alarm.minSamples, alarm.alpha, alarm.statistics, statistics.names()]);
  if (reference.run_length && runLengthMismatch(reference.run_length, runLengthSettings(settings)) === null) return { calibration: reference.run_length, cached: true };
  const known = calibrations.get(key);
  if (known) return { calibration: known, cached: false };
  const resolved = resolveRunLength(reference, { ...settings, calibrate: alarm.calibrate, onProgress: options.onCalibrationProgress });
  if (!resolved.cached) {
    if (calibrations.size >= 32) calibrations.delete(calibrations.keys().next().value as string);
    calibrations.set(key, resolved.calibration);
  }
  return resolved;
}

class DriftMonitorImpl implements DriftMonitor {
  readonly kind = 'observer' as const;
  readonly name = 'drift-monitor' as const;
  readonly description = 'Confidence, margin, entropy and label drift against a reference profile, through OpenTelemetry.';

  private readonly reference: ReferenceProfile;
  private readonly labels: readonly string[];
  private readonly alarmOptions: ResolvedAlarmOptions;
  readonly statistics: PluginRegistry<DriftStatisticPlugin>;
  private readonly statisticOptions: Record<string, PluginOptionValues>;
  private readonly window: SlidingWindow;
  private readonly ids = new Map<string, number>();
  private readonly active = new Map<string, DriftAlarm>();
  private readonly instruments: DriftInstruments;
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
  readonly runLength: RunLengthCalibration | null;
  private readonly runLengthCached: boolean;

  constructor(private readonly options: DriftMonitorOptions) {
    this.reference = parseReferenceProfile(options.reference);
    this.labels = this.reference.model.labels;
    this.alarmOptions = resolveAlarmOptions(options.alarm);
    this.statistics = options.statistics ?? builtinDriftStatistics();
    // Each statistic's options as its alarm sees them (floors included), validated here once.
    this.statisticOptions = Object.fromEntries(this.statistics.entries().map(({ plugin }) => [plugin.name, alarmStatisticOptions(plugin, this.alarmOptions)]));
    this.now = options.now ?? Date.now;
    this.window = createDriftWindow(options.window, this.reference, this.now);
    const calibrated = monitorRunLength(this.reference, options, this.alarmOptions, this.statistics);
    this.runLength = calibrated?.calibration ?? null;
    this.runLengthCached = calibrated?.cached ?? false;
    this.classifyReason = createReasonClassifier(options.abstentionRules);
    this.onError = options.onError ?? defaultErrorHandler();
    this.onAlarm = options.onAlarm;
    this.onObservation = options.onObservation;
    let meter = options.meter ?? createNoopMeter();
    let instruments: DriftInstruments;
    try {
      instruments = createDriftInstruments(meter, this.reference, this.statistics);
      meter.addBatchObservableCallback(this.gaugeCallback, instruments.gauges as Observable[]);
    } catch (e) {
      this.report(e);
      meter = createNoopMeter();
      instruments = createDriftInstruments(meter, this.reference, this.statistics);
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
    checkMonitorState(state, this.labels.length);
    const { observations } = state;
    const keep = observations.filter((o) => o.time > this.now() - (this.options.window?.ms ?? Infinity));
    for (const o of keep) {
      const seq = this.addToWindow(o.label, o.confidence, o.margin, o.entropy, o.time);
      if (o.truth !== null) this.setTruth(seq, o.truth);
      this.remember(o.id, seq);
    }
    this.base = state.observed - this.window.added;
    const stored = latestFirings(state.alarms ?? []);
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
      alarms: [...this.active.values()].sort(byFiringOrder(this.statistics.names())),
      minSamples: this.alarmOptions.minSamples,
      runLength: this.runLength && {
        expectedRunLength: this.runLength.settings.expected_run_length,
        window: this.runLength.settings.window,
        minSamples: this.runLength.settings.min_samples,
        tests: this.runLength.tests,
        cached: this.runLengthCached,
        thresholds: this.runLength.full_window_thresholds,
      },
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
      if (this.attributeCache.size < 16) {
        this.attributeCache.set(calibration, attributes);
        // Every label's counter exported from the start at 0: Prometheus's increase() cannot count
        // the first predictions of a series it never saw, so a label first predicted in a burst
        // would be missing from the fleet's label drift rules (tools/prometheus).
        const base = attributes;
        this.safely(() => {
          for (const label of this.reference.model.labels) this.instruments.predictions.add(0, { ...base, label });
        });
      }
    }
    return attributes;
  }

  private evaluate(withCounts = false): Record<DriftSignal, SignalStatus> {
    const out = {} as Record<DriftSignal, SignalStatus>;
    for (const signal of DRIFT_SIGNALS) {
      const kind = SIGNAL_KIND[signal];
      const windowCounts = this.window.counts(CH[signal]);
      const referenceCounts = this.reference.counts[signal];
      const edges = signal === 'labels' ? null : this.reference.buckets[signal];
      const statistics = driftStatistics(windowCounts, referenceCounts, { edges, statistics: this.statistics, statisticOptions: this.statisticOptions });
      out[signal] = {
        kind,
        statistics,
        decisions: evaluateAlarms(statistics, kind, this.alarmOptions, this.statistics, this.runLength?.multipliers[signal]),
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
      observeDriftGauges(result, this.instruments, this.status(), this.attributesFor(null));
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
