import { afterEach, describe, expect, it, vi } from 'vitest';
import { GlassboxError } from '@glassbox/core';
import { ApiError } from './api-errors.js';
import { createMicroBatcher } from './micro-batcher.js';
import { createFakeClassify } from './test-fake-classify.js';

describe('createMicroBatcher', () => {
  it('merges 10 concurrent single-text calls into batches of at most maxBatchSize', async () => {
    const classify = createFakeClassify();
    const batcher = createMicroBatcher({ process: classify, maxBatchSize: 4, maxWaitMs: 5 });
    const texts = Array.from({ length: 10 }, (_, i) => `t${i}`);
    const results = await Promise.all(texts.map((t) => batcher.submit([t])));
    expect(results).toEqual(texts.map((t) => [`${t}:${t.length}`]));
    expect(classify.calls.length).toBe(3);
    expect(classify.calls.map((c) => c.length)).toEqual([4, 4, 2]);
    expect(batcher.stats()).toMatchObject({ submitted: 10, items: 10, batches: 3, largestBatch: 4, queued: 0, inFlight: 0 });
  });

  it('sends a partial batch after maxWaitMs', async () => {
    const classify = createFakeClassify();
    const batcher = createMicroBatcher({ process: classify, maxBatchSize: 100, maxWaitMs: 1 });
    await expect(batcher.submit(['a', 'bb'])).resolves.toEqual(['a:1', 'bb:2']);
    expect(classify.calls).toEqual([['a', 'bb']]);
  });

  describe('maxWaitMs 0', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('sends an idle request without waiting on a timer (timers frozen: it still completes)', async () => {
      // A 0 ms timer costs every idle request Node's 1 ms timer floor; with timers frozen such a
      // batcher never sends, this one does.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
      const classify = createFakeClassify();
      const batcher = createMicroBatcher({ process: classify, maxBatchSize: 32, maxWaitMs: 0 });
      await expect(batcher.submit(['lone'])).resolves.toEqual(['lone:4']);
      expect(classify.calls).toEqual([['lone']]);
    });

    it('still merges what arrives in the same turn of the event loop', async () => {
      const classify = createFakeClassify();
      const batcher = createMicroBatcher({ process: classify, maxBatchSize: 32, maxWaitMs: 0 });
      await Promise.all(['a', 'b', 'c'].map((t) => batcher.submit([t])));
      expect(classify.calls).toEqual([['a', 'b', 'c']]);
    });
  });

  it('reports, per call, how long its items queued and which batch carried them', async () => {
    const { classify, open } = gated();
    const batcher = createMicroBatcher({ process: classify, maxBatchSize: 4, maxWaitMs: 0, maxConcurrency: 1 });
    const timings = [{ queueMs: -1, processMs: -1, batchSize: -1 }, { queueMs: -1, processMs: -1, batchSize: -1 }, { queueMs: -1, processMs: -1, batchSize: -1 }];
    const first = batcher.submit(['a'], { timing: timings[0] });
    await new Promise((resolve) => setImmediate(resolve));
    expect(batcher.stats()).toMatchObject({ inFlight: 1, queued: 0 });
    // These two queue while the first batch runs, then go together.
    const rest = [batcher.submit(['b', 'c'], { timing: timings[1] }), batcher.submit(['d'], { timing: timings[2] })];
    open();
    await Promise.all([first, ...rest]);
    expect(timings.map((t) => t.batchSize)).toEqual([1, 3, 3]);
    for (const t of timings) {
      expect(t.queueMs).toBeGreaterThanOrEqual(0);
      expect(t.processMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('routes results back in order when a caller spans several batches', async () => {
    const classify = createFakeClassify();
    const batcher = createMicroBatcher({ process: classify, maxBatchSize: 3, maxWaitMs: 5 });
    const [a, b] = await Promise.all([batcher.submit(['a1', 'a22', 'a333', 'a4444']), batcher.submit(['b1', 'b22'])]);
    expect(a).toEqual(['a1:2', 'a22:3', 'a333:4', 'a4444:5']);
    expect(b).toEqual(['b1:2', 'b22:3']);
    expect(classify.calls).toEqual([['a1', 'a22', 'a333'], ['a4444', 'b1', 'b22']]);
  });

  it('rejects only the callers whose items fail', async () => {
    const classify = createFakeClassify({ failOn: ['bad'] });
    const batcher = createMicroBatcher({ process: classify, maxBatchSize: 8, maxWaitMs: 5 });
    const settled = await Promise.allSettled([batcher.submit(['ok1']), batcher.submit(['bad', 'x']), batcher.submit(['ok2'])]);
    expect(settled[0]).toEqual({ status: 'fulfilled', value: ['ok1:3'] });
    expect(settled[1].status).toBe('rejected');
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('cannot classify bad');
    expect(settled[2]).toEqual({ status: 'fulfilled', value: ['ok2:3'] });
    // The merged batch, then one retry per caller.
    expect(classify.calls.length).toBe(4);
  });

  it('fails a lone caller without retrying', async () => {
    const classify = createFakeClassify({ failOn: ['bad'] });
    const batcher = createMicroBatcher({ process: classify, maxBatchSize: 8, maxWaitMs: 0 });
    await expect(batcher.submit(['bad'])).rejects.toThrow('cannot classify bad');
    expect(classify.calls.length).toBe(1);
  });

  it('grows batches while the previous one is still running', async () => {
    const { classify, open } = gated();
    const batcher = createMicroBatcher({ process: classify, maxBatchSize: 2, maxWaitMs: 0, maxConcurrency: 1 });
    const first = batcher.submit(['a', 'b']);
    const rest = ['c', 'd', 'e'].map((t) => batcher.submit([t]));
    expect(batcher.stats()).toMatchObject({ inFlight: 1, queued: 3 });
    open();
    await Promise.all([first, ...rest]);
    expect(classify.calls).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('close() finishes queued work, then refuses new items', async () => {
    const classify = createFakeClassify();
    const batcher = createMicroBatcher({ process: classify, maxBatchSize: 100, maxWaitMs: 60_000 });
    const pending = batcher.submit(['late']);
    await batcher.close();
    await expect(pending).resolves.toEqual(['late:4']);
    await expect(batcher.submit(['more'])).rejects.toBeInstanceOf(GlassboxError);
    await batcher.close();
  });

  it('drain() stops waiting for company but keeps accepting items', async () => {
    const classify = createFakeClassify();
    const batcher = createMicroBatcher({ process: classify, maxBatchSize: 100, maxWaitMs: 60_000 });
    const first = batcher.submit(['a']);
    await batcher.drain();
    await expect(first).resolves.toEqual(['a:1']);
    await expect(batcher.submit(['bb'])).resolves.toEqual(['bb:2']);
    expect(classify.calls).toEqual([['a'], ['bb']]);
  });

  it('returns [] for an empty submission without a batch', async () => {
    const classify = createFakeClassify();
    const batcher = createMicroBatcher({ process: classify, maxBatchSize: 2, maxWaitMs: 0 });
    await expect(batcher.submit([])).resolves.toEqual([]);
    expect(classify.calls).toEqual([]);
  });

  it('rejects bad options at construction', () => {
    const process = createFakeClassify();
    expect(() => createMicroBatcher({ process, maxBatchSize: 0, maxWaitMs: 1 })).toThrow(/maxBatchSize/);
    expect(() => createMicroBatcher({ process, maxBatchSize: 1, maxWaitMs: -1 })).toThrow(/maxWaitMs/);
    expect(() => createMicroBatcher({ process, maxBatchSize: 1, maxWaitMs: 1, maxConcurrency: 1.5 })).toThrow(/maxConcurrency/);
  });
});

/** A fake classify that holds every batch until released: what is queued stays queued. */
function gated() {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { classify: createFakeClassify({ gate }), open };
}

const codeOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: { code?: string }) => e.code ?? String(e));

describe('createMicroBatcher: admission control', () => {
  it('refuses a submission that would queue more than maxQueued items with OVERLOADED and Retry-After, and admits again once the queue drains', async () => {
    const { classify, open } = gated();
    const batcher = createMicroBatcher({ process: classify, maxBatchSize: 2, maxWaitMs: 0, maxQueued: 4 });
    const running = batcher.submit(['a', 'b']); // taken at once: in flight, not queued
    const queued = batcher.submit(['c', 'd', 'e']);
    expect(batcher.stats()).toMatchObject({ inFlight: 1, queued: 3 });
    const refused = batcher.submit(['f', 'g']);
    await expect(refused).rejects.toBeInstanceOf(ApiError);
    const error = (await refused.catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe('OVERLOADED');
    expect(error.status).toBe(503);
    expect(Number(error.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(batcher.hasRoom(2)).toBe(false);
    expect(batcher.hasRoom(1)).toBe(true);
    // One more still fits exactly.
    const fits = batcher.submit(['h']);
    expect(batcher.stats()).toMatchObject({ queued: 4, shed: 1, submitted: 3, items: 6 });
    open();
    await Promise.all([running, queued, fits]);
    expect(batcher.stats()).toMatchObject({ queued: 0, inFlight: 0, processed: 6, dropped: 0 });
    // Recovered: the same submission is admitted now.
    await expect(batcher.submit(['f', 'g'])).resolves.toEqual(['f:1', 'g:1']);
    // The refused submission never reached the model: 'f' went through once, after recovery.
    expect(classify.calls.flat().filter((t) => t === 'f')).toHaveLength(1);
  });

  it('bounds the queue in cost (tokens) too, and rejects costs that do not match the items', async () => {
    const { classify, open } = gated();
    const batcher = createMicroBatcher({ process: classify, maxBatchSize: 1, maxWaitMs: 0, maxQueuedCost: 100 });
    const first = batcher.submit(['x'], { costs: [60] }); // in flight at once: no longer counted
    const a = batcher.submit(['a', 'b'], { costs: [40, 50] });
    expect(batcher.stats()).toMatchObject({ queued: 2, queuedCost: 90 });
    expect(await codeOf(batcher.submit(['c'], { costs: [20] }))).toBe('OVERLOADED');
    const c = batcher.submit(['c'], { costs: [10] });
    expect(await codeOf(batcher.submit(['d'], { costs: [1, 2] }))).toBe('INVALID_INPUT');
    open();
    await Promise.all([first, a, c]);
    expect(batcher.stats()).toMatchObject({ queuedCost: 0, queued: 0, shed: 1 });
  });

  it('drops the queued items of a caller whose signal aborts: they never reach process', async () => {
    const { classify, open } = gated();
    const batcher = createMicroBatcher({ process: classify, maxBatchSize: 2, maxWaitMs: 0 });
    const running = batcher.submit(['r1', 'r2']);
    const gone = new AbortController();
    const abandoned = batcher.submit(['gone1', 'gone2', 'gone3'], { signal: gone.signal, costs: [1, 1, 1] });
    const kept = batcher.submit(['kept']);
    expect(batcher.stats()).toMatchObject({ queued: 4, queuedCost: 3 });
    gone.abort();
    expect(await codeOf(abandoned)).toBe('CLIENT_CLOSED');
    expect(batcher.stats()).toMatchObject({ queued: 1, queuedCost: 0, dropped: 3 });
    open();
    await Promise.all([running, kept]);
    expect(classify.calls).toEqual([['r1', 'r2'], ['kept']]);
    const stats = batcher.stats();
    expect(stats.processed + stats.dropped).toBe(stats.items);
    // Already aborted before submitting: nothing is queued.
    expect(await codeOf(batcher.submit(['late'], { signal: AbortSignal.abort() }))).toBe('CLIENT_CLOSED');
    expect(classify.calls.flat()).not.toContain('late');
    expect(batcher.stats().dropped).toBe(4);
  });

  it('a caller that aborts with part of its items in flight: the rest are dropped, the in-flight part finishes unused', async () => {
    const { classify, open } = gated();
    const batcher = createMicroBatcher({ process: classify, maxBatchSize: 2, maxWaitMs: 0 });
    const gone = new AbortController();
    const p = batcher.submit(['a', 'b', 'c', 'd', 'e'], { signal: gone.signal });
    expect(batcher.stats()).toMatchObject({ inFlight: 1, queued: 3 });
    gone.abort();
    expect(await codeOf(p)).toBe('CLIENT_CLOSED');
    open();
    await batcher.drain();
    expect(classify.calls).toEqual([['a', 'b']]);
    expect(batcher.stats()).toMatchObject({ processed: 2, dropped: 3, queued: 0 });
  });

  it('fails every caller of a batch at once when isolateFailures says so (no per-caller retry)', async () => {
    const process = async (items: readonly string[]) => {
      calls.push([...items]);
      throw Object.assign(new Error('worker died'), { code: 'WORKER_CRASHED' });
    };
    const calls: string[][] = [];
    const batcher = createMicroBatcher<string, string>({
      process,
      maxBatchSize: 8,
      maxWaitMs: 5,
      isolateFailures: (e) => (e as { code?: string }).code !== 'WORKER_CRASHED',
    });
    const settled = await Promise.allSettled([batcher.submit(['a']), batcher.submit(['b'])]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toEqual([['a', 'b']]);
  });

  it('reports its bounds in stats and rejects bad bounds', () => {
    const process = createFakeClassify();
    expect(createMicroBatcher({ process, maxBatchSize: 1, maxWaitMs: 0 }).stats()).toMatchObject({ maxQueued: null, maxQueuedCost: null });
    expect(createMicroBatcher({ process, maxBatchSize: 1, maxWaitMs: 0, maxQueued: 3, maxQueuedCost: 9 }).stats()).toMatchObject({ maxQueued: 3, maxQueuedCost: 9 });
    expect(() => createMicroBatcher({ process, maxBatchSize: 1, maxWaitMs: 0, maxQueued: 0 })).toThrow(/maxQueued/);
  });
});
