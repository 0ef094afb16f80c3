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

/**
 * Held-out figures of a calibration recipe by K-fold cross-fitting (cross-fit.ts): every row scored
 * by a calibrator, LAC threshold and abstention certificate fitted on the other folds.
 */
export const HeldOutMetricsSchema = z.object({
  method: z.literal('cross-fit'),
  folds: z.int().min(2),
  seed: z.int(),
  count: z.int().describe('Rows pooled over the held-out folds (all fitting rows).'),
  after: MetricSetSchema.describe('Calibrated metrics of the pooled held-out probabilities.'),
  conformal: z
    .object({
      coverage: z.number().describe('Fraction of held-out rows whose LAC set holds the label.'),
      mean_set_size: z.number(),
      target_coverage: z.number().describe('1 - alpha.'),
    })
    .optional(),
  abstention: z
    .object({
      folds_certified: z.int().describe('Folds whose fitting rows admitted a certificate; the figures below pool those folds only.'),
      count: z.int(),
      coverage: z.number().describe('Fraction of held-out rows answered (not abstained on).'),
      selective_risk: z.number().describe('Error rate among the answered held-out rows.'),
      target_risk: z.number(),
    })
    .optional(),
});
export type HeldOutMetrics = z.infer<typeof HeldOutMetricsSchema>;

/** Metrics of a calibration file: in-sample before and after, and held-out by cross-fitting when there were rows enough. */
export const CalibrationMetricsSchema = z.object({
  before: MetricSetSchema,
  after: MetricSetSchema,
  held_out: HeldOutMetricsSchema.optional().describe('Absent in files written before glassbox measured it, and when a fold would hold fewer than 10 rows.'),
});

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
  metrics: CalibrationMetricsSchema.nullable(),
  conformal: ConformalRecordSchema.nullable(),
  certificate: CertificateViewSchema.nullable(),
  created_at: z.string(),
});
export type CalibrationInfo = z.infer<typeof CalibrationInfoSchema>;
