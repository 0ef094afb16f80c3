import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGlassboxError } from '@glassbox/core';
import { startTestServer, type TestServer } from './test-server.js';

/** Polls `check` on the event loop (this process runs the server) until true; bounded. */
async function waitUntil(check: () => boolean, what: string, tries = 20_000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Long texts: every one fills the model's 128 tokens, so a batch keeps the worker busy.
const long = (i: number) => Array.from({ length: 200 }, (_, j) => ['happy', 'angry', 'scared', 'day', 'news'][(i + j) % 5]).join(' ');

describe('a worker thread that dies during traffic', () => {
  let t: TestServer;
  const reported: unknown[] = [];
  beforeAll(async () => {
    t = await startTestServer({ workers: 1, onError: (e) => reported.push(e) });
  });
  afterAll(() => t.server.close());

  it('fails its in-flight request with 503 WORKER_CRASHED JSON, is replaced, and later requests succeed', async () => {
    const pool = t.server.workerPool;
    expect(pool).not.toBeNull();
    const request = t.post('/v1/predict', { inputs: Array.from({ length: 64 }, (_, i) => long(i)) });
    // Kill the worker while a forward pass of this request runs on it.
    await waitUntil(() => (pool?.stats().running ?? 0) > 0, 'a forward pass on the worker');
    await pool?.crashWorker(0);
    const res = await request;
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body.error_type).toBe('WORKER_CRASHED');
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.text).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace
    expect(res.text).not.toContain('/work/');
    expect(reported.some((e) => isGlassboxError(e) && e.code === 'WORKER_CRASHED')).toBe(true);

    // The server stayed up and the new worker serves.
    expect((await t.get('/health')).status).toBe(200);
    const after = await t.post('/v1/predict', { inputs: ['what a wonderful day', long(3)] });
    expect(after.status).toBe(200);
    expect(after.body.predictions).toHaveLength(2);
    const stats = (await t.get('/admin/stats')).body;
    expect(stats.load.workers).toMatchObject({ workers: 1, restarts: 1, starting: 0 });
    // The request's batch that had not reached the model yet was dropped with it.
    expect(stats.batcher.queued).toBe(0);
  }, 60_000);

  it('survives a crash between requests: the next request is served by the replacement', async () => {
    const restarts = t.server.workerPool?.stats().restarts ?? 0;
    await t.server.workerPool?.crashWorker(0);
    const res = await t.post('/v1/predict', { inputs: 'I am so happy' });
    expect(res.status).toBe(200);
    expect(t.server.workerPool?.stats().restarts).toBe(restarts + 1);
  }, 60_000);
});
