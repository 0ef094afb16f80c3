import type { InferenceEngine, Prediction } from '../engine/inference-engine.js';

/** What a model offers that a plugin may require. */
export type Capability = 'attentions' | 'mask-token';

export interface ModelCapabilities {
  /** The graph outputs per-layer attention probabilities `attentions.N` [B, heads, S, S]. */
  attentions: boolean;
  /** The tokenizer has a mask token (occlusion baselines). */
  maskToken: boolean;
}

export type PluginKind = 'explainer' | 'calibrator' | 'abstention' | 'observer';

interface PluginBase {
  /** kebab-case, unique within its kind. */
  readonly name: string;
  readonly description?: string;
  /** Model capabilities checked at registration. */
  readonly requires?: readonly Capability[];
}

export interface ExplainContext {
  engine: InferenceEngine;
}

/** Attributes a prediction to parts of the text. */
export interface Explainer<Options = unknown, Result = unknown> extends PluginBase {
  readonly kind: 'explainer';
  explain(context: ExplainContext, text: string, options?: Options): Promise<Result>;
}

/** Maps a batch of logits [rows x numLabels] to calibrated probabilities of the same shape. */
export interface Calibrator extends PluginBase {
  readonly kind: 'calibrator';
  /** Identity of the fitted calibration (e.g. a content hash), for audit and metrics. */
  readonly id?: string;
  calibrate(logits: Float32Array, numLabels: number): Float32Array;
}

export interface AbstentionDecision {
  abstain: boolean;
  /** Why, when abstaining (e.g. "max probability 0.41 < 0.55"). */
  reason?: string;
}

/** Decides whether to withhold a prediction, from its (calibrated) probabilities. */
export interface AbstentionRule extends PluginBase {
  readonly kind: 'abstention';
  decide(probabilities: ArrayLike<number>, labels: readonly string[]): AbstentionDecision;
}

/** Sees every finished prediction (metrics, drift, audit). Must not throw into the caller. */
export interface PredictionObserver extends PluginBase {
  readonly kind: 'observer';
  observe(result: PipelineResult): void | Promise<void>;
}

export type Plugin = Explainer | Calibrator | AbstentionRule | PredictionObserver;

export interface PipelineResult extends Prediction {
  /** The uncalibrated view: softmax of the logits. */
  raw: { label: string; score: number; probabilities: Record<string, number> };
  /** Name of the calibrator whose probabilities `label`/`score`/`probabilities` show, if any. */
  calibrator: string | null;
  abstained: boolean;
  abstentionReason: string | null;
}
