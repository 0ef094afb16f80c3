import { z } from 'zod';
import type { ApiContext } from '../api-context.js';
import { ApiError } from '../api-errors.js';
import { MAX_JSON_DEPTH } from '../client-errors.js';
import { defineRoute, type RouteSpec } from '../route-table.js';
import { newClassifyTiming, setServerTiming } from '../server-timing.js';

const OUTPUTS = ['probabilities', 'logits', 'label'] as const;
type OutputName = (typeof OUTPUTS)[number];

const TensorMetadata = z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.int()) });

export const InferRequestSchema = z.object({
  id: z.string().optional(),
  parameters: z
    .looseObject({
      truncate: z.boolean().optional().describe('Cut over-long texts (default true); false refuses them with 422.'),
      calibrated: z.boolean().optional(),
    })
    .optional(),
  inputs: z
    .array(
      z.object({
        name: z.string(),
        shape: z.array(z.int().min(0)),
        datatype: z.string(),
        parameters: z.record(z.string(), z.unknown()).optional(),
        data: z.array(z.unknown()).describe('The texts, flat or nested by shape.'),
      }),
    )
    .min(1),
  outputs: z
    .array(z.object({ name: z.string(), parameters: z.record(z.string(), z.unknown()).optional() }))
    .optional()
    .describe(`Outputs to return (default probabilities): ${OUTPUTS.join(', ')}.`),
});

const OutputTensor = z.object({
  name: z.string(),
  shape: z.array(z.int()),
  datatype: z.enum(['FP32', 'BYTES']),
  data: z.array(z.union([z.number(), z.string()])).describe('Row-major.'),
});

export const InferResponseSchema = z.object({
  model_name: z.string(),
  model_version: z.string(),
  id: z
    .string()
    .optional()
    .describe("The request's id, echoed as the protocol asks; absent when the request has none. Not an audit id: this route writes no audit trail (POST /v1/predict does, and returns the ids GET /v1/predictions/{id} knows)."),
  outputs: z.array(OutputTensor),
});

export const ModelMetadataSchema = z.object({
  name: z.string(),
  versions: z.array(z.string()),
  platform: z.string(),
  inputs: z.array(TensorMetadata),
  outputs: z.array(TensorMetadata),
  parameters: z.object({ labels: z.array(z.string()) }).describe('Label names, in the order of the FP32 outputs\' last dimension.'),
});

const MODEL_VERSION = '1';

/** Nested data in row-major order, iteratively: nesting deeper than MAX_JSON_DEPTH is 400 BODY_TOO_DEEP, never a stack overflow. */
export function flattenData(data: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  const stack: Array<{ items: readonly unknown[]; next: number }> = [{ items: data, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next === top.items.length) {
      stack.pop();
      continue;
    }
    const item = top.items[top.next++];
    if (!Array.isArray(item)) {
      out.push(item);
      continue;
    }
    if (stack.length >= MAX_JSON_DEPTH) {
      throw new ApiError('BODY_TOO_DEEP', `inputs[0].data nests arrays more than ${MAX_JSON_DEPTH} levels deep; send it flat or nested by its shape`);
    }
    stack.push({ items: item, next: 0 });
  }
  return out;
}

/** The texts of a v2 infer request: one BYTES input named "text", its shape [N] or [N, 1] matching its data. */
function inputTexts(inputs: z.infer<typeof InferRequestSchema>['inputs']): string[] {
  if (inputs.length !== 1 || inputs[0].name !== 'text') {
    throw new ApiError('INVALID_REQUEST', `expected one input named "text", got ${inputs.map((i) => JSON.stringify(i.name)).join(', ')}`);
  }
  const input = inputs[0];
  if (input.datatype !== 'BYTES') throw new ApiError('INVALID_REQUEST', `input "text" must have datatype BYTES, got ${input.datatype}`);
  const { shape } = input;
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) {
    throw new ApiError('INVALID_REQUEST', `input "text" must have shape [N] or [N, 1], got [${shape.join(', ')}]`);
  }
  const data = flattenData(input.data);
  if (data.length !== shape[0]) {
    throw new ApiError('INVALID_REQUEST', `input "text" has shape [${shape.join(', ')}] but ${data.length} elements`);
  }
  if (data.length === 0) throw new ApiError('EMPTY_INPUT', 'input "text" holds no texts');
  data.forEach((t, i) => {
    if (typeof t !== 'string') throw new ApiError('INVALID_REQUEST', `inputs[0].data[${i}] must be a string, got ${t === null ? 'null' : typeof t}`);
    if (t.trim() === '') throw new ApiError('EMPTY_INPUT', `inputs[0].data[${i}] is empty`);
  });
  return data as string[];
}

/** The Open Inference Protocol (KServe v2, Triton) REST routes. */
export function oipRoutes(ctx: ApiContext): RouteSpec[] {
  const { service, options } = ctx;
  const k = service.labels.length;
  const notReady = () => new ApiError('NOT_READY', `the server is ${ctx.state()}`);
  const metadata = {
    name: service.name,
    versions: [MODEL_VERSION],
    platform: 'onnxruntime_onnx',
    inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }],
    outputs: [
      { name: 'probabilities', datatype: 'FP32', shape: [-1, k] },
      { name: 'logits', datatype: 'FP32', shape: [-1, k] },
      { name: 'label', datatype: 'BYTES', shape: [-1] },
    ],
    parameters: { labels: [...service.labels] },
  };

  return [
    defineRoute({
      method: 'get',
      path: '/v2',
      operationId: 'oipServerMetadata',
      summary: 'Open Inference Protocol server metadata.',
      tag: 'open-inference-protocol',
      response: z.object({ name: z.string(), version: z.string(), extensions: z.array(z.string()) }),
      errors: [],
      handle: () => ({ name: 'glassbox', version: ctx.version, extensions: [] }),
    }),
    defineRoute({
      method: 'get',
      path: '/v2/health/live',
      operationId: 'oipLive',
      summary: 'Open Inference Protocol liveness.',
      tag: 'open-inference-protocol',
      response: z.object({ live: z.boolean() }),
      errors: [],
      handle: () => ({ live: true }),
    }),
    defineRoute({
      method: 'get',
      path: '/v2/health/ready',
      operationId: 'oipReady',
      summary: 'Open Inference Protocol readiness (503 while shutting down).',
      tag: 'open-inference-protocol',
      response: z.object({ ready: z.boolean() }),
      errors: [503],
      handle() {
        if (ctx.state() !== 'ready') throw notReady();
        if (!ctx.writes.check()) throw ctx.writes.refusal();
        return { ready: true };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v2/models/{name}',
      operationId: 'oipModelMetadata',
      summary: 'Open Inference Protocol model metadata (-1 marks a variable dimension).',
      tag: 'open-inference-protocol',
      response: ModelMetadataSchema,
      errors: [404],
      modelParam: 'name',
      handle: () => metadata,
    }),
    defineRoute({
      method: 'get',
      path: '/v2/models/{name}/ready',
      operationId: 'oipModelReady',
      summary: 'Open Inference Protocol model readiness.',
      tag: 'open-inference-protocol',
      response: z.object({ name: z.string(), ready: z.boolean() }),
      errors: [404, 503],
      modelParam: 'name',
      handle() {
        if (ctx.state() !== 'ready') throw notReady();
        return { name: service.name, ready: true };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v2/models/{name}/infer',
      operationId: 'oipInfer',
      summary: 'Open Inference Protocol inference: BYTES texts [N] in, FP32 probabilities [N, labels] out.',
      tag: 'open-inference-protocol',
      body: InferRequestSchema,
      response: InferResponseSchema,
      errors: [400, 404, 413, 422, 429, 500, 503],
      limited: true,
      modelParam: 'name',
      async handle({ body, signal, res }) {
        const texts = inputTexts(body.inputs);
        if (texts.length > options.maxInputs) {
          throw new ApiError('TOO_MANY_INPUTS', `the request holds ${texts.length} texts; at most ${options.maxInputs} are allowed per request`);
        }
        const requested = (body.outputs ?? [{ name: 'probabilities' }]).map((o) => o.name);
        const unknown = requested.filter((n) => !OUTPUTS.includes(n as OutputName));
        if (unknown.length > 0) {
          throw new ApiError('INVALID_REQUEST', `unknown output(s) ${unknown.map((n) => JSON.stringify(n)).join(', ')}; valid: ${OUTPUTS.join(', ')}`);
        }
        const calibrated = body.parameters?.calibrated ?? service.calibration !== null;
        if (calibrated && service.calibration === null) {
          throw new ApiError('INVALID_REQUEST', 'parameters.calibrated: true needs a server started with a calibration file (glassbox serve --calibration FILE; config calibrationPath)');
        }
        const prepared = await service.prepare(texts, { truncate: body.parameters?.truncate ?? true, direction: 'right' });
        const timing = newClassifyTiming();
        const results = await service.classify(prepared, { calibrated, signal, timing });
        setServerTiming(res, timing);
        const n = results.length;
        const tensor = (name: OutputName) => {
          if (name === 'label') return { name, shape: [n], datatype: 'BYTES' as const, data: results.map((r) => r.label) };
          const data = results.flatMap((r) => (name === 'logits' ? r.logits : service.labels.map((l) => r.probabilities[l])));
          return { name, shape: [n, k], datatype: 'FP32' as const, data };
        };
        return {
          model_name: service.name,
          model_version: MODEL_VERSION,
          ...(body.id !== undefined && { id: body.id }),
          outputs: (requested as OutputName[]).map(tensor),
        };
      },
    }),
  ];
}
