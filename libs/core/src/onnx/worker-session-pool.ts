import { Worker } from 'node:worker_threads';
import { GlassboxError, type ErrorCode } from '../errors.js';
import type { Feeds, OnnxSession, OnnxSessionOptions, TensorData } from './ort.js';

export interface WorkerSessionPoolOptions extends OnnxSessionOptions {
  /** Worker threads, each with its own session (default 1). */
  workers?: number;
}

/** What the pool says about its threads. */
export interface WorkerPoolStats {
  /** Worker threads (slots); a crashed one is replaced in the same slot. */
  workers: number;
  /** Workers that died (crash, out of memory, terminated) and were replaced since the start. */
  restarts: number;
  /** Slots whose worker is loading its session now (after a restart). */
  starting: number;
  /** Runs posted to a worker and not answered yet. */
  running: number;
}

/**
 * A pool of ONNX Runtime sessions in worker threads. A worker that dies fails its in-flight
 * runs with WORKER_CRASHED (the caller may retry) and is replaced by a fresh one in its slot; the
 * pool stays usable.
 */
export interface WorkerSessionPool extends OnnxSession {
  stats(): WorkerPoolStats;
  /**
   * Makes worker `slot` die as a crash would: every run it has not answered yet fails with
   * WORKER_CRASHED, it takes no new work, it exits once its running forward passes end, and a
   * new worker replaces it. Resolves when it has exited. (Worker.terminate() in the middle of a
   * native forward pass would abort the whole process in onnxruntime-node, so the thread is let
   * finish the pass, and its answer is dropped.) For tests.
   */
  crashWorker(slot: number): Promise<void>;
}

interface Pending {
  resolve: (v: Record<string, TensorData>) => void;
  reject: (e: Error) => void;
}

interface Slot {
  index: number;
  worker: Worker;
  busy: number;
  pending: Map<number, Pending>;
  /** The session in this worker has loaded. */
  ready: boolean;
  /** The worker runs (false from its death until its replacement starts). */
  alive: boolean;
  /** crashWorker() was called: the worker takes no new work and its answers are ignored. */
  crashing: boolean;
  /** Replacements in a row that failed to load (backoff before the next). */
  failedStarts: number;
  /** Settles when the worker's session has loaded or failed to. */
  loading: Promise<unknown>;
}

type WorkerMessage =
  | { type: 'ready'; error?: { message: string; code?: string }; inputNames: string[]; outputNames: string[] }
  | { type: 'result'; id: number; outputs?: Record<string, TensorData>; error?: { message: string; code?: string } };

// Built code runs onnx-worker.js; from TypeScript sources (tests), a bootstrap registers tsx first.
const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './onnx-worker-from-source.mjs' : './onnx-worker.js', import.meta.url);

/**
 * Sessions in worker threads behind the `OnnxSession` interface: `run()` is dispatched to the
 * least busy worker, and the caller's event loop stays free while the graph runs.
 */
export async function createWorkerSessionPool(modelPath: string, options: WorkerSessionPoolOptions = {}): Promise<WorkerSessionPool> {
  const count = options.workers ?? 1;
  if (!Number.isInteger(count) || count < 1) {
    throw new GlassboxError('INVALID_OPTION', `workers must be a positive integer, got ${count}`);
  }
  const { workers: _w, ...sessionOptions } = options;
  let nextId = 0;
  let disposed = false;
  let restarts = 0;
  const slots: Slot[] = [];
  const timers = new Set<NodeJS.Timeout>();

  function failAll(slot: Slot, error: Error): void {
    for (const p of slot.pending.values()) p.reject(error);
    slot.pending.clear();
    slot.busy = 0;
  }

  /** Starts a worker in `slot`; resolves with its graph's names once its session loaded. */
  function start(slot: Slot): Promise<{ inputNames: string[]; outputNames: string[] }> {
    const worker = new Worker(workerUrl, { workerData: { modelPath, options: sessionOptions } });
    slot.worker = worker;
    slot.ready = false;
    slot.alive = true;
    slot.crashing = false;
    const loaded = new Promise<{ inputNames: string[]; outputNames: string[] }>((resolve, reject) => {
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') {
          if (m.error) {
            const error = new GlassboxError((m.error.code as ErrorCode) ?? 'MODEL_LOAD_FAILED', m.error.message);
            reject(error);
            // A replacement that cannot load: end it; the exit handler tries again after a pause.
            if (slot.worker === worker && !disposed) void worker.terminate();
            return;
          }
          slot.ready = true;
          slot.failedStarts = 0;
          resolve(m);
          return;
        }
        const p = slot.pending.get(m.id);
        if (!p || slot.worker !== worker || slot.crashing) return;
        slot.pending.delete(m.id);
        slot.busy--;
        if (m.error) p.reject(new GlassboxError((m.error.code as ErrorCode) ?? 'INFERENCE_FAILED', m.error.message));
        else p.resolve(m.outputs as Record<string, TensorData>);
      });
      worker.on('error', (e) => {
        reject(e);
        if (slot.worker === worker) failAll(slot, crashed(slot, e.message, e));
      });
      worker.on('exit', (code) => {
        reject(new GlassboxError('MODEL_LOAD_FAILED', `inference worker ${slot.index} exited with code ${code} while loading ${modelPath}`));
        if (slot.worker !== worker || disposed) return;
        slot.alive = false;
        failAll(slot, crashed(slot, `exited with code ${code}`));
        if (!started) return; // the pool's own start fails instead
        replace(slot, slot.ready);
      });
    });
    slot.loading = loaded.catch(() => undefined);
    return loaded;
  }

  function crashed(slot: Slot, what: string, cause?: unknown): GlassboxError {
    return new GlassboxError('WORKER_CRASHED', `inference worker ${slot.index} ${what}; it is being replaced, retry the request`, { cause });
  }

  /** A fresh worker for a slot whose worker died; after a pause when replacements keep failing. */
  function replace(slot: Slot, wasReady: boolean): void {
    restarts++;
    if (!wasReady) slot.failedStarts++;
    slot.ready = false;
    if (slot.failedStarts === 0) {
      start(slot).catch(() => undefined);
      return;
    }
    const delay = Math.min(30_000, 100 * 2 ** (slot.failedStarts - 1));
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!disposed) start(slot).catch(() => undefined);
    }, delay);
    timer.unref();
    timers.add(timer);
  }

  let started = false;
  for (let i = 0; i < count; i++) {
    slots.push({ index: i, worker: null as unknown as Worker, busy: 0, pending: new Map(), ready: false, alive: false, crashing: false, failedStarts: 0, loading: Promise.resolve() });
  }
  let info: { inputNames: string[]; outputNames: string[] };
  try {
    [info] = await Promise.all(slots.map(start));
    started = true;
  } catch (e) {
    disposed = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw e;
  }
  return {
    inputNames: info.inputNames,
    outputNames: info.outputNames,
    run(feeds: Feeds, fetch?: readonly string[]) {
      if (disposed) return Promise.reject(new GlassboxError('ENGINE_DISPOSED', 'the worker pool was disposed'));
      // Loaded workers first; a slot whose replacement is still loading takes work only when all are.
      const live = slots.filter((s) => s.alive && !s.crashing);
      if (live.length === 0) {
        return Promise.reject(new GlassboxError('WORKER_CRASHED', 'every inference worker died and is being replaced; retry the request'));
      }
      const candidates = live.some((s) => s.ready) ? live.filter((s) => s.ready) : live;
      const slot = candidates.reduce((a, b) => (b.busy < a.busy ? b : a));
      const id = nextId++;
      slot.busy++;
      return new Promise((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        slot.worker.postMessage({ type: 'run', id, feeds, fetch: fetch ? [...fetch] : undefined });
      });
    },
    stats: () => ({
      workers: slots.length,
      restarts,
      starting: slots.filter((s) => !s.ready).length,
      running: slots.reduce((n, s) => n + s.pending.size, 0),
    }),
    async crashWorker(index) {
      const slot = slots[index];
      if (!slot) throw new GlassboxError('INVALID_OPTION', `no worker ${index}; the pool has ${slots.length} (0..${slots.length - 1})`);
      // Not while its session loads: ending a thread inside native ONNX Runtime work aborts the process.
      await slot.loading;
      if (disposed || !slot.alive) return;
      const worker = slot.worker;
      // From now on the worker is dead to the pool: every run it has not answered fails.
      slot.crashing = true;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ type: 'crash' });
      await exited;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      for (const t of timers) clearTimeout(t);
      // A worker still creating its session is let finish first: ending a thread inside native
      // ONNX Runtime work aborts the process.
      await Promise.all(slots.map((s) => s.loading));
      await Promise.all(slots.map((s) => s.worker.terminate()));
      for (const s of slots) failAll(s, new GlassboxError('ENGINE_DISPOSED', 'the worker pool was disposed'));
    },
  };
}
