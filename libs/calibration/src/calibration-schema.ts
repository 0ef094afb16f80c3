import { z } from 'zod';
import { CALIBRATION_METHODS } from './calibration-method.js';

/*
 * The wire shapes of calibration, defined once: the metrics and conformal records a calibration
 * file holds, and the view GET /v1/calibration serves of it (the dashboard type-imports them).
 * `meanConfidence` is the one camelCase field on glassbox's wire: it is part of calibration file
 * format 1 on disk, so it keeps its name (docs/architecture.md, "Wire shapes").
 */

export const CalibrationMethodSchema = z.enum(CALIBRATION_METHODS);

export const ReliabilityBinSchema = z.object({
  lower: z.number().describe('The bin covers confidences in (lower, upper].'),
  upper: z.number(),
  count: z.int(),
  meanConfidence: z.number().describe('Mean top-class probability of the rows in the bin (0 when empty).'),
  accuracy: z.number().describe('Fraction of the rows in the bin whose top class is the label (0 when empty).'),
  empty: z.boolean(),
});
export type ReliabilityBin = z.infer<typeof ReliabilityBinSchema>;

const metricFields = {
  accuracy: z.number(),
  ece: z.number(),
  mce: z.number(),
  brier: z.number(),
  nll: z.number(),
};

/** Accuracy, ECE, MCE, Brier and NLL of one set of probabilities. */
export const MetricSummarySchema = z.object(metricFields);

/** Calibration metrics of one set of probabilities (15 equal-width bins unless said otherwise). */
export const MetricSetSchema = z.looseObject({ ...metricFields, reliability: z.array(ReliabilityBinSchema) });
export type MetricSet = z.infer<z.ZodObject<typeof MetricSetSchema.shape>>;

/** A conformal LAC threshold fitted on the calibrated probabilities (set = {k : 1 - p_k <= qhat}). */
export const ConformalRecordSchema = z.object({ method: z.literal('lac'), alpha: z.number(), qhat: z.number() });
export type ConformalRecord = z.infer<typeof ConformalRecordSchema>;

/** An abstention certificate as served: its rule and threshold, and the figures that back it. */
export const CertificateViewSchema = z.looseObject({ rule: z.string(), threshold: z.number() });

/** GET /v1/calibration: the calibration a server uses, without its fitted parameters' file framing. */
export const CalibrationInfoSchema = z.object({
  model: z.object({
    id: z.string(),
    name: z.string(),
    labels: z.array(z.string()),
    tokenizer: z.string().optional().describe("'sha256:<hex>' of tokenizer.json; absent in files written before glassbox recorded it."),
  }),
  method: CalibrationMethodSchema,
  params: z.record(z.string(), z.unknown()),
  fitted_on: z.object({ count: z.int(), sha256: z.string() }),
  metrics: z.object({ before: MetricSetSchema, after: MetricSetSchema }).nullable(),
  conformal: ConformalRecordSchema.nullable(),
  certificate: CertificateViewSchema.nullable(),
  created_at: z.string(),
});
export type CalibrationInfo = z.infer<typeof CalibrationInfoSchema>;
