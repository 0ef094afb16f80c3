import type { ErrorReply } from './api-errors.js';

/**
 * How a route spells its errors. 'glassbox': `{error, error_type: CODE}` with the code's status.
 * 'tei': text-embeddings-inference's types and statuses (Validation 422, Empty 400, Overloaded
 * 429, Backend 424, Unhealthy 503). 'hf': as glassbox, plus `estimated_time` while not ready, as
 * the Hugging Face Inference API does.
 */
export type ErrorDialect = 'glassbox' | 'tei' | 'hf';

/** Seconds a client is told to wait while the model is not ready (HF's estimated_time). */
const ESTIMATED_LOAD_SECONDS = 20;

function tei(reply: ErrorReply): ErrorReply {
  const as = (status: number, errorType: string): ErrorReply => ({ ...reply, status, body: { error: reply.body.error, error_type: errorType } });
  if (reply.body.error_type === 'EMPTY_INPUT') return as(400, 'Empty');
  // TEI answers a full queue with 429 Overloaded.
  if (reply.status === 429 || reply.body.error_type === 'OVERLOADED') return as(429, 'Overloaded');
  if (reply.status === 503) return as(503, 'Unhealthy');
  if (reply.status >= 500) return as(424, 'Backend');
  if (reply.status === 400 || reply.status === 422) return as(422, 'Validation');
  return as(reply.status, 'Validation');
}

export function inDialect(reply: ErrorReply, dialect: ErrorDialect): ErrorReply {
  if (dialect === 'tei') return tei(reply);
  if (dialect === 'hf' && reply.status === 503) {
    // Overloaded or a crashed worker: as long as Retry-After says; loading: a model's load time.
    const retry = Number(reply.headers['Retry-After']);
    const estimated = Number.isFinite(retry) && retry > 0 ? retry : ESTIMATED_LOAD_SECONDS;
    return { ...reply, body: { ...reply.body, estimated_time: estimated } as ErrorReply['body'] };
  }
  return reply;
}
