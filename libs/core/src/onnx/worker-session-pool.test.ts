import { describe, expect, it } from 'vitest';
import { createInferenceEngine } from '../engine/inference-engine.js';
import { isGlassboxError } from '../errors.js';
import { miniModelDir } from '../test-support.js';
import { createWorkerSessionPool } from './worker-session-pool.js';

const modelPath = `${miniModelDir}/model.onnx`;
const feeds = () => ({
  input_ids: { data: BigInt64Array.from([0n, 7414n, 2n]), dims: [1, 3] },
  attention_mask: { data: BigInt64Array.from([1n, 1n, 1n]), dims: [1, 3] },
});

const codeOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (isGlassboxError(e) ? e.code : String(e)));

describe('createWorkerSessionPool: a worker that dies is replaced', () => {
  it('fails the dead worker\'s in-flight runs with WORKER_CRASHED, starts a new worker, and serves later runs', async () => {
    const pool = await createWorkerSessionPool(modelPath, { workers: 1, intraOpThreads: 1, spinning: false });
    try {
      await expect(pool.run(feeds(), ['logits'])).resolves.toHaveProperty('logits');
      // Three runs posted, then the worker is killed before it can answer them.
      const inFlight = [pool.run(feeds(), ['logits']), pool.run(feeds(), ['logits']), pool.run(feeds(), ['logits'])].map(codeOf);
      await pool.terminateWorker(0);
      expect(await Promise.all(inFlight)).toEqual(['WORKER_CRASHED', 'WORKER_CRASHED', 'WORKER_CRASHED']);
      expect(pool.stats()).toMatchObject({ workers: 1, restarts: 1 });
      // The replacement loads, then answers.
      const after = await pool.run(feeds(), ['logits']);
      expect(after['logits'].dims).toEqual([1, 7]);
      expect(pool.stats()).toMatchObject({ workers: 1, restarts: 1, starting: 0 });
      // And again: every crash is survived.
      const second = codeOf(pool.run(feeds(), ['logits']));
      await pool.terminateWorker(0);
      expect(await second).toBe('WORKER_CRASHED');
      await expect(pool.run(feeds(), ['logits'])).resolves.toHaveProperty('logits');
      expect(pool.stats().restarts).toBe(2);
    } finally {
      await pool.dispose();
    }
    expect(await codeOf(pool.run(feeds()))).toBe('ENGINE_DISPOSED');
  }, 60_000);

  it('routes new work to the live workers while a slot restarts, and rejects unknown slots', async () => {
    const pool = await createWorkerSessionPool(modelPath, { workers: 2, intraOpThreads: 1, spinning: false });
    try {
      await pool.terminateWorker(1);
      const results = await Promise.all(Array.from({ length: 6 }, () => pool.run(feeds(), ['logits'])));
      expect(results).toHaveLength(6);
      expect(pool.stats()).toMatchObject({ workers: 2, restarts: 1 });
      expect(await codeOf(pool.terminateWorker(2))).toBe('INVALID_OPTION');
    } finally {
      await pool.dispose();
    }
  }, 60_000);

  it('an engine on a pool exposes it: classify after a crash succeeds', async () => {
    const engine = await createInferenceEngine(miniModelDir, { workers: 1, intraOpThreads: 1, spinning: false });
    try {
      expect(engine.workerPool?.stats()).toMatchObject({ workers: 1, restarts: 0 });
      const doomed = codeOf(engine.classify(['a text in flight when its worker dies']));
      await engine.workerPool?.terminateWorker(0);
      expect(await doomed).toBe('WORKER_CRASHED');
      const [p] = await engine.classify(['so happy today']);
      expect(p.label).toBeTypeOf('string');
      expect(engine.workerPool?.stats().restarts).toBe(1);
    } finally {
      await engine.dispose();
    }
    const local = await createInferenceEngine(miniModelDir);
    expect(local.workerPool).toBeUndefined();
    await local.dispose();
  }, 60_000);
});
