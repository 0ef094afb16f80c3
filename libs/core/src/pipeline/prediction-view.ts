import { z } from 'zod';
import type { PipelineResult } from '../plugins/plugin-types.js';

/*
 * The wire shape of one prediction, defined once: the API's /v1/predict answers (with its own
 * id, feedback_token and explanation added) and the CLI's `predict --json` rows are built by
 * `predictionView` and described by `PredictionViewSchema`. Field names on the wire are
 * snake_case (docs/architecture.md, "Wire shapes").
 */

export const ProbabilitiesSchema = z.record(z.string(), z.number()).describe('Probability per label; they sum to 1.');
export type Probabilities = z.infer<typeof ProbabilitiesSchema>;

export const LabelScoreSchema = z.object({ label: z.string(), score: z.number() });
export type LabelScore = z.infer<typeof LabelScoreSchema>;

export const RawViewSchema = z.object({ label: z.string(), score: z.number(), probabilities: ProbabilitiesSchema });
export type RawView = z.infer<typeof RawViewSchema>;

export const PredictionViewSchema = z.object({
  label: z.string(),
  score: z.number(),
  probabilities: ProbabilitiesSchema,
  raw: RawViewSchema.optional().describe('The uncalibrated view, when the probabilities are calibrated.'),
  abstained: z.boolean(),
  abstention_reason: z.string().nullable(),
  conformal_set: z.array(z.string()).optional().describe('LAC conformal set, when the calibration has one.'),
  top_k: z.array(LabelScoreSchema).optional(),
  truncated: z.boolean().describe('The text was cut to fit the length limits.'),
  tokens: z
    .int()
    .optional()
    .describe('Tokens in the text that reached the model, special tokens included, counted before truncation (the model reads at most max_input_length of GET /info).'),
});
export type PredictionView = z.infer<typeof PredictionViewSchema>;

export interface PredictionViewOptions {
  /** Add the uncalibrated view under `raw` (for calibrated probabilities). Default false. */
  raw?: boolean;
  /** Add the k most probable labels under `top_k`. Default: none. */
  topK?: number;
  /** Builds the conformal set from the (calibrated) probabilities, e.g. LAC with the calibration's qhat. Default: none. */
  conformalSet?: (probabilities: Readonly<Probabilities>) => string[];
  /** The text was cut before it reached the model (adds to the engine's own `truncated`). */
  truncated?: boolean;
}

/** Every label with its score, highest first (label order breaks ties). */
export function sortedScores(labels: readonly string[], scores: ArrayLike<number>): LabelScore[] {
  return labels.map((label, j) => ({ label, score: scores[j] })).sort((a, b) => b.score - a.score);
}

/** The k most probable labels, highest first (label order breaks ties). */
export function topK(probabilities: Readonly<Probabilities>, k: number): LabelScore[] {
  return sortedScores(Object.keys(probabilities), Object.values(probabilities)).slice(0, k);
}

/** The one place a pipeline result becomes its wire view: label, probabilities, raw, abstention, conformal set, top-k. */
export function predictionView(result: PipelineResult, options: PredictionViewOptions = {}): PredictionView {
  return {
    label: result.label,
    score: result.score,
    probabilities: result.probabilities,
    ...(options.raw && { raw: result.raw }),
    abstained: result.abstained,
    abstention_reason: result.abstentionReason,
    ...(options.conformalSet && { conformal_set: options.conformalSet(result.probabilities) }),
    ...(options.topK !== undefined && { top_k: topK(result.probabilities, options.topK) }),
    truncated: result.truncated || options.truncated === true,
    tokens: result.tokens,
  };
}
