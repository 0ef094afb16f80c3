/**
 * Inside the load generator's worker thread: runs each `LoadOptions` it is sent with K
 * concurrent keep-alive clients and answers with a `LoadReply`.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { parseServerTiming, type LoadOptions, type LoadReply, type LoadResult } from './http-load.js';

/** One POST; resolves with the status and the `Server-Timing` header after the whole body was read. */
function post(agent: Agent, url: URL, body: string): Promise<{ status: number; timing: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        const timing = res.headers['server-timing'];
        res.on('end', () => resolve({ status: res.statusCode ?? 0, timing: Array.isArray(timing) ? timing.join(', ') : timing }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.path, options.base);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  const serverTimings: Array<Record<string, number>> = [];
  let next = 0;
  const client = async () => {
    while (next < options.requests) {
      const body = options.bodies[next++ % options.bodies.length];
      const start = performance.now();
      const { status, timing } = await post(agent, url, body);
      if (status !== 200) throw new Error(`POST ${options.path} answered ${status}`);
      latencies.push(performance.now() - start);
      serverTimings.push(parseServerTiming(timing));
    }
  };
  const start = performance.now();
  try {
    await Promise.all(Array.from({ length: options.concurrency }, client));
    return { milliseconds: performance.now() - start, latencies, serverTimings };
  } finally {
    agent.destroy();
  }
}

const port = parentPort;
if (port === null) throw new Error('http-load-clients runs in a worker thread (see http-load.ts)');
port.on('message', (options: LoadOptions) => {
  runLoad(options).then(
    (result) => port.postMessage({ result } satisfies LoadReply),
    (error: unknown) => port.postMessage({ error: (error as Error)?.message ?? String(error) } satisfies LoadReply),
  );
});
