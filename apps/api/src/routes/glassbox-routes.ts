import { z } from 'zod';
import { lacSet } from '@glassbox/calibration';
import { predictionView, PredictionViewSchema, type ExplainerPlugin, type PluginRegistry } from '@glassbox/core';
import { ExplanationSchema, GranularitySchema, type Explanation } from '@glassbox/explain';
import type { ApiContext } from '../api-context.js';
import { ApiError } from '../api-errors.js';
import { TextSchema, TextsSchema, textList } from '../request-validation.js';
import { pluginOptionsZod } from '../plugin-set.js';
import { defineRoute, type RouteSpec } from '../route-table.js';
import { newClassifyTiming, setServerTiming } from '../server-timing.js';

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
    granularity: GranularitySchema.optional(),
  window_size: z.int().min(1).optional(),
  window_stride: z.int().min(1).optional(),
    faithfulness: z.boolean().optional().describe('Also score each method\'s comprehensiveness and sufficiency.'),
    truncate: z.boolean().optional(),
  });
}

/** A prediction of /v1/predict: core's prediction view with the id, explanation and feedback token the API adds. */
export const PredictionSchema = z.object({
  id: z.uuid(),
  ...PredictionViewSchema.shape,
  explanation: ExplanationSchema.optional(),
  feedback_token: z
    .string()
    .describe('Send it with POST /v1/feedback to report the true label of this prediction without the API key (it is good for this prediction only).'),
});

export const PredictResponseSchema = z.object({
  model: z.string(),
  calibrated: z.boolean(),
  predictions: z.array(PredictionSchema),
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
    async handle({ body, signal, res }) {
      const texts = textList(body.inputs, options.maxInputs);
      if (body.explain && texts.length > options.maxExplainInputs) {
        throw new ApiError(
          'EXPLAIN_BUDGET_EXCEEDED',
          `explain: true takes at most ${options.maxExplainInputs} texts per request (maxExplainInputs), got ${texts.length}; send the others without explain, or explain them with /v1/explain`,
        );
      }
      const calibrated = body.calibrated ?? service.calibration !== null;
      if (calibrated && service.calibration === null) {
        throw new ApiError('INVALID_REQUEST', 'calibrated: true needs a server started with a calibration file (glassbox serve --calibration FILE; config calibrationPath)');
      }
      const prepared = await service.prepare(texts, { truncate: body.truncate ?? true, direction: 'right' });
      // Every explanation is checked against the budget before anything runs.
      if (body.explain) await service.checkExplainBudget(prepared, {});
      // The audit rows are committed before anything is acknowledged or observed: when the write
      // fails, the request fails with 503 AUDIT_WRITE_FAILED, no id leaves the server, and the
      // drift window never counts the refused predictions.
      const timing = newClassifyTiming();
      const results = await service.classify(prepared, {
        calibrated,
        signal,
        timing,
        commit: async (served) => {
          const time = new Date().toISOString();
          const entries = served.map((r, i) => ({
            id: r.id,
            time,
            model: service.name,
            model_id: service.modelId,
            calibration_id: calibrated ? service.calibrationId : null,
            calibrated,
            ...predictionView(r, { truncated: prepared[i] !== texts[i] }),
            ...(options.storeText && { text: prepared[i] }),
            feedback: null,
          }));
          await ctx.writes.runAsync(() => audit.addAll(entries));
        },
      });
      setServerTiming(res, timing);
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
          ...predictionView(r, {
            raw: calibrated,
            topK: body.top_k,
            conformalSet: conformal && ((p) => lacSet(p, conformal.qhat)),
            truncated: prepared[i] !== texts[i],
          }),
          ...(body.explain && { explanation: explanations[i] }),
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
