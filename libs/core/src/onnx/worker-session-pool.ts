import { Worker } from 'node:worker_threads';
import { GlassboxError, type ErrorCode } from '../errors.js';
import type { Feeds, OnnxSession, OnnxSessionOptions, TensorData } from './ort.js';

export interface WorkerSessionPoolOptions extends OnnxSessionOptions {
  /** Worker threads, each with its own session (default 1). */
  workers?: number;
}

interface Pending {
  resolve: (v: Record<string, TensorData>) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: number;
  pending: Map<number, Pending>;
}

// Built code runs onnx-worker.js; from TypeScript sources (tests), a bootstrap registers tsx first.
const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './onnx-worker-from-source.mjs' : './onnx-worker.js', import.meta.url);

/**
 * Sessions in worker threads behind the `OnnxSession` interface: `run()` is dispatched to the
 * least busy worker, and the caller's event loop stays free while the graph runs.
 */
export async function createWorkerSessionPool(
  modelPath: string,
  options: WorkerSessionPoolOptions = {},
): Promise<OnnxSession> {
  const count = options.workers ?? 1;
  if (!Number.isInteger(count) || count < 1) {
    throw new GlassboxError('INVALID_OPTION', `workers must be a positive integer, got ${count}`);
  }
  const { workers: _w, ...sessionOptions } = options;
  let nextId = 0;
  const slots: Slot[] = [];
  const starts: Array<Promise<{ inputNames: string[]; outputNames: string[] }>> = [];
  for (let i = 0; i < count; i++) {
    const worker = new Worker(workerUrl, { workerData: { modelPath, options: sessionOptions } });
    const slot: Slot = { worker, busy: 0, pending: new Map() };
    slots.push(slot);
    starts.push(
      new Promise((resolve, reject) => {
        worker.once('error', reject);
        worker.once('message', (m: { error?: { message: string; code?: string }; inputNames: string[]; outputNames: string[] }) => {
          if (m.error) reject(new GlassboxError((m.error.code as ErrorCode) ?? 'MODEL_LOAD_FAILED', m.error.message));
          else resolve(m);
        });
      }),
    );
    worker.on('message', (m: { type: string; id: number; outputs?: Record<string, TensorData>; error?: { message: string; code?: string } }) => {
      if (m.type !== 'result') return;
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      slot.busy--;
      if (m.error) p.reject(new GlassboxError((m.error.code as ErrorCode) ?? 'INFERENCE_FAILED', m.error.message));
      else p.resolve(m.outputs as Record<string, TensorData>);
    });
    worker.on('error', (e) => failAll(slot, e));
    worker.on('exit', (code) => failAll(slot, new Error(`worker exited with code ${code}`)));
  }
  function failAll(slot: Slot, e: Error): void {
    for (const p of slot.pending.values()) {
      p.reject(new GlassboxError('INFERENCE_FAILED', `inference worker failed: ${e.message}`, { cause: e }));
    }
    slot.pending.clear();
    slot.busy = 0;
  }
  let info: { inputNames: string[]; outputNames: string[] };
  try {
    [info] = await Promise.all(starts);
  } catch (e) {
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw e;
  }
  let disposed = false;
  return {
    inputNames: info.inputNames,
    outputNames: info.outputNames,
    run(feeds: Feeds, fetch?: readonly string[]) {
      if (disposed) return Promise.reject(new GlassboxError('ENGINE_DISPOSED', 'the worker pool was disposed'));
      const slot = slots.reduce((a, b) => (b.busy < a.busy ? b : a));
      const id = nextId++;
      slot.busy++;
      return new Promise((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        slot.worker.postMessage({ type: 'run', id, feeds, fetch: fetch ? [...fetch] : undefined });
      });
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
