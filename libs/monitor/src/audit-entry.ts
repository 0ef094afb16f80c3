import { ProbabilitiesSchema } from '@glassbox/core';
import { z } from 'zod';

/*
 * The wire shape of one audited prediction, defined once: the audit log stores it, GET
 * /v1/predictions and /v1/predictions/{id} serve it, the dashboard type-imports it.
 */

/** The true label of a prediction, as a client reported it (POST /v1/feedback). */
export const AuditFeedbackSchema = z.object({
  label: z.string(),
  correct: z.boolean().describe('Whether it is the predicted label.'),
  time: z.string().describe('ISO 8601 time this feedback arrived.'),
});
export type AuditFeedback = z.infer<typeof AuditFeedbackSchema>;

/** One served prediction, as the audit log keeps it. */
export const AuditEntrySchema = z.object({
  id: z.string(),
  time: z.string().describe('ISO 8601 time it was served.'),
  model: z.string().describe('Name the model is served under.'),
  model_id: z.string().describe("'sha256:…' of the model (or the ensemble's combined id)."),
  calibration_id: z.string().nullable().describe('Identity of the calibration the probabilities went through; null when uncalibrated.'),
  calibrated: z.boolean(),
  label: z.string(),
  score: z.number(),
  probabilities: ProbabilitiesSchema,
  abstained: z.boolean(),
  abstention_reason: z.string().nullable(),
  truncated: z.boolean(),
  tokens: z.int().optional().describe('Tokens in the text the model got, special tokens included, before truncation (absent in entries written before it was recorded).'),
  text: z.string().optional().describe('The text the model saw (after any truncation); only on servers with storeText.'),
  feedback: AuditFeedbackSchema.nullable().describe('The latest feedback (a correction replaces it here; feedback_history keeps every one).'),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;
