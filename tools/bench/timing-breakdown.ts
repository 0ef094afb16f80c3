/**
 * Where an API request's time went, from the client's latency and the server's `Server-Timing`:
 * the server's parts (tokenize, queue, inference, pipeline, commit), the rest of the server's own
 * time (express, validation, JSON: total minus the parts) and what lies outside the server (HTTP on
 * loopback and the client: latency minus total). Each is the median over requests of that
 * request's value, so they need not add up to the median latency exactly.
 */
import { quantile } from './measure.js';

/** The server-reported parts, in request order. */
export const SERVER_PARTS = ['tokenize', 'queue', 'inference', 'pipeline', 'commit'] as const;

export interface Breakdown {
  /** Median client latency, ms. */
  latency: number;
  /** Median of each part, ms, in SERVER_PARTS order, then 'server, other' and 'HTTP and client'. */
  parts: Array<{ name: string; ms: number }>;
}

const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

/** The breakdown of requests that sent a full `Server-Timing` (null when none did). */
export function timingBreakdown(latencies: readonly number[], timings: ReadonlyArray<Record<string, number>>): Breakdown | null {
  const rows = latencies.map((latency, i) => ({ latency, t: timings[i] ?? {} })).filter(({ t }) => t['total'] !== undefined && SERVER_PARTS.every((p) => t[p] !== undefined));
  if (rows.length === 0) return null;
  const parts: Breakdown['parts'] = SERVER_PARTS.map((name) => ({ name, ms: median(rows.map(({ t }) => t[name])) }));
  parts.push({ name: 'server, other (express, validation, JSON)', ms: median(rows.map(({ t }) => t['total'] - SERVER_PARTS.reduce((a, p) => a + t[p], 0))) });
  parts.push({ name: 'HTTP and client (outside the server)', ms: median(rows.map(({ latency, t }) => latency - t['total'])) });
  return { latency: median(rows.map((r) => r.latency)), parts };
}
