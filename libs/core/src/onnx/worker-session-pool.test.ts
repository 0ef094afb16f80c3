import { describe, expect, it } from 'vitest';
import { createInferenceEngine } from '../engine/inference-engine.js';
import { isGlassboxError } from '../errors.js';
import { miniModelDir } from '../test-support.js';
import { createWorkerSessionPool } from './worker-session-pool.js';

const modelPath = `${miniModelDir}/model.onnx`;
/** A full batch (32 rows of 128 tokens): a forward pass long enough to still run when the crash message arrives. */
const feeds = () => {
  const rows = 32;
  const len = 128;
  const ids = new BigInt64Array(rows * len).fill(7414n);
  for (let r = 0; r < rows; r++) {
    ids[r * len] = 0n;
    ids[r * len + len - 1] = 2n;
  }
  return {
    input_ids: { data: ids, dims: [rows, len] },
    attention_mask: { data: new BigInt64Array(rows * len).fill(1n), dims: [rows, len] },
  };
};

const codeOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (isGlassboxError(e) ? e.code : String(e)));

describe('createWorkerSessionPool: a worker that dies is replaced', () => {
  it('fails the dead worker\'s in-flight runs with WORKER_CRASHED, starts a new worker, and serves later runs', async () => {
    const pool = await createWorkerSessionPool(modelPath, { workers: 1, intraOpThreads: 1, spinning: false });
    try {
      await expect(pool.run(feeds(), ['logits'])).resolves.toHaveProperty('logits');
      // Six runs posted, then the worker dies before it answered them.
      const inFlight = Array.from({ length: 6 }, () => codeOf(pool.run(feeds(), ['logits'])));
      await pool.crashWorker(0);
      expect(await Promise.all(inFlight)).toEqual(Array(6).fill('WORKER_CRASHED'));
      expect(pool.stats()).toMatchObject({ workers: 1, restarts: 1 });
      // The replacement loads, then answers.
      const after = await pool.run(feeds(), ['logits']);
      expect(after['logits'].dims).toEqual([32, 7]);
      expect(pool.stats()).toMatchObject({ workers: 1, restarts: 1, starting: 0 });
      // And again: every crash is survived.
      const second = Array.from({ length: 6 }, () => codeOf(pool.run(feeds(), ['logits'])));
      await pool.crashWorker(0);
      expect(await Promise.all(second)).toEqual(Array(6).fill('WORKER_CRASHED'));
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
      await pool.crashWorker(1);
      const results = await Promise.all(Array.from({ length: 6 }, () => pool.run(feeds(), ['logits'])));
      expect(results).toHaveLength(6);
      expect(pool.stats()).toMatchObject({ workers: 2, restarts: 1 });
      expect(await codeOf(pool.crashWorker(2))).toBe('INVALID_OPTION');
    } finally {
      await pool.dispose();
    }
  }, 60_000);

  it('an engine on a pool exposes it: classify after a crash succeeds', async () => {
    const engine = await createInferenceEngine(miniModelDir, { workers: 1, intraOpThreads: 1, spinning: false });
    try {
      expect(engine.workerPool?.stats()).toMatchObject({ workers: 1, restarts: 0 });
      const doomed = codeOf(engine.classify(['a text in flight when its worker dies']));
      // Once its forward pass is on the worker (tokenizing comes first).
      for (let i = 0; i < 10_000 && engine.workerPool?.stats().running === 0; i++) await new Promise((r) => setImmediate(r));
      await engine.workerPool?.crashWorker(0);
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
