import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, toErrorReply } from './api-errors.js';
import { resolveApiOptions } from './api-options.js';
import { inDialect } from './error-dialects.js';
import { startTestServer, MODEL_DIR, type TestServer } from './test-server.js';

// Every text fills the model's 128 tokens: a request of 64 costs 8192 tokens and two batches.
const long = (i: number) => Array.from({ length: 160 }, (_, j) => ['happy', 'angry', 'scared', 'day', 'news', 'so'][(i + j) % 6]).join(' ');
const texts64 = Array.from({ length: 64 }, (_, i) => long(i));

interface Outcome {
  status: number;
  retryAfter: string | null;
  errorType: string | null;
}

async function send(base: string, body: unknown, signal?: AbortSignal): Promise<Outcome | 'aborted'> {
  try {
    const res = await fetch(`${base}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
    const json = (await res.json()) as { error_type?: string };
    return { status: res.status, retryAfter: res.headers.get('retry-after'), errorType: json.error_type ?? null };
  } catch (error) {
    if ((error as Error).name === 'AbortError') return 'aborted';
    throw error;
  }
}

/** Polls until `check` holds; bounded in tries (the server runs in this process). */
async function waitUntil(check: () => boolean, what: string, tries = 4000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('admission control under a burst far beyond capacity', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ workers: 1, maxBatchSize: 32, maxInputs: 64, maxQueuedTexts: 192 });
  });
  afterAll(() => t.server.close());
  const stats = () => t.server.stats();
  const idle = () => stats().requests.inFlight === 0 && stats().batcher.queued === 0 && stats().batcher.inFlight === 0;

  it('sheds with 503 OVERLOADED and Retry-After, answers the admitted ones, and nothing else', async () => {
    // 40 concurrent requests x 64 texts = 2560 texts against a queue of 192.
    const outcomes = await Promise.all(Array.from({ length: 40 }, () => send(t.base, { inputs: texts64 })));
    const answered = outcomes.filter((o): o is Outcome => o !== 'aborted');
    expect(answered).toHaveLength(40);
    const shed = answered.filter((o) => o.status === 503);
    const ok = answered.filter((o) => o.status === 200);
    expect(shed.length + ok.length).toBe(40); // no other status, no 5xx besides the 503s
    expect(shed.length).toBeGreaterThan(0);
    expect(ok.length).toBeGreaterThan(0);
    for (const o of shed) {
      expect(o.errorType).toBe('OVERLOADED');
      expect(Number(o.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    await waitUntil(idle, 'the server to go idle');
    const b = stats().batcher;
    expect(b.shed).toBe(shed.length);
    expect(b.processed).toBe(ok.length * 64);
    // The queue never held more than its bound: every admitted request got its answer.
    expect(b.maxQueued).toBe(192);
    const metrics = (await t.get('/metrics')).text;
    expect(metrics).toMatch(new RegExp(`^glassbox_requests_shed_total\\{[^}]*reason="overloaded"[^}]*\\} ${shed.length}$`, 'm'));
  }, 120_000);

  it('drops the queued texts of clients that abort: they never reach the model', async () => {
    const before = stats().batcher;
    const controllers = Array.from({ length: 3 }, () => new AbortController());
    const pending = controllers.map((c) => send(t.base, { inputs: texts64 }, c.signal));
    // Abort once the server holds their texts in its queue.
    await waitUntil(() => stats().batcher.queued >= 96, 'queued texts');
    for (const c of controllers) c.abort();
    const outcomes = await Promise.all(pending);
    await waitUntil(idle, 'the server to go idle');
    const after = stats().batcher;
    const items = after.items - before.items;
    const processed = after.processed - before.processed;
    const dropped = after.dropped - before.dropped;
    expect(outcomes.filter((o) => o === 'aborted').length).toBeGreaterThan(0);
    expect(dropped).toBeGreaterThan(0);
    // Every admitted text either reached the model or was dropped, never both.
    expect(processed + dropped).toBe(items);
  }, 120_000);

  it('answers a one-text request right after, from an empty queue, in a batch of its own', async () => {
    await waitUntil(idle, 'the server to go idle');
    const before = stats().batcher;
    expect(before.queued).toBe(0);
    const res = await t.post('/v1/predict', { inputs: 'what a wonderful day' });
    expect(res.status).toBe(200);
    const after = stats().batcher;
    expect(after.batches - before.batches).toBe(1);
    expect(after.processed - before.processed).toBe(1);
    expect(after.queued).toBe(0);
  }, 60_000);
});

describe('per-request limits', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ workers: 1, maxRequestTokens: 1000, maxQueuedTokens: 2000, maxInputs: 8, maxQueuedTexts: 16 });
  });
  afterAll(() => t.server.close());

  it('refuses a request over maxRequestTokens with 422 TOO_MANY_TOKENS, before it reaches the model', async () => {
    const before = t.server.stats().batcher;
    const res = await t.post('/v1/predict', { inputs: texts64.slice(0, 8) }); // 8 x 128 tokens
    expect(res.status).toBe(422);
    expect(res.body.error_type).toBe('TOO_MANY_TOKENS');
    expect(res.body.error).toMatch(/1024 tokens.*at most 1000/);
    expect(t.server.stats().batcher.items).toBe(before.items);
    const ok = await t.post('/v1/predict', { inputs: texts64.slice(0, 7) });
    expect(ok.status).toBe(200);
    const many = await t.post('/v1/predict', { inputs: Array.from({ length: 9 }, () => 'hi') });
    expect(many.status).toBe(422);
    expect(many.body.error_type).toBe('TOO_MANY_INPUTS');
  }, 60_000);

  it('reports its queue bounds in /admin/stats', async () => {
    const res = await t.get('/admin/stats');
    expect(res.body.batcher).toMatchObject({ maxQueued: 16, maxQueuedCost: 2000, queued: 0, queuedCost: 0 });
    expect(res.body.load.explanations).toMatchObject({ concurrency: 1, maxWaiting: 4 });
  });
});

describe('admission options', () => {
  it('default to a few batches and refuse bounds a full request could never pass', () => {
    const o = resolveApiOptions({ modelDir: MODEL_DIR });
    expect(o).toMatchObject({ maxQueuedTexts: 128, maxQueuedTokens: 32768, maxRequestTokens: 32768, maxExplainUnits: 512, maxExplainForwardPasses: 256, maxExplainInputs: 4, maxConcurrentExplanations: 1, maxQueuedExplanations: 4, explainChunkTokens: 512 });
    expect(() => resolveApiOptions({ modelDir: MODEL_DIR, maxQueuedTexts: 10 })).toThrow(/maxQueuedTexts \(10\) must be at least maxInputs \(64\)/);
    expect(() => resolveApiOptions({ modelDir: MODEL_DIR, maxQueuedTokens: 100 })).toThrow(/maxQueuedTokens/);
    expect(resolveApiOptions({ modelDir: MODEL_DIR, maxBatchSize: 64 }).maxQueuedTexts).toBe(256);
  });
});

describe('OVERLOADED in the compatible wire formats', () => {
  const overloaded = toErrorReply(new ApiError('OVERLOADED', 'the server is overloaded', { 'Retry-After': '3' }));
  it('is 429 Overloaded for TEI clients and keeps Retry-After', () => {
    const reply = inDialect(overloaded, 'tei');
    expect(reply.status).toBe(429);
    expect(reply.body.error_type).toBe('Overloaded');
    expect(reply.headers['Retry-After']).toBe('3');
  });
  it('tells Hugging Face clients to wait as long as Retry-After says', () => {
    const reply = inDialect(overloaded, 'hf');
    expect(reply.status).toBe(503);
    expect((reply.body as unknown as { estimated_time: number }).estimated_time).toBe(3);
  });
});
