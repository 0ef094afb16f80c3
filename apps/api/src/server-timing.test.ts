import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './test-server.js';
import { serverTimingValue } from './server-timing.js';

/** `Server-Timing` parsed: metric name -> { dur, desc }. */
function parseServerTiming(value: string | null): Map<string, { dur: number; desc?: string }> {
  const out = new Map<string, { dur: number; desc?: string }>();
  for (const entry of (value ?? '').split(',')) {
    const [name, ...params] = entry.trim().split(';');
    const fields = Object.fromEntries(params.map((p) => p.split('=') as [string, string]));
    out.set(name, { dur: Number(fields['dur']), ...(fields['desc'] && { desc: JSON.parse(fields['desc']) as string }) });
  }
  return out;
}

describe('Server-Timing', () => {
  let s: TestServer;
  beforeAll(async () => {
    // Batches of two, and a wait long enough that two concurrent requests always share one.
    s = await startTestServer({ maxBatchSize: 2, maxWaitMs: 10_000 });
  });
  afterAll(async () => {
    await s.server.close();
  });

  it('says where a prediction spent its time, and which batch carried it', async () => {
    const [a, b] = await Promise.all([s.post('/v1/predict', { inputs: 'so happy today' }), s.post('/v1/predict', { inputs: 'this is awful' })]);
    for (const res of [a, b]) {
      expect(res.status).toBe(200);
      const timing = parseServerTiming(res.headers.get('server-timing'));
      expect([...timing.keys()]).toEqual(['tokenize', 'queue', 'inference', 'pipeline', 'commit', 'total']);
      for (const { dur } of timing.values()) expect(dur).toBeGreaterThanOrEqual(0);
      expect(timing.get('inference')?.desc).toBe('batch of 2');
      // The parts happen one after another inside the request: none exceeds the whole.
      const total = timing.get('total')?.dur ?? 0;
      for (const part of ['tokenize', 'queue', 'inference', 'pipeline', 'commit']) expect(timing.get(part)?.dur).toBeLessThanOrEqual(total);
    }
  });

  it('is sent by the Hugging Face, TEI and Open Inference Protocol routes; TEI also gets its x-*-time headers in whole ms', async () => {
    const [hf, tei, oip] = await Promise.all([
      s.post('/models/emotion-mini', { inputs: 'so happy today' }),
      s.post('/predict', { inputs: 'so happy today' }),
      s.post('/v2/models/emotion-mini/infer', { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['this is awful'] }] }),
    ]);
    for (const res of [hf, tei, oip]) {
      expect(res.status).toBe(200);
      expect(parseServerTiming(res.headers.get('server-timing')).has('inference')).toBe(true);
    }
    for (const name of ['x-total-time', 'x-tokenization-time', 'x-queue-time', 'x-inference-time']) {
      expect(tei.headers.get(name)).toMatch(/^\d+$/);
    }
    expect(hf.headers.get('x-total-time')).toBeNull();
  });

  it('is not sent with an error', async () => {
    const res = await s.post('/v1/predict', { inputs: '' });
    expect(res.status).toBe(400);
    expect(res.headers.get('server-timing')).toBeNull();
  });
});

describe('serverTimingValue', () => {
  it('formats durations in ms with two decimals and leaves total out when unknown', () => {
    const value = serverTimingValue({ tokenizeMs: 0.1234, queueMs: 0, inferenceMs: 12.5, batchSize: 3, pipelineMs: 0.05, commitMs: 1 }, null);
    expect(value).toBe('tokenize;dur=0.12, queue;dur=0.00, inference;dur=12.50;desc="batch of 3", pipeline;dur=0.05, commit;dur=1.00');
  });
});
