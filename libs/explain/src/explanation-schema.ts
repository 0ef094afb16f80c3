import { ProbabilitiesSchema } from '@glassbox/core';
import { z } from 'zod';

/*
 * The wire shape of an explanation, defined once: explainText returns it, POST /v1/explain
 * answers it (and /v1/predict with explain: true nests it), the CLI prints it and the dashboard
 * type-imports it. Method names are keys (`attributions.occlusion`), never fields, so an explainer
 * added later needs no change here.
 */

/** Units shown and scored: model tokens, words (tokens grouped by offsets) or sliding windows of words. */
export const GranularitySchema = z.enum(['token', 'word', 'window']);
export type Granularity = z.infer<typeof GranularitySchema>;

export const TextSpanSchema = z.object({ text: z.string(), start: z.int(), end: z.int() });
export type TextSpan = z.infer<typeof TextSpanSchema>;

/** Method -> score per unit. */
const AttributionsSchema = z.record(z.string(), z.array(z.number()));

export const FaithfulnessScoresSchema = z.looseObject({
  comprehensiveness: z.array(z.number()).describe('p_c(x) - p_c(x without the top k% units), per bin.'),
  sufficiency: z.array(z.number()).describe('p_c(x) - p_c(only the top k% units), per bin.'),
  comprehensiveness_aopc: z.number(),
  sufficiency_aopc: z.number(),
});

/** Pairwise agreement of the methods' rankings (with two or more methods). */
export const AgreementSchema = z.object({
  k: z.int().describe('Units compared in the top-k overlap.'),
  pairs: z.array(
    z.object({ methods: z.tuple([z.string(), z.string()]), kendall_tau: z.number(), top_k_overlap: z.number() }),
  ).describe('Kendall tau-b and top-k overlap of every pair of methods.'),
  kendall_tau: z.number().optional().describe('With exactly two methods: their pair\'s Kendall tau (the two-method shape).'),
  top_k_overlap: z.number().optional().describe('With exactly two methods: their pair\'s top-k overlap.'),
});

const explanationFields = {
  text: z.string(),
  label: z.string().describe('The predicted label.'),
  target: z.string().describe('The label the scores explain.'),
  contrast: z.string().nullable(),
  probabilities: ProbabilitiesSchema,
  granularity: GranularitySchema,
  tokens: z.array(TextSpanSchema).describe('The units scored, in text order.'),
  attributions: AttributionsSchema.describe('Method -> score per unit (aligned with tokens).'),
  words: z.array(TextSpanSchema),
  word_attributions: AttributionsSchema.describe('Word-level view of the same scores (every method).'),
  class_agnostic: z.array(z.string()).describe('Methods whose scores do not depend on the target label (rollout).'),
  faithfulness: z.record(z.string(), FaithfulnessScoresSchema).optional(),
  agreement: AgreementSchema.optional(),
  windows: z.int().describe("Model windows explained: more than 1 only for a text longer than the model's maximum under longText 'chunk'."),
  forward_calls: z.int(),
  truncated: z
    .boolean()
    .describe("The text was longer than the model reads and its prediction read only the start: tokens, words and scores cover that start (the text's first max_input_length tokens), nothing after it."),
  text_tokens: z.int().describe('Tokens of the whole text, special tokens included (more than the model reads when truncated).'),
};

/** Open for extension on the wire: clients ignore fields they do not know. */
export const ExplanationSchema = z.looseObject(explanationFields);

/** An explanation as explainText returns it and the API serves it (without the wire's open-endedness). */
export type Explanation = z.infer<z.ZodObject<typeof explanationFields>>;
export type FaithfulnessScores = z.infer<z.ZodObject<typeof FaithfulnessScoresSchema.shape>>;
