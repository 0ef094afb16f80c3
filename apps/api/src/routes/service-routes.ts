import { basename } from 'node:path';
import { z } from 'zod';
import type { ApiContext } from '../api-context.js';
import { ApiError } from '../api-errors.js';
import { defineRoute, type RouteSpec } from '../route-table.js';

const BatcherStatsSchema = z.object({
  submitted: z.int(),
  items: z.int(),
  batches: z.int().describe('Classify calls: fewer than requests when the micro-batcher merged them.'),
  largestBatch: z.int(),
  queued: z.int().describe('Texts waiting for the model now (at most maxQueued).'),
  queuedCost: z.int().describe('Tokens of the texts waiting now (at most maxQueuedCost).'),
  inFlight: z.int(),
  processed: z.int().describe('Texts that reached the model.'),
  dropped: z.int().describe('Texts taken out of the queue before they reached the model: their client went away.'),
  shed: z.int().describe('Requests refused with 503 OVERLOADED because the queue was full.'),
  maxQueued: z.int().nullable(),
  maxQueuedCost: z.int().nullable(),
});

const LaneSchema = z.object({ waiting: z.int(), running: z.int(), dispatched: z.int() });

const LoadStatsSchema = z.object({
  scheduler: z.object({
    concurrency: z.int(),
    predict: LaneSchema,
    explain: LaneSchema,
    predictionsAhead: z.int().describe('Prediction jobs dispatched while explanation chunks waited.'),
    explanationsAhead: z.int().describe('Explanation chunks dispatched while a prediction waited (0).'),
  }),
  explanations: z.object({ running: z.int(), waiting: z.int(), shed: z.int(), dropped: z.int(), concurrency: z.int(), maxWaiting: z.int() }),
  workers: z.object({ workers: z.int(), restarts: z.int(), starting: z.int(), running: z.int() }).nullable(),
});

export const StatsResponseSchema = z.object({
  state: z.enum(['ready', 'closing', 'closed']),
  requests: z.object({ total: z.int(), inFlight: z.int() }),
  batcher: BatcherStatsSchema,
  clientErrors: z.record(z.string(), z.int()).describe('Malformed, oversized and slow requests refused, per error_type.'),
  load: LoadStatsSchema,
  uptimeSeconds: z.number(),
});

/** Health, readiness, the OpenAPI document and the admin routes. */
export function serviceRoutes(ctx: ApiContext): RouteSpec[] {
  const { service, options } = ctx;
  return [
    defineRoute({
      method: 'get',
      path: '/health',
      operationId: 'health',
      summary: 'Liveness: 200 while the process runs (also TEI\'s /health).',
      tag: 'service',
      response: z.object({ status: z.literal('ok') }),
      errors: [],
      handle: () => ({ status: 'ok' as const }),
    }),
    defineRoute({
      method: 'get',
      path: '/ready',
      operationId: 'ready',
      summary: 'Readiness: 200 once the model is loaded and warmed; 503 while shutting down, and while state writes fail (AUDIT_WRITE_FAILED: each call then tries a small write, so it recovers by itself).',
      tag: 'service',
      response: z.object({ status: z.literal('ready'), model: z.string() }),
      errors: [503],
      handle() {
        if (ctx.state() !== 'ready') throw new ApiError('NOT_READY', `the server is ${ctx.state()}`);
        if (!ctx.writes.check()) throw ctx.writes.refusal();
        return { status: 'ready' as const, model: service.name };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      operationId: 'openapi',
      summary: 'This document.',
      tag: 'service',
      response: z.record(z.string(), z.unknown()),
      errors: [],
      handle: () => ctx.openApi(),
    }),
    defineRoute({
      method: 'get',
      path: '/admin/stats',
      operationId: 'adminStats',
      summary: 'Request, micro-batching, queue, explanation-lane and worker counters.',
      tag: 'admin',
      response: StatsResponseSchema,
      errors: [401],
      admin: true,
      handle: () => ctx.stats(),
    }),
    defineRoute({
      method: 'get',
      path: '/admin/config',
      operationId: 'adminConfig',
      summary: 'The server\'s resolved options (without the API key; files and directories by base name).',
      tag: 'admin',
      response: z.record(z.string(), z.unknown()),
      errors: [401],
      admin: true,
      handle() {
        // Functions and streams stay out; the key is masked; paths show their base names only.
        const { apiKey, onError: _onError, log: _log, meter: _meter, ...rest } = options;
        const name = (p: string | null) => (p === null || p === ':memory:' ? p : basename(p));
        return {
          ...rest,
          modelDirs: rest.modelDirs.map(name),
          calibrationPath: name(rest.calibrationPath),
          calibrationDir: name(rest.calibrationDir),
          referencePath: name(rest.referencePath),
          statePath: name(rest.statePath),
          dashboardDir: name(rest.dashboardDir),
          apiKey: apiKey === null ? null : '***',
          model: service.name,
          modelVariant: service.variant,
          labels: service.labels,
          maxLength: service.maxLength,
        };
      },
    }),
  ];
}
