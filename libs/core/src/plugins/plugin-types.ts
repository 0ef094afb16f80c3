import type { InferenceEngine, Prediction } from '../engine/inference-engine.js';
import type { Encoding } from '../tokenizer/text-tokenizer.js';
import type { Capability } from './capabilities.js';
import type { PluginOptionsSchema, PluginOptionValues } from './plugin-options.js';

export type { Capability, ModelCapabilities } from './capabilities.js';

/** The kinds of plugin; each has its own registry. */
export const PLUGIN_KINDS = ['explainer', 'calibrator', 'abstention', 'drift-statistic', 'observer'] as const;
export type PluginKind = (typeof PLUGIN_KINDS)[number];

/** What every plugin descriptor has. A plain object of this shape is a plugin: no import needed. */
export interface PluginDescriptor<K extends PluginKind = PluginKind> {
  readonly kind: K;
  /** kebab-case, unique within its kind; what users type (`--method NAME`, `methods: [NAME]`). */
  readonly name: string;
  /** One sentence: shown by `glassbox plugins`, in --help, /openapi.json and GET /v1/plugins. */
  readonly description: string;
  /** Model capabilities it needs; checked before it runs (PLUGIN_CAPABILITY_MISSING). */
  readonly requires?: readonly Capability[];
  /** Its options, each with a type and a default (a subset of JSON Schema). */
  readonly options?: PluginOptionsSchema;
}

// ---- explainer --------------------------------------------------------------------------------

/** A piece of the text an attribution is given to, with the sequence positions it covers. */
export interface ExplainUnit {
  text: string;
  /** [start, end) in UTF-16 indices of the original text. */
  start: number;
  end: number;
  /** Positions in the encoded sequence (special tokens excluded). */
  positions: number[];
}

/** What an explainer gets for one model window of the text (the whole text when it fits). */
export interface ExplainInput<O = PluginOptionValues> {
  /** The model; its forward passes are counted (and, on the server, run in the explanation lane). */
  engine: InferenceEngine;
  /** The window's tokens (special tokens included). */
  encoding: Encoding;
  /** The units to score, at the requested granularity (words, tokens or sliding windows). */
  units: readonly ExplainUnit[];
  /** Every non-special token of the window. */
  tokens: readonly ExplainUnit[];
  labels: readonly string[];
  /** Label id the scores explain, and the contrast label id (or null). */
  target: number;
  contrast: number | null;
  /** The plugin's options: its defaults overridden by the request's. */
  options: O;
  /** Seed for any randomness (default 0): the same seed gives the same scores. */
  seed: number;
  /**
   * Class probabilities of the window with some units occluded: one row per variant, each a list
   * of indices into `units` (`[]` is the unperturbed window). Batched; identical rows run once.
   * `baseline`: occlude with `<mask>` tokens (default when the tokenizer has one) or attention_mask 0.
   */
  predict(variants: ReadonlyArray<readonly number[]>, options?: { baseline?: 'mask' | 'attention' }): Promise<number[][]>;
  /** The quantity explained: p[target], minus p[contrast] in contrastive mode. */
  score(probabilities: readonly number[]): number;
}

/** One score per unit of `input.units`, or (`{ tokens }`) one per token of `input.tokens`. */
export type ExplainerOutput = number[] | { tokens: number[] };

/** What an explanation costs, declared so a server can refuse one over its budget before it runs. */
export interface ExplainerCost {
  /** Perturbed sequences scored (they are batched into forward passes). */
  perturbations?: number;
  /** Forward passes of one sequence each (e.g. one pass with attention outputs). */
  forwardPasses?: number;
}

/** Attributes a prediction to parts of the text. */
export interface ExplainerPlugin<O = PluginOptionValues> extends PluginDescriptor<'explainer'> {
  /** Its scores do not depend on the target label (e.g. attention rollout). */
  readonly classAgnostic?: boolean;
  /** Runs when a request names no methods (default false: only when asked for by name). */
  readonly byDefault?: boolean;
  /** Cost per model window, from the number of units and tokens. Without it, cost is estimated conservatively. */
  cost?(size: { units: number; tokens: number }, options: O): ExplainerCost;
  explain(input: ExplainInput<O>): ExplainerOutput | Promise<ExplainerOutput>;
}

// ---- calibrator -------------------------------------------------------------------------------

/** Labelled logits a calibrator is fitted on: rows x numLabels, row-major. */
export interface CalibrationData {
  logits: Float32Array;
  labels: ArrayLike<number>;
  numLabels: number;
}

/** A calibration method: fits parameters (plain JSON) on labelled logits, then applies them. */
export interface CalibratorPlugin<O = PluginOptionValues, P = unknown> extends PluginDescriptor<'calibrator'> {
  fit(data: CalibrationData, options: O): P;
  /** Maps logits [rows x numLabels] to probabilities of the same shape. */
  apply(params: P, logits: Float32Array, numLabels: number): Float32Array;
}

/** A fitted calibrator as the pipeline runs it. */
export interface Calibrator {
  readonly kind: 'calibrator';
  readonly name: string;
  readonly description?: string;
  /** Identity of the fitted calibration (e.g. a content hash), for audit and metrics. */
  readonly id?: string;
  calibrate(logits: Float32Array, numLabels: number): Float32Array;
}

// ---- abstention -------------------------------------------------------------------------------

export interface AbstentionDecision {
  abstain: boolean;
  /** Why, when abstaining (e.g. "max probability 0.41 < 0.55"). */
  reason?: string;
}

/** An abstention rule: decides whether to withhold a prediction from its probabilities. */
export interface AbstentionPlugin<O = PluginOptionValues> extends PluginDescriptor<'abstention'> {
  decide(probabilities: ArrayLike<number>, labels: readonly string[], options: O): AbstentionDecision;
}

/** A configured abstention rule as the pipeline runs it. */
export interface AbstentionRule {
  readonly kind: 'abstention';
  readonly name: string;
  readonly description?: string;
  decide(probabilities: ArrayLike<number>, labels: readonly string[]): AbstentionDecision;
}

// ---- drift statistic --------------------------------------------------------------------------

/** Two histograms over the same bins: the reference window's and the current one's. */
export interface DriftInput {
  reference: readonly number[];
  current: readonly number[];
  /** Bin upper edges of a numeric signal (the last bin is open); null for label counts. */
  edges: readonly number[] | null;
}

/** A drift statistic: how far the current histogram is from the reference. */
export interface DriftStatisticPlugin<O = PluginOptionValues> extends PluginDescriptor<'drift-statistic'> {
  /** The signals it applies to: binned numbers (confidence, entropy, length) and/or label counts. */
  readonly signals: readonly ('numeric' | 'categorical')[];
  compute(input: DriftInput, options: O): number;
  /**
   * The value above which it alarms, for these sample sizes and significance level (default: its
   * `threshold` option; with neither, it is reported but never alarms).
   */
  alarmThreshold?(sizes: DriftAlarmSizes, options: O): number;
  /** The effect size that must also reach its `floor` option to alarm (default: the value itself). */
  effect?(input: DriftInput, options: O): number;
}

/** What a drift statistic's alarm threshold may depend on. */
export interface DriftAlarmSizes {
  /** Total counts of the reference and current histograms. */
  reference: number;
  current: number;
  /** Bins holding data on either side. */
  bins: number;
  /** Significance level of the monitor's alarms (per window evaluation). */
  alpha: number;
}

// ---- observer ---------------------------------------------------------------------------------

/** Sees every finished prediction (metrics, drift, audit). Must not throw into the caller. */
export interface ObserverPlugin<O = PluginOptionValues> extends PluginDescriptor<'observer'> {
  observe(result: PipelineResult, options: O): void | Promise<void>;
}

/** An observer as the pipeline runs it. */
export interface PredictionObserver {
  readonly kind: 'observer';
  readonly name: string;
  observe(result: PipelineResult): void | Promise<void>;
}

// ---- all ----------------------------------------------------------------------------------------

/* eslint-disable @typescript-eslint/no-explicit-any -- a registry holds plugins of any options type */
export type Plugin =
  | ExplainerPlugin<any>
  | CalibratorPlugin<any, any>
  | AbstentionPlugin<any>
  | DriftStatisticPlugin<any>
  | ObserverPlugin<any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

export type PluginOfKind<K extends PluginKind> = Extract<Plugin, { kind: K }>;

export interface PipelineResult extends Prediction {
  /** The uncalibrated view: softmax of the logits. */
  raw: { label: string; score: number; probabilities: Record<string, number> };
  /** Name of the calibrator whose probabilities `label`/`score`/`probabilities` show, if any. */
  calibrator: string | null;
  abstained: boolean;
  abstentionReason: string | null;
}
