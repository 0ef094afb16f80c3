import { z } from 'zod';
import type { ExplainerPlugin, PluginRegistry } from '@glassbox/core';
import type { Explanation } from '@glassbox/explain';
import type { ApiContext } from '../api-context.js';
import { ApiError } from '../api-errors.js';
import { LabelScoreSchema, ProbabilitiesSchema, TextSchema, TextsSchema, textList } from '../request-validation.js';
import { pluginOptionsZod } from '../plugin-set.js';
import { defineRoute, type RouteSpec } from '../route-table.js';
import { lacSet } from '@glassbox/calibration';
import { topK } from '../scores.js';

const LabelRef = z.union([z.string().min(1), z.int().min(0)]).describe('A label name or id.');

export const PredictRequestSchema = z.strictObject({
  inputs: TextsSchema,
  top_k: z.int().min(1).optional().describe('Also list the k most probable labels.'),
  calibrated: z.boolean().optional().describe('Calibrated probabilities (default: true when the server has a calibration).'),
  explain: z
    .boolean()
    .optional()
    .describe('Also explain each prediction (slow: many forward passes per text): at most maxExplainInputs texts, each within the explanation budget (422 EXPLAIN_BUDGET_EXCEEDED otherwise).'),
  truncate: z.boolean().optional().describe('Cut texts over the length limits (default true); false refuses them with 422.'),
});

/** The /v1/explain body: `methods` and `options` derive from the registered explainers. */
export function explainRequestSchema(explainers: PluginRegistry<ExplainerPlugin>) {
  const plugins = explainers.entries().map((e) => e.plugin);
  const names = plugins.map((p) => p.name) as [string, ...string[]];
  const methodList = plugins.map((p) => `${p.name}: ${p.description}`).join(' ');
  const defaults = plugins.filter((p) => p.byDefault).map((p) => p.name);
  return z.strictObject({
    inputs: TextSchema,
    methods: z
      .array(z.enum(names))
      .min(1)
      .optional()
      .describe(`Registered explainers to run (default: ${defaults.join(', ') || 'none'}, those the model supports). ${methodList}`),
    options: z
      .strictObject(Object.fromEntries(plugins.map((p) => [p.name, pluginOptionsZod(p.options).optional()])))
      .optional()
      .describe('Per method, its options (see GET /v1/plugins).'),
    seed: z.int().min(0).optional().describe('Seed of randomised methods and of the random ranking (default 0).'),
    target: LabelRef.optional().describe('Label to explain (default: the predicted one).'),
    contrast: LabelRef.optional().describe('Explain target rather than contrast (methods that are not class-agnostic).'),
  granularity: z.enum(['token', 'word', 'window']).optional(),
  window_size: z.int().min(1).optional(),
  window_stride: z.int().min(1).optional(),
    faithfulness: z.boolean().optional().describe('Also score each method\'s comprehensiveness and sufficiency.'),
    truncate: z.boolean().optional(),
  });
}

const Span = z.object({ text: z.string(), start: z.int(), end: z.int() });
const Attributions = z.record(z.string(), z.array(z.number()));

export const ExplanationSchema = z.looseObject({
  text: z.string(),
  label: z.string(),
  target: z.string(),
  contrast: z.string().nullable(),
  probabilities: ProbabilitiesSchema,
  granularity: z.enum(['token', 'word', 'window']),
  tokens: z.array(Span),
  attributions: Attributions,
  words: z.array(Span),
  word_attributions: Attributions,
  class_agnostic: z.array(z.string()),
  faithfulness: z.record(z.string(), z.looseObject({ comprehensiveness_aopc: z.number(), sufficiency_aopc: z.number() })).optional(),
  agreement: z
    .object({
      k: z.int(),
      pairs: z.array(z.object({ methods: z.tuple([z.string(), z.string()]), kendall_tau: z.number(), top_k_overlap: z.number() })),
      kendall_tau: z.number().optional().describe('With exactly two methods: their pair\'s.'),
      top_k_overlap: z.number().optional(),
    })
    .optional()
    .describe('With two or more methods: Kendall tau and top-k overlap of every pair.'),
  windows: z.int(),
  forward_calls: z.int(),
});

const RawView = z.object({ label: z.string(), score: z.number(), probabilities: ProbabilitiesSchema });

export const PredictionSchema = z.object({
  id: z.uuid(),
  label: z.string(),
  score: z.number(),
  probabilities: ProbabilitiesSchema,
  raw: RawView.optional().describe('The uncalibrated view, when the probabilities are calibrated.'),
  abstained: z.boolean(),
  abstention_reason: z.string().nullable(),
  conformal_set: z.array(z.string()).optional().describe('LAC conformal set, when the calibration has one.'),
  top_k: z.array(LabelScoreSchema).optional(),
  explanation: ExplanationSchema.optional(),
  truncated: z.boolean().describe('The text was cut to fit the length limits.'),
  feedback_token: z
    .string()
    .describe('Send it with POST /v1/feedback to report the true label of this prediction without the API key (it is good for this prediction only).'),
});

export const PredictResponseSchema = z.object({
  model: z.string(),
  calibrated: z.boolean(),
  predictions: z.array(PredictionSchema),
});

const MetricSetSchema = z.looseObject({
  accuracy: z.number(),
  ece: z.number(),
  mce: z.number(),
  brier: z.number(),
  nll: z.number(),
  reliability: z.array(z.looseObject({})),
});

export const CalibrationResponseSchema = z.object({
  model: z.object({ id: z.string(), name: z.string(), labels: z.array(z.string()) }),
  method: z.enum(['temperature', 'vector', 'platt', 'isotonic']),
  params: z.record(z.string(), z.unknown()),
  fitted_on: z.object({ count: z.int(), sha256: z.string() }),
  metrics: z.object({ before: MetricSetSchema, after: MetricSetSchema }).nullable(),
  conformal: z.object({ method: z.literal('lac'), alpha: z.number(), qhat: z.number() }).nullable(),
  certificate: z.looseObject({ rule: z.string(), threshold: z.number() }).nullable(),
  created_at: z.string(),
});

/** glassbox's own routes: predictions with calibration, abstention and explanations. */
export function glassboxRoutes(ctx: ApiContext): RouteSpec[] {
  const { service, options, audit } = ctx;

  const predict = defineRoute({
    method: 'post',
    path: '/v1/predict',
    operationId: 'predict',
    summary: 'Classify texts: (calibrated) probabilities, abstention, conformal sets, optional explanations.',
    tag: 'glassbox',
    body: PredictRequestSchema,
    response: PredictResponseSchema,
    errors: [400, 413, 422, 429, 500, 503],
    limited: true,
    async handle({ body, signal }) {
      const texts = textList(body.inputs, options.maxInputs);
      if (body.explain && texts.length > options.maxExplainInputs) {
        throw new ApiError(
          'EXPLAIN_BUDGET_EXCEEDED',
          `explain: true takes at most ${options.maxExplainInputs} texts per request (maxExplainInputs), got ${texts.length}; send the others without explain, or explain them with /v1/explain`,
        );
      }
      const calibrated = body.calibrated ?? service.calibration !== null;
      if (calibrated && service.calibration === null) {
        throw new ApiError('INVALID_REQUEST', 'calibrated: true needs a server started with a calibration file (calibrationPath)');
      }
      const prepared = await service.prepare(texts, { truncate: body.truncate ?? true, direction: 'right' });
      // Every explanation is checked against the budget before anything runs.
      if (body.explain) await service.checkExplainBudget(prepared, {});
      // The audit rows are committed before anything is acknowledged or observed: when the write
      // fails, the request fails with 503 AUDIT_WRITE_FAILED, no id leaves the server, and the
      // drift window never counts the refused predictions.
      const results = await service.classify(prepared, {
        calibrated,
        signal,
        commit: (served) => {
          const time = new Date().toISOString();
          const entries = served.map((r, i) => ({
            id: r.id,
            time,
            model: service.name,
            model_id: service.modelId,
            calibration_id: calibrated ? service.calibrationId : null,
            calibrated,
            label: r.label,
            score: r.score,
            probabilities: r.probabilities,
            abstained: r.abstained,
            abstention_reason: r.abstentionReason,
            truncated: r.truncated || prepared[i] !== texts[i],
            ...(options.storeText && { text: prepared[i] }),
            feedback: null,
          }));
          ctx.writes.run(() => audit.addAll(entries));
        },
      });
      const conformal = calibrated ? service.calibration?.conformal : undefined;
      const explanations: Explanation[] = [];
      if (body.explain) {
        // One at a time: each explanation already runs many forward passes.
        for (const text of prepared) explanations.push(await service.explain(text, {}, signal));
      }
      return {
        model: service.name,
        calibrated,
        predictions: results.map((r, i) => ({
          id: r.id,
          label: r.label,
          score: r.score,
          probabilities: r.probabilities,
          ...(calibrated && { raw: r.raw }),
          abstained: r.abstained,
          abstention_reason: r.abstentionReason,
          ...(conformal && { conformal_set: lacSet(r.probabilities, conformal.qhat) }),
          ...(body.top_k !== undefined && { top_k: topK(r.probabilities, body.top_k) }),
          ...(body.explain && { explanation: explanations[i] }),
          truncated: r.truncated || prepared[i] !== texts[i],
          feedback_token: ctx.feedbackTokens.sign(r.id),
        })),
      };
    },
  });

  const explain = defineRoute({
    method: 'post',
    path: '/v1/explain',
    operationId: 'explain',
    summary: 'Explain one prediction with any registered explainers (GET /v1/plugins lists them).',
    tag: 'glassbox',
    body: explainRequestSchema(ctx.plugins.explainer),
    response: ExplanationSchema,
    errors: [400, 413, 422, 429, 500, 503],
    limited: true,
    async handle({ body, signal }) {
      const [text] = await service.prepare([body.inputs], { truncate: body.truncate ?? true, direction: 'right' });
      return service.explain(
        text,
        {
        methods: body.methods,
        methodOptions: body.options as Record<string, Record<string, unknown>> | undefined,
        seed: body.seed,
        target: body.target,
        contrast: body.contrast,
        granularity: body.granularity,
        windowSize: body.window_size,
        windowStride: body.window_stride,
        faithfulness: body.faithfulness,
        },
        signal,
      );
    },
  });

  // GET /v1/calibration is served by calibration-routes.ts, with the other calibration versions.
  return [predict, explain];
}
