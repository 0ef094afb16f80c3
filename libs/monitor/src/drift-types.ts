import type { DriftStatisticPlugin, PipelineResult, PluginRegistry, PredictionObserver } from '@glassbox/core';
import type { Meter } from '@opentelemetry/api';
import type { AlarmDecision, AlarmOptions, DriftStatisticName, SignalKind } from './alarm-rule.js';
import type { DriftStatistics } from './drift-statistics.js';
import type { ReferenceProfile } from './reference-profile.js';
import type { RunLengthCalibration } from './run-length.js';

/** The drift monitor's vocabulary: its signals, options, observations, alarms and status. */
export type DriftSignal = 'confidence' | 'margin' | 'entropy' | 'labels';

export const DRIFT_SIGNALS: readonly DriftSignal[] = Object.freeze(['confidence', 'margin', 'entropy', 'labels']);

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
  /** The drift statistics computed, gauged and alarmed on. Default: the built-ins (statistics/builtin-statistics.ts). */
  statistics?: PluginRegistry<DriftStatisticPlugin>;
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
  /** Progress of a run-length calibration made at construction: (streams done, streams). */
  onCalibrationProgress?: (done: number, total: number) => void;
}

/** The alarm level the monitor runs at (`DriftStatus.runLength`). */
export interface RunLengthStatus {
  /** Predictions between false alarms of the whole monitor, on average, under no drift. */
  expectedRunLength: number;
  /** The window size the thresholds were calibrated for. */
  window: number;
  /** Windows smaller than this never alarm. */
  minSamples: number;
  /** Signal × statistic tests sharing the budget (each gets run length tests × expectedRunLength). */
  tests: number;
  /** Whether the thresholds came from the reference profile (true) or were calibrated at start. */
  cached: boolean;
  /** Per signal and statistic: the threshold at a full window. */
  thresholds: Record<string, Record<string, number>>;
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
  /** Windows with fewer predictions never alarm. */
  minSamples: number;
  /** The calibrated alarm level; null when the monitor runs per-window tests at `alpha`. */
  runLength: RunLengthStatus | null;
}

export interface DriftMonitor extends PredictionObserver {
  readonly kind: 'observer';
  readonly name: 'drift-monitor';
  /** The drift statistics it computes, gauges and alarms on. */
  readonly statistics: PluginRegistry<DriftStatisticPlugin>;
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
  /** The run-length calibration in use (null: per-window tests), e.g. to store it with the reference. */
  readonly runLength: RunLengthCalibration | null;
}
