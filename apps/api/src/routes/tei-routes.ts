import { z } from 'zod';
import { LabelScoreSchema, sortedScores } from '@glassbox/core';
import type { ApiContext } from '../api-context.js';
import { ApiError } from '../api-errors.js';
import { TextSchema } from '../request-validation.js';
import { defineRoute, type RouteSpec } from '../route-table.js';
import { newClassifyTiming, setTeiTiming } from '../server-timing.js';

/** A sequence: one text, or a sentence pair (which this single-text model refuses). */
const Sequence = z.array(TextSchema).min(1, 'the list of texts is empty').max(2);

export const TeiPredictRequestSchema = z.object({
  inputs: z
    .union([TextSchema, Sequence, z.array(Sequence).min(1, 'the batch is empty')], {
      error: 'must be a text, or a batch [["t1"], ["t2"]]',
    })
    .describe('"text" (one input), or [["t1"], ["t2"]] (a batch). ["a", "b"] is a sentence pair.'),
  truncate: z.boolean().nullish().describe('Cut over-long texts (default true); false refuses them with 422.'),
  truncation_direction: z.enum(['right', 'left', 'Right', 'Left']).nullish().describe('Which end to cut (default right: keep the start).'),
  raw_scores: z.boolean().nullish().describe('Return logits instead of probabilities.'),
});

export const TeiPredictResponseSchema = z.union([z.array(LabelScoreSchema), z.array(z.array(LabelScoreSchema))]);

export const TeiInfoSchema = z.looseObject({
  model_id: z.string(),
  model_sha: z.string().nullable(),
  model_dtype: z.string(),
  model_type: z.object({ classifier: z.object({ id2label: z.record(z.string(), z.string()), label2id: z.record(z.string(), z.int()) }) }),
  id2label: z.record(z.string(), z.string()),
  max_input_length: z.int(),
  max_batch_tokens: z.int(),
  max_batch_requests: z.int(),
  max_client_batch_size: z.int(),
  auto_truncate: z.boolean(),
  version: z.string(),
});

function pairError(): ApiError {
  return new ApiError('INVALID_REQUEST', 'this model classifies single texts, not sentence pairs; send a batch as [["t1"], ["t2"]]');
}

/** text-embeddings-inference's classifier routes: POST /predict and GET /info (/health is shared). */
export function teiRoutes(ctx: ApiContext): RouteSpec[] {
  const { service, options } = ctx;
  return [
    defineRoute({
      method: 'post',
      path: '/predict',
      operationId: 'teiPredict',
      summary: 'TEI predict: one input gives a flat list of all labels, highest first; a batch gives a list per input.',
      tag: 'tei',
      body: TeiPredictRequestSchema,
      response: TeiPredictResponseSchema,
      errors: [400, 413, 422, 424, 429, 503],
      dialect: 'tei',
      limited: true,
      async handle({ body, signal, res }) {
        const { inputs } = body;
        const batch = Array.isArray(inputs) && inputs.some((x) => Array.isArray(x));
        let texts: string[];
        if (typeof inputs === 'string') texts = [inputs];
        else if (!batch) {
          if (inputs.length > 1) throw pairError();
          texts = [inputs[0] as string];
        } else {
          texts = (inputs as string[][]).map((seq) => {
            if (seq.length > 1) throw pairError();
            return seq[0];
          });
        }
        if (texts.length > options.maxInputs) {
          throw new ApiError('TOO_MANY_INPUTS', `batch size ${texts.length} > maximum allowed batch size ${options.maxInputs}`);
        }
        const direction = (body.truncation_direction ?? 'right').toLowerCase() as 'right' | 'left';
        const prepared = await service.prepare(texts, { truncate: body.truncate ?? true, direction });
        const timing = newClassifyTiming();
        const results = await service.classify(prepared, { calibrated: service.calibration !== null, signal, timing });
        setTeiTiming(res, timing);
        const rows = results.map((r) => sortedScores(service.labels, body.raw_scores ? r.logits : service.labels.map((l) => r.probabilities[l])));
        return batch ? rows : rows[0];
      },
    }),
    defineRoute({
      method: 'get',
      path: '/info',
      operationId: 'teiInfo',
      summary: 'TEI info: model id, labels and limits.',
      tag: 'tei',
      response: TeiInfoSchema,
      errors: [],
      dialect: 'tei',
      handle() {
        const id2label = Object.fromEntries(service.labels.map((l, i) => [String(i), l]));
        const label2id = Object.fromEntries(service.labels.map((l, i) => [l, i]));
        return {
          model_id: service.name,
          model_sha: null,
          model_dtype: 'float32',
          model_type: { classifier: { id2label, label2id } },
          id2label,
          max_concurrent_requests: null,
          max_input_length: service.maxLength,
          max_batch_tokens: options.maxBatchTokens,
          max_batch_requests: options.maxBatchSize,
          max_client_batch_size: options.maxInputs,
          auto_truncate: true,
          tokenization_workers: 1,
          version: ctx.version,
        };
      },
    }),
  ];
}
