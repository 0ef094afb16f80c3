import { z } from 'zod';
import { GlassboxError } from '@glassbox/core';
import { ExplanationSchema } from '@glassbox/explain';
import {
  AuditEntrySchema,
  AuditFeedbackSchema,
  BUILTIN_DRIFT_STATISTICS,
  CURSOR_PATTERN,
  DRIFT_SIGNALS,
  monitorStatusSchemas,
  PROMETHEUS_CONTENT_TYPE,
  SeriesPointSchema,
  statisticNameSchema,
  type AuditEntry,
  type DriftMonitor,
} from '@glassbox/monitor';
import type { ApiContext } from '../api-context.js';
import { ApiError } from '../api-errors.js';
import { defineRoute, type RouteSpec } from '../route-table.js';

const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;

const limitParam = (what: string) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE)
    .optional()
    .describe(`Most ${what} to return (1 to ${MAX_PAGE}, default ${DEFAULT_PAGE}).`);

const BooleanParam = z.enum(['true', 'false']);

export const PredictionsQuerySchema = z.object({
  limit: limitParam('predictions'),
  cursor: z
    .string()
    .regex(CURSOR_PATTERN, 'is not a cursor this server gave out; use next_cursor from the previous page')
    .optional()
    .describe('next_cursor of the previous page; omit for the newest predictions.'),
  label: z.string().min(1).optional().describe('Only predictions of this label.'),
  abstained: BooleanParam.optional().describe('Only abstentions (true) or only decisions (false).'),
  feedback: BooleanParam.optional().describe('Only predictions with (true) or without (false) feedback.'),
  correct: BooleanParam.optional().describe('Only predictions whose latest feedback agreed (true) or disagreed (false).'),
  since: z.iso.datetime({ offset: true }).optional().describe('Only predictions served at or after this ISO 8601 time.'),
  until: z.iso.datetime({ offset: true }).optional().describe('Only predictions served before this ISO 8601 time.'),
});

export const PredictionQuerySchema = z.object({
  explain: z
    .enum(['true', 'false'])
    .optional()
    .describe('true: explain the prediction again now (needs the stored text: servers with storeText).'),
});

/** A zod enum of the registered drift statistics' names (so /openapi.json lists them). */
const statisticEnum = statisticNameSchema;

/** The history query, its statistic enum from the registered drift statistics. */
export const historyQuerySchema = (statistics: readonly string[]) =>
  z.object({
    limit: limitParam('alarms'),
    signal: z.enum(['confidence', 'margin', 'entropy', 'labels']).optional().describe('Only alarms on this signal.'),
    statistic: statisticEnum(statistics).optional().describe('Only alarms of this statistic.'),
    since: z.iso.datetime({ offset: true }).optional().describe('Only alarms fired at or after this ISO 8601 time.'),
  });

/** The history query of the built-in drift statistics. */
export const HistoryQuerySchema = historyQuerySchema(BUILTIN_DRIFT_STATISTICS.map((p) => p.name));

export const FeedbackRequestSchema = z.strictObject({
  id: z.string().min(1).describe('The prediction id /v1/predict returned.'),
  label: z.string().min(1).describe('The true label (one of the model labels).'),
  feedback_token: z
    .string()
    .min(1)
    .optional()
    .describe(
      'The feedback_token /v1/predict returned with this prediction. Without it the request needs the API key (or, on a server without one, to come from its own machine).',
    ),
});

export const PredictionsPageSchema = z.object({
  predictions: z.array(AuditEntrySchema).describe('Newest first.'),
  next_cursor: z.string().nullable().describe('Pass as cursor for the next (older) page; null on the last.'),
  size: z.int().describe('Predictions the audit trail holds.'),
  audit_limit: z.int().describe('Most predictions it holds (the oldest drop first).'),
});

export const FeedbackResponseSchema = z.object({
  id: z.string(),
  label: z.string(),
  predicted: z.string(),
  correct: z.boolean(),
  monitored: z.boolean().describe('The prediction is still in the drift window, so realized accuracy counts it.'),
});

/** The drift monitor's wire shapes (libs/monitor), their statistic enums from the registered drift statistics. */
export function monitorSchemas(statistics: readonly string[]) {
  const { AlarmRecordSchema: AlarmSchema, MonitorStatusSchema } = monitorStatusSchemas(statistics);
  return { AlarmSchema, MonitorStatusSchema, HistoryQuerySchema: historyQuerySchema(statistics) };
}

/** GET /metrics, the drift monitor and the audit trail (with feedback). */
export function monitorRoutes(ctx: ApiContext): RouteSpec[] {
  const { service, monitoring, audit } = ctx;
  const { AlarmSchema, MonitorStatusSchema, HistoryQuerySchema } = monitorSchemas(monitoring.statistics.names());

  const requireMonitor = (): DriftMonitor => {
    if (!monitoring.monitor) {
      throw new ApiError('MONITOR_NOT_CONFIGURED', 'this server runs no drift monitor; start it with a reference profile (glassbox serve --reference FILE; config referencePath)');
    }
    return monitoring.monitor;
  };
  const requireEntry = async (id: string): Promise<AuditEntry> => {
    const entry = await audit.get(id);
    if (!entry) {
      throw new ApiError('PREDICTION_NOT_FOUND', `no prediction "${id}" in the audit trail (it keeps the last ${audit.limit} /v1/predict results)`);
    }
    return entry;
  };

  const metrics = defineRoute({
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    summary: 'Prometheus text exposition: prediction, abstention and latency counters; with a reference, drift histograms and gauges.',
    tag: 'monitoring',
    response: z.string().describe('Prometheus text format 0.0.4.'),
    contentType: PROMETHEUS_CONTENT_TYPE,
    errors: [500, 503],
    async handle({ res }) {
      if (ctx.state() === 'closed') throw new ApiError('NOT_READY', 'the server is closed; its metrics were flushed');
      const text = await monitoring.metrics.metricsText();
      res.status(200).setHeader('content-type', PROMETHEUS_CONTENT_TYPE);
      res.end(text);
    },
  });

  const status = defineRoute({
    method: 'get',
    path: '/v1/monitor',
    operationId: 'getMonitor',
    summary: 'Drift of the sliding window against the reference per signal, estimated and realized accuracy, active alarms.',
    tag: 'monitoring',
    response: MonitorStatusSchema,
    errors: [404],
    handle() {
      const s = requireMonitor().status();
      monitoring.sample();
      const reference = monitoring.reference;
      return {
        model_id: service.modelId,
        calibration_id: service.calibrationId,
        observed: s.observed,
        window: s.window,
        window_size: monitoring.window,
        reference: { n: reference?.n ?? 0, mean_confidence: s.referenceMeanConfidence, calibration: reference?.calibration ?? null },
        signals: Object.fromEntries(
          DRIFT_SIGNALS.map((signal) => {
            const { kind, statistics, decisions, buckets, referenceCounts, windowCounts } = s.signals[signal];
            const byLabel = (counts: number[]) => (signal === 'labels' ? Object.fromEntries(s.labels.map((l, i) => [l, counts[i] ?? 0])) : counts);
            return [
              signal,
              {
                kind,
                psi: statistics.psi,
                js_distance: statistics.jsDistance,
                ks: statistics.ks,
                chi_square: { statistic: statistics.chiSquare.statistic, df: statistics.chiSquare.df, p_value: statistics.chiSquare.pValue },
                statistics: statistics.values,
                alarm: decisions.some((d) => d.alarm),
                decisions,
                buckets,
                reference_counts: byLabel(referenceCounts),
                window_counts: byLabel(windowCounts),
              },
            ];
          }),
        ),
        estimated_accuracy: s.estimatedAccuracy,
        realized_accuracy: s.realizedAccuracy,
        accuracy_gap: s.accuracyGap,
        labelled: s.labelled,
        min_samples: s.minSamples,
        run_length: s.runLength && {
          expected_run_length: s.runLength.expectedRunLength,
          window: s.runLength.window,
          tests: s.runLength.tests,
          cached: s.runLength.cached,
          thresholds: s.runLength.thresholds,
        },
        alarms: s.alarms.map(monitoring.toRecord),
      };
    },
  });

  const history = defineRoute({
    method: 'get',
    path: '/v1/monitor/history',
    operationId: 'getMonitorHistory',
    summary: 'Drift alarms fired (the last 1000; kept across restarts with a state database), newest first; filter by signal, statistic and time.',
    tag: 'monitoring',
    query: HistoryQuerySchema,
    response: z.object({ alarms: z.array(AlarmSchema) }),
    errors: [400, 404],
    handle({ query }) {
      requireMonitor();
      const since = query.since === undefined ? -Infinity : Date.parse(query.since);
      const alarms = monitoring
        .alarmLog()
        .filter(
          (a) =>
            (query.signal === undefined || a.signal === query.signal) &&
            (query.statistic === undefined || a.statistic === query.statistic) &&
            Date.parse(a.time) >= since,
        );
      return { alarms: alarms.slice(0, query.limit ?? DEFAULT_PAGE) };
    },
  });

  const series = defineRoute({
    method: 'get',
    path: '/v1/monitor/series',
    operationId: 'getMonitorSeries',
    summary: 'PSI and JS distance per signal and predicted-label shares over time (a point every 20 predictions or per /v1/monitor call, at most one a second; the last 500), oldest first.',
    tag: 'monitoring',
    response: z.object({ points: z.array(SeriesPointSchema) }),
    errors: [404],
    handle() {
      requireMonitor();
      return { points: monitoring.series() };
    },
  });

  const list = defineRoute({
    method: 'get',
    path: '/v1/predictions',
    operationId: 'listPredictions',
    summary: 'The audit trail of /v1/predict results, newest first, a page at a time; filter by label, abstention, feedback, correctness and time.',
    tag: 'audit',
    query: PredictionsQuerySchema,
    response: PredictionsPageSchema,
    errors: [400, 401],
    admin: true,
    async handle({ query }) {
      if (query.label !== undefined && !service.labels.includes(query.label)) {
        throw new GlassboxError('UNKNOWN_LABEL', `label "${query.label}" is not a model label; expected one of ${service.labels.join(', ')}`);
      }
      const flag = (v: 'true' | 'false' | undefined) => (v === undefined ? undefined : v === 'true');
      const page = await audit.list(query.limit ?? DEFAULT_PAGE, query.cursor, {
        label: query.label,
        abstained: flag(query.abstained),
        feedback: flag(query.feedback),
        correct: flag(query.correct),
        sinceMs: query.since === undefined ? undefined : Date.parse(query.since),
        untilMs: query.until === undefined ? undefined : Date.parse(query.until),
      });
      return { predictions: page.entries, next_cursor: page.nextCursor, size: await audit.size(), audit_limit: audit.limit };
    },
  });

  const get = defineRoute({
    method: 'get',
    path: '/v1/predictions/{id}',
    operationId: 'getPrediction',
    summary: 'One audited prediction; ?explain=true explains it again (when its text was stored).',
    tag: 'audit',
    query: PredictionQuerySchema,
    response: AuditEntrySchema.extend({
      feedback_history: z.array(AuditFeedbackSchema).describe('Every feedback event for this prediction, oldest first (append-only).'),
      explanation: ExplanationSchema.optional(),
    }),
    errors: [400, 401, 404, 409, 429, 500, 503],
    admin: true,
    limited: true,
    async handle({ params, query, signal }) {
      const stored = await requireEntry(params['id']);
      const entry = { ...stored, feedback_history: await audit.feedbackHistory(stored.id) };
      if (query.explain !== 'true') return entry;
      if (entry.text === undefined) {
        throw new ApiError('TEXT_NOT_STORED', 'this prediction was stored without its text (start the server with storeText: true to re-explain)');
      }
      return { ...entry, explanation: await service.explain(entry.text, {}, signal) };
    },
  });

  const feedback = defineRoute({
    method: 'post',
    path: '/v1/feedback',
    operationId: 'postFeedback',
    summary:
      'The true label of an audited prediction (realized accuracy and accuracy gap in /v1/monitor). Needs the prediction\'s feedback_token or the API key. Append-only: a correction is a new event; the latest counts.',
    tag: 'audit',
    body: FeedbackRequestSchema,
    response: FeedbackResponseSchema,
    errors: [400, 401, 403, 404, 413, 415, 503],
    tokenAuth: true,
    async handle({ body, req }) {
      if (body.feedback_token !== undefined) {
        if (!ctx.feedbackTokens.verify(body.id, body.feedback_token)) {
          throw new ApiError('FORBIDDEN', 'feedback_token is not the one /v1/predict returned with this prediction');
        }
      } else {
        ctx.adminAccess.check(req);
      }
      const entry = await requireEntry(body.id);
      if (!service.labels.includes(body.label)) {
        throw new GlassboxError('UNKNOWN_LABEL', `label "${body.label}" is not a model label; expected one of ${service.labels.join(', ')}`);
      }
      const correct = entry.label === body.label;
      // Stored before it is acknowledged or reaches the drift window: a failed write is a 503.
      await ctx.writes.runAsync(() => audit.addFeedback(entry.id, { label: body.label, correct, time: new Date().toISOString() }));
      let monitored = false;
      try {
        monitored = monitoring.recordFeedback(entry.id, body.label);
      } catch (error) {
        ctx.reportError(error);
      }
      return { id: entry.id, label: body.label, predicted: entry.label, correct, monitored };
    },
  });

  return [metrics, status, history, series, list, get, feedback];
}
