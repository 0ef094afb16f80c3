import { describe, expect, it } from 'vitest';
import { GlassboxError } from '@glassbox/core';
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
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const classify = createFakeClassify({ gate });
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
