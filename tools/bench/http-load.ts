/**
 * A closed-loop HTTP load generator for loopback: K clients, each sending its next request as
 * soon as the previous answer arrives, over keep-alive connections, until a fixed number of
 * requests has been answered. The clients run in a worker thread of their own, so the server's
 * event loop does not also carry the load generator's JavaScript (as with wrk or autocannon in
 * another process); they still share the machine's cores with the server.
 */
import { Worker } from 'node:worker_threads';

export interface LoadOptions {
  /** Base URL on 127.0.0.1, e.g. http://127.0.0.1:12345. */
  base: string;
  path: string;
  /** Request bodies, sent in turn (request i gets bodies[i % length]). */
  bodies: readonly string[];
  requests: number;
  concurrency: number;
}

export interface LoadResult {
  /** From the first request sent to the last answer read. */
  milliseconds: number;
  /** Per request, in completion order. */
  latencies: number[];
  /** Per request, in the same order: its `Server-Timing` (metric -> ms; empty when not sent). */
  serverTimings: Array<Record<string, number>>;
}

/** `Server-Timing` as metric name -> duration in ms (entries without a duration left out). */
export function parseServerTiming(value: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of (value ?? '').split(',')) {
    const [name, ...params] = entry.trim().split(';');
    const dur = params.map((p) => p.trim()).find((p) => p.startsWith('dur='));
    if (name && dur) out[name] = Number(dur.slice(4));
  }
  return out;
}

/** What the worker answers: a result, or the message of what failed. */
export type LoadReply = { result: LoadResult } | { error: string };

export interface LoadClient {
  /** Sends `requests` POSTs from `concurrency` clients; rejects on the first non-200 answer. */
  run(options: LoadOptions): Promise<LoadResult>;
  /** Stops the worker thread; idempotent. */
  close(): Promise<void>;
}

// The worker registers tsx itself before loading its TypeScript (workers do not inherit --import).
const WORKER_URL = new URL('./http-load-worker.mjs', import.meta.url);

/** Starts the load generator's worker thread; one `run` at a time. */
export function createLoadClient(): LoadClient {
  const worker = new Worker(WORKER_URL);
  let closed = false;
  return {
    run(options) {
      if (new URL(options.base).hostname !== '127.0.0.1') {
        return Promise.reject(new Error(`load goes to 127.0.0.1 only, not ${options.base}`));
      }
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        worker.once('error', onError);
        worker.once('message', (reply: LoadReply) => {
          worker.off('error', onError);
          if ('error' in reply) reject(new Error(reply.error));
          else resolve(reply.result);
        });
        worker.postMessage(options);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await worker.terminate();
    },
  };
}
