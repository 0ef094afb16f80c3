import { z } from 'zod';
import { LabelScoreSchema, sortedScores } from '@glassbox/core';
import type { ApiContext } from '../api-context.js';
import { TextsSchema, textList } from '../request-validation.js';
import { defineRoute, type RouteSpec } from '../route-table.js';
import { newClassifyTiming, setServerTiming } from '../server-timing.js';
import { sigmoid } from '../scores.js';

export const HfRequestSchema = z.object({
  inputs: TextsSchema,
  parameters: z
    .object({
      top_k: z.int().min(1).nullish().describe('Labels per text (default: all).'),
      function_to_apply: z.enum(['softmax', 'sigmoid', 'none']).nullish().describe('softmax (default; calibrated when the server has a calibration), sigmoid of the logits, or the logits.'),
    })
    .nullish(),
  options: z.looseObject({}).nullish().describe('Accepted and ignored (wait_for_model, use_cache).'),
});

export const HfResponseSchema = z.array(z.array(LabelScoreSchema)).describe('One list per input, highest score first.');

/** The Hugging Face Inference API's text-classification route. */
export function hfRoutes(ctx: ApiContext): RouteSpec[] {
  const { service, options } = ctx;
  return [
    defineRoute({
      method: 'post',
      path: '/models/{model}',
      expressPath: '/models/*model',
      operationId: 'hfTextClassification',
      summary: 'Hugging Face Inference API text classification: [[{label, score}, ...]] per input.',
      tag: 'huggingface',
      body: HfRequestSchema,
      response: HfResponseSchema,
      errors: [400, 404, 413, 422, 429, 500, 503],
      dialect: 'hf',
      limited: true,
      modelParam: 'model',
      async handle({ body, signal, res }) {
        const texts = textList(body.inputs, options.maxInputs);
        const fn = body.parameters?.function_to_apply ?? 'softmax';
        const k = body.parameters?.top_k ?? service.labels.length;
        const timing = newClassifyTiming();
        const results = await service.classify(await service.prepare(texts), { calibrated: service.calibration !== null, signal, timing });
        setServerTiming(res, timing);
        return results.map((r) => {
          const scores = fn === 'softmax' ? service.labels.map((l) => r.probabilities[l]) : fn === 'sigmoid' ? r.logits.map(sigmoid) : r.logits;
          return sortedScores(service.labels, scores).slice(0, k);
        });
      },
    }),
  ];
}
