import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createApiServer } from './api-server.js';
import type { ApiServerOptions } from './api-options.js';
import { MODEL_B_DIR, MODEL_DIR, startTestServer, sum } from './test-server.js';

const waitUntil = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('createApiServer options', () => {
  const bad: Array<[string, ApiServerOptions]> = [
    ['no model', {}],
    ['both modelDir and modelDirs', { modelDir: MODEL_DIR, modelDirs: [MODEL_DIR] }],
    ['an empty ensemble', { modelDirs: [] }],
    ['negative workers', { modelDir: MODEL_DIR, workers: -1 }],
    ['maxBatchSize 0', { modelDir: MODEL_DIR, maxBatchSize: 0 }],
    ['a fractional maxInputs', { modelDir: MODEL_DIR, maxInputs: 1.5 }],
    ['a bad bodyLimit', { modelDir: MODEL_DIR, bodyLimit: 'lots' }],
    ['a zero rate', { modelDir: MODEL_DIR, rateLimit: { requestsPerSecond: 0 } }],
    ['an unknown abstention rule', { modelDir: MODEL_DIR, workers: 0, abstain: 'sometimes' }],
  ];
  it.each(bad)('refuses %s with INVALID_OPTION', async (_name, options) => {
    await expect(createApiServer(options)).rejects.toMatchObject({ code: 'INVALID_OPTION', status: 400 });
  });

  it('refuses a missing model directory with BUNDLE_NOT_FOUND', async () => {
    await expect(createApiServer({ modelDir: '/nonexistent/model', workers: 0 })).rejects.toMatchObject({ code: 'BUNDLE_NOT_FOUND' });
  });
});

describe('close()', () => {
  it('finishes in-flight requests, then stops serving', async () => {
    // A long maxWaitMs holds the request in the micro-batcher until close() drains it.
    const t = await startTestServer({ maxWaitMs: 60_000 });
    const pending = t.post('/v1/predict', { inputs: 'I am so happy today' });
    await waitUntil(() => t.server.stats().batcher.queued === 1);
    expect(t.server.stats().requests.inFlight).toBe(1);
    const closed = t.server.close();
    expect(t.server.stats().state).toBe('closing');
    const res = await pending;
    expect(res.status).toBe(200);
    expect(sum(res.body.predictions[0].probabilities)).toBeCloseTo(1, 6);
    await closed;
    await t.server.close();
    expect(t.server.stats().state).toBe('closed');
    await expect(fetch(`${t.base}/health`)).rejects.toThrow();

    // The app itself still answers: not ready, inference refused, liveness fine.
    const http: Server = createServer(t.server.app);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
      const get = async (path: string) => fetch(base + path).then(async (r) => ({ status: r.status, body: await r.json() }));
      const post = async (path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> =>
        fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as Record<string, unknown>,
        }));
      expect(await get('/health')).toEqual({ status: 200, body: { status: 'ok' } });
      expect(await get('/ready')).toEqual({ status: 503, body: { error: expect.any(String), error_type: 'NOT_READY' } });
      expect((await get('/v2/health/ready')).status).toBe(503);
      expect(await post('/v1/predict', { inputs: 'hi' })).toEqual({ status: 503, body: { error: expect.any(String), error_type: 'ENGINE_DISPOSED' } });
      expect(await post('/predict', { inputs: 'hi' })).toEqual({ status: 503, body: { error: expect.any(String), error_type: 'Unhealthy' } });
      const hf = await post('/models/emotion-mini', { inputs: 'hi' });
      expect(hf.status).toBe(503);
      expect(hf.body.estimated_time).toBeGreaterThan(0);
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });
});

describe('an ensemble behind a rate limit', () => {
  it('serves the ensemble and answers 429 past the burst', async () => {
    const t = await startTestServer({ modelDirs: [MODEL_DIR, MODEL_B_DIR], rateLimit: { requestsPerSecond: 0.01, burst: 2 } });
    try {
      const first = await t.post('/v1/predict', { inputs: ['I am so happy today', 'I miss her so much'] });
      expect(first.status).toBe(200);
      expect(first.body.model).toBe('ensemble(emotion-mini+emotion-mini-b)');
      for (const p of first.body.predictions) expect(sum(p.probabilities)).toBeCloseTo(1, 6);
      const explained = await t.post('/v1/explain', { inputs: 'I am so happy today' });
      expect(Object.keys(explained.body.attributions)).toEqual(['occlusion']);

      const limited = await t.post('/v1/predict', { inputs: 'one more' });
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({ error: expect.any(String), error_type: 'RATE_LIMITED' });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      const tei = await t.post('/predict', { inputs: 'one more' });
      expect(tei.status).toBe(429);
      expect(tei.body.error_type).toBe('Overloaded');
      expect((await t.get('/health')).status).toBe(200);
    } finally {
      await t.server.close();
    }
  });
});
