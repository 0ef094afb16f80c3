/**
 * Where a request's time went, as response headers: `Server-Timing` (W3C; browsers' devtools show
 * it) on every classifying route, and on the TEI routes also the `x-*-time` headers Hugging Face
 * Text Embeddings Inference sends, so clients written against TEI read them unchanged.
 */
import { performance } from 'node:perf_hooks';
import type { Response } from 'express';
import type { ClassifyTiming } from './model-service.js';

/** A timing record for `ModelService.classify` to fill in. */
export function newClassifyTiming(): ClassifyTiming {
  return { tokenizeMs: 0, queueMs: 0, inferenceMs: 0, batchSize: 0, pipelineMs: 0, commitMs: 0 };
}

/** Marks when the server took the request in (the first middleware calls it). */
export function markRequestStart(res: Response): void {
  res.locals['startedAt'] = performance.now();
}

/** Milliseconds since markRequestStart, or null when it was not called. */
export function elapsedMs(res: Response): number | null {
  const started = res.locals['startedAt'];
  return typeof started === 'number' ? performance.now() - started : null;
}

const dur = (ms: number) => Math.max(0, ms).toFixed(2);

/** The `Server-Timing` value: tokenize, queue, inference (with the batch size), pipeline, commit, and total when known. */
export function serverTimingValue(t: ClassifyTiming, totalMs: number | null): string {
  const parts = [
    `tokenize;dur=${dur(t.tokenizeMs)}`,
    `queue;dur=${dur(t.queueMs)}`,
    `inference;dur=${dur(t.inferenceMs)};desc="batch of ${t.batchSize}"`,
    `pipeline;dur=${dur(t.pipelineMs)}`,
    `commit;dur=${dur(t.commitMs)}`,
  ];
  if (totalMs !== null) parts.push(`total;dur=${dur(totalMs)}`);
  return parts.join(', ');
}

/** Sets `Server-Timing` on `res` from `t` and the time since the request came in. */
export function setServerTiming(res: Response, t: ClassifyTiming): void {
  if (!res.headersSent) res.setHeader('Server-Timing', serverTimingValue(t, elapsedMs(res)));
}

/** TEI's timing headers (whole milliseconds, as TEI sends them), beside `Server-Timing`. */
export function setTeiTiming(res: Response, t: ClassifyTiming): void {
  if (res.headersSent) return;
  const total = elapsedMs(res) ?? t.tokenizeMs + t.queueMs + t.inferenceMs + t.pipelineMs;
  const ms = (x: number) => String(Math.round(Math.max(0, x)));
  res.setHeader('x-total-time', ms(total));
  res.setHeader('x-tokenization-time', ms(t.tokenizeMs));
  res.setHeader('x-queue-time', ms(t.queueMs));
  res.setHeader('x-inference-time', ms(t.inferenceMs));
  setServerTiming(res, t);
}
