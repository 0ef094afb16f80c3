import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceEngine } from '@glassbox/core';
import { explanationCost } from '@glassbox/explain';
import { startTestServer, MODEL_DIR, type TestServer } from './test-server.js';

const words = ['happy', 'angry', 'scared', 'the', 'day', 'news', 'so', 'terrible', 'wonderful', 'I'];
const textOf = (n: number) => Array.from({ length: n }, (_, i) => words[(i * 7) % words.length]).join(' ');

/** Polls until `check` holds; bounded in tries (the server runs in this process). */
async function waitUntil(check: () => boolean, what: string, tries = 5000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('explanations run in their own lane, behind predictions', () => {
  let t: TestServer;
  // 120 words, 122 tokens: within the 128 the model reads, so one more word costs one more unit
  // (a longer text is explained over the 128 tokens its prediction read, and costs no more).
  const text = textOf(120);
  beforeAll(async () => {
    // The budget is this text's own cost, so it is the longest text the server explains (at
    // word granularity); each explanation forward pass is one 128-token row.
    const engine = await createInferenceEngine(MODEL_DIR, { maxBatchTokens: 128 });
    const cost = await explanationCost(engine, text, {});
    await engine.dispose();
    t = await startTestServer({
      workers: 1,
      explainChunkTokens: 128,
      maxExplainUnits: cost.units,
      maxExplainForwardPasses: cost.forwardPasses,
      maxConcurrentExplanations: 2,
    });
  });
  afterAll(() => t.server.close());
  const scheduler = () => t.server.stats().load.scheduler;

  it('refuses a text one word longer than the longest allowed', async () => {
    const res = await t.post('/v1/explain', { inputs: `${text} happy` });
    expect(res.status).toBe(422);
    expect(res.body.error_type).toBe('EXPLAIN_BUDGET_EXCEEDED');
  });

  it('dispatches predictions ahead of pending explanation chunks while two explanations of the longest allowed text run', async () => {
    const settled = { a: false, b: false };
    const a = t.post('/v1/explain', { inputs: text }).finally(() => (settled.a = true));
    const b = t.post('/v1/explain', { inputs: text }).finally(() => (settled.b = true));
    await waitUntil(() => t.server.stats().load.explanations.running === 2 && scheduler().explain.dispatched >= 10, 'both explanations running');
    const before = scheduler();
    const predictions = 5;
    for (let i = 0; i < predictions; i++) {
      const res = await t.post('/v1/predict', { inputs: `prediction ${i}: what a wonderful day` });
      expect(res.status).toBe(200);
      // Answered while both explanations still run.
      expect(settled).toEqual({ a: false, b: false });
    }
    const during = scheduler();
    // Each prediction's batch was dispatched while explanation chunks waited, and no
    // explanation chunk ever went while a prediction waited.
    expect(during.predict.dispatched - before.predict.dispatched).toBe(predictions);
    expect(during.predictionsAhead - before.predictionsAhead).toBe(predictions);
    expect(during.explanationsAhead).toBe(0);
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.status).toBe(200);
    expect(rb.status).toBe(200);
    expect(ra.body.forward_calls).toBeGreaterThan(100);
    expect(ra.body.truncated).toBe(false);
    expect(scheduler().explanationsAhead).toBe(0);
  }, 120_000);

  it('stops an explanation whose client went away at its next chunk', async () => {
    const gone = new AbortController();
    const request = fetch(`${t.base}/v1/explain`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: text }),
      signal: gone.signal,
    }).catch((e: Error) => e.name);
    await waitUntil(() => t.server.stats().load.explanations.running === 1, 'the explanation to start');
    const started = scheduler().explain.dispatched;
    gone.abort();
    expect(await request).toBe('AbortError');
    await waitUntil(() => t.server.stats().load.explanations.running === 0, 'the explanation to stop');
    // Far fewer chunks than a whole explanation (over a hundred) went to the model.
    expect(scheduler().explain.dispatched - started).toBeLessThan(50);
  }, 60_000);
});

describe('the explanation budget', () => {
  let t: TestServer;
  beforeAll(async () => {
    // 64 units: below the 126 words the embedded model reads of a long text (at the defaults,
    // 512 units, every text the server takes is explainable on it).
    t = await startTestServer({ workers: 1, maxQueuedExplanations: 0, maxExplainUnits: 64 });
  });
  afterAll(() => t.server.close());
  // About 11,000 characters: cut to maxTextLength (10,000), the longest text the server takes.
  const longest = textOf(2000);

  it('refuses an over-budget explanation with 422 EXPLAIN_BUDGET_EXCEEDED saying what to change, and the advice works', async () => {
    const res = await t.post('/v1/explain', { inputs: longest });
    expect(res.status).toBe(422);
    expect(res.body.error_type).toBe('EXPLAIN_BUDGET_EXCEEDED');
    expect(res.body.error).toMatch(/maxExplainUnits/);
    const advice = /window_size and window_stride of (\d+)/.exec(res.body.error);
    expect(advice).not.toBeNull();
    const stride = Number(advice?.[1]);
    const ok = await t.post('/v1/explain', { inputs: longest, granularity: 'window', window_size: stride, window_stride: stride });
    expect(ok.status).toBe(200);
    expect(ok.body.forward_calls).toBeLessThanOrEqual(256);
  }, 60_000);

  it('explains a truncated text over what its prediction read, faithfulness included, and says so', async () => {
    const res = await t.post('/v1/explain', { inputs: textOf(300), granularity: 'window', window_size: 8, window_stride: 8, faithfulness: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ truncated: true, text_tokens: 302, windows: 1 });
    expect(res.body.words).toHaveLength(126);
    expect(res.body.faithfulness.occlusion).toBeDefined();
    const short = await t.post('/v1/explain', { inputs: 'I am so happy today', faithfulness: true });
    expect(short.status).toBe(200);
    expect(short.body.faithfulness).toBeDefined();
  }, 60_000);

  it('limits explain: true on /v1/predict to maxExplainInputs texts, each within the budget, checked before classifying', async () => {
    const before = t.server.stats().batcher.items;
    const many = await t.post('/v1/predict', { inputs: Array.from({ length: 5 }, (_, i) => `text ${i}`), explain: true });
    expect(many.status).toBe(422);
    expect(many.body.error_type).toBe('EXPLAIN_BUDGET_EXCEEDED');
    expect(many.body.error).toMatch(/at most 4 texts/);
    const overBudget = await t.post('/v1/predict', { inputs: ['fine', longest], explain: true });
    expect(overBudget.status).toBe(422);
    expect(overBudget.body.error).toMatch(/input 1/);
    expect(t.server.stats().batcher.items).toBe(before); // nothing was classified
    const ok = await t.post('/v1/predict', { inputs: ['so happy', 'so angry'], explain: true });
    expect(ok.status).toBe(200);
    expect(ok.body.predictions.map((p: { explanation?: unknown }) => p.explanation !== undefined)).toEqual([true, true]);
  }, 60_000);

  it('refuses an explanation beyond the explanation queue with 503 OVERLOADED and Retry-After', async () => {
    const first = t.post('/v1/explain', { inputs: longest, granularity: 'window', window_size: 40, window_stride: 40 });
    await waitUntil(() => t.server.stats().load.explanations.running === 1, 'the first explanation to start');
    const second = await t.post('/v1/explain', { inputs: 'so happy' });
    expect(second.status).toBe(503);
    expect(second.body.error_type).toBe('OVERLOADED');
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await first).status).toBe(200);
    // Predictions are not behind the explanation queue.
    expect((await t.post('/v1/predict', { inputs: 'so happy' })).status).toBe(200);
  }, 60_000);
});
