import { z } from 'zod';
import type { AlarmRecord, SeriesPoint } from './state-store.js';
import { BUILTIN_DRIFT_STATISTICS } from './statistics/builtin-statistics.js';

/*
 * The wire shapes of the drift monitor, defined once: GET /v1/monitor, /v1/monitor/series and
 * /v1/monitor/history serve them, the dashboard type-imports them.
 */

const SignalNameSchema = z.enum(['confidence', 'margin', 'entropy', 'labels']);

/** An enum of drift-statistic names (those of a registry). */
export const statisticNameSchema = (names: readonly string[]) => z.enum(names as [string, ...string[]]);

const CountsSchema = z.union([z.array(z.number()), z.record(z.string(), z.number())]);

/**
 * The drift monitor's wire shapes with their statistic enums taken from `statistics` (the names
 * of the registered drift statistics): a server that loads a statistic plugin documents it in
 * /openapi.json. The exports below are these shapes for the built-in statistics.
 */
export function monitorStatusSchemas(statistics: readonly string[]) {
  const statistic = statisticNameSchema(statistics);
  /** A drift alarm as it is logged, stored and served. */
  const AlarmRecordSchema = z.object({
    time: z.string(),
    index: z.int().describe('0-based index of the observed prediction that tipped it.'),
    signal: SignalNameSchema,
    statistic,
    value: z.number(),
    threshold: z.number(),
    reason: z.string(),
    model_id: z.string(),
    calibration_id: z.string().nullable(),
  });
  /** One statistic's alarm decision on one signal. */
  const AlarmDecisionViewSchema = z.object({
    statistic,
    alarm: z.boolean(),
    value: z.number(),
    threshold: z.number(),
    effect: z.object({ value: z.number(), floor: z.number() }),
    reason: z.string(),
  });
  /** One signal's window against its reference. */
  const SignalViewSchema = z.object({
    kind: z.enum(['ordinal', 'nominal']),
    psi: z.number(),
    js_distance: z.number(),
    ks: z.number(),
    chi_square: z.object({ statistic: z.number(), df: z.int(), p_value: z.number() }),
    statistics: z
      .partialRecord(statistic, z.number())
      .describe('Every registered drift statistic that applies to the signal (numeric or categorical), by name.'),
    alarm: z.boolean().describe('Any of its statistics is in alarm.'),
    decisions: z.array(AlarmDecisionViewSchema),
    buckets: z
      .array(z.number())
      .describe('Upper-inclusive bucket boundaries; the counts have one more entry (+Inf). Empty for labels: their buckets are the model labels.'),
    reference_counts: CountsSchema.describe('Reference counts per bucket (labels: keyed by label).'),
    window_counts: CountsSchema.describe('Window counts per bucket (labels: keyed by label).'),
  });
  /** GET /v1/monitor: the drift monitor now. */
  const MonitorStatusSchema = z.object({
    model_id: z.string(),
    calibration_id: z.string().nullable(),
    observed: z.int().describe('Predictions observed since start (every route).'),
    window: z.int().describe('Predictions in the sliding window now.'),
    window_size: z.int(),
    reference: z.object({ n: z.int(), mean_confidence: z.number(), calibration: z.string().nullable() }),
    signals: z.record(z.string(), SignalViewSchema).describe('Window against reference, per signal: confidence, margin, entropy, labels.'),
    estimated_accuracy: z.number().nullable().describe('CBPE: mean top-class probability over the window.'),
    realized_accuracy: z.number().nullable().describe('Accuracy over window predictions with feedback; null without any.'),
    accuracy_gap: z.number().nullable().describe('Mean confidence minus accuracy over those predictions (> 0: over-confident).'),
    labelled: z.int(),
    alarms: z.array(AlarmRecordSchema).describe('Alarms active now.'),
    min_samples: z.int().describe('Windows holding fewer predictions never alarm.'),
    run_length: z
      .object({
        expected_run_length: z.number().describe('Predictions between false alarms of the whole monitor, on average, under no drift.'),
        window: z.int().describe('The window size the thresholds were calibrated for.'),
        tests: z.int().describe('Signal × statistic tests sharing the false-alarm budget (Bonferroni).'),
        cached: z.boolean().describe('Whether the thresholds came from the reference profile (false: calibrated at start).'),
        thresholds: z.record(z.string(), z.record(z.string(), z.number())).describe('Per signal and statistic: the alarm threshold at a full window.'),
      })
      .nullable()
      .describe('The calibrated alarm level; null when the monitor runs per-window tests at alpha 0.001.'),
  });
  return { AlarmRecordSchema, AlarmDecisionViewSchema, SignalViewSchema, MonitorStatusSchema };
}

const builtin = monitorStatusSchemas(BUILTIN_DRIFT_STATISTICS.map((p) => p.name));
export const AlarmRecordSchema = builtin.AlarmRecordSchema;
export const AlarmDecisionViewSchema = builtin.AlarmDecisionViewSchema;
export type AlarmDecisionView = z.infer<typeof AlarmDecisionViewSchema>;
export const SignalViewSchema = builtin.SignalViewSchema;
export type SignalView = z.infer<typeof SignalViewSchema>;
export const MonitorStatusSchema = builtin.MonitorStatusSchema;
export type MonitorStatus = z.infer<typeof MonitorStatusSchema>;

const SignalValuesSchema = z.object({ confidence: z.number(), margin: z.number(), entropy: z.number(), labels: z.number() });

/** One point of the drift time series (GET /v1/monitor/series). */
export const SeriesPointSchema = z.object({
  time: z.string().describe('ISO 8601 time the point was taken.'),
  observed: z.int().describe('Predictions observed since start.'),
  window: z.int().describe('Predictions in the window.'),
  psi: SignalValuesSchema.describe('PSI per signal.'),
  js: SignalValuesSchema.describe('Jensen-Shannon distance (base 2) per signal.'),
  label_shares: z.record(z.string(), z.number()).describe('Share of window predictions per predicted label.'),
});

// What the wire promises is what the state store keeps: a compile-time check until the store's
// AlarmRecord and SeriesPoint become these inferred types.
type Assignable<A extends B, B> = A;
type _AlarmRecordMatches = Assignable<z.infer<typeof AlarmRecordSchema>, AlarmRecord>;
type _SeriesPointMatches = Assignable<z.infer<typeof SeriesPointSchema>, SeriesPoint>;
