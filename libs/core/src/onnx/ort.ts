/**
 * The one module that imports ONNX Runtime. Everything else sees `OnnxSession`, plain typed
 * arrays and dims, so the runtime can be swapped (web, GPU builds) in one place.
 */
import ort from 'onnxruntime-node';
import { GlassboxError } from '../errors.js';

export interface OnnxSessionOptions {
  /** Threads inside one operator (here: ONNX Runtime's choice, its physical cores; the engine passes defaultIntraOpThreads). */
  intraOpThreads?: number;
  /** Threads across operators; only used with parallel execution (default 1). */
  interOpThreads?: number;
  /** Let idle intra-op threads spin; off saves CPU when several sessions share cores. */
  spinning?: boolean;
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Turns on ONNX Runtime's profiler: it writes `<profilePrefix>_<date>.json` (Chrome trace
   * events, one per operator run) when `endProfiling` is called. For diagnosis (`npm run bench`).
   */
  profilePrefix?: string;
}

export interface TensorData {
  data: Float32Array | BigInt64Array;
  dims: readonly number[];
}

export type Feeds = Record<string, TensorData>;

export interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the graph; `fetch` limits the outputs copied back (all when omitted). */
  run(feeds: Feeds, fetch?: readonly string[]): Promise<Record<string, TensorData>>;
  /** Stops the profiler and writes its file (sessions created with `profilePrefix`; a no-op otherwise). */
  endProfiling?(): void;
  dispose(): Promise<void>;
}

export async function createOnnxSession(modelPath: string, options: OnnxSessionOptions = {}): Promise<OnnxSession> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionMode: 'sequential',
    graphOptimizationLevel: options.graphOptimization ?? 'all',
    interOpNumThreads: options.interOpThreads ?? 1,
    extra: { session: { intra_op: { allow_spinning: options.spinning === false ? '0' : '1' } } },
  };
  if (options.intraOpThreads !== undefined) sessionOptions.intraOpNumThreads = options.intraOpThreads;
  if (options.profilePrefix !== undefined) {
    sessionOptions.enableProfiling = true;
    sessionOptions.profileFilePrefix = options.profilePrefix;
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelPath, sessionOptions);
  } catch (cause) {
    throw new GlassboxError(
      'MODEL_LOAD_FAILED',
      `ONNX Runtime could not load ${modelPath}: ${(cause as Error).message}`,
      { cause },
    );
  }
  let disposed = false;
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds, fetch) {
      const input: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) {
        input[name] =
          t.data instanceof BigInt64Array
            ? new ort.Tensor('int64', t.data, t.dims)
            : new ort.Tensor('float32', t.data, t.dims);
      }
      let out: ort.InferenceSession.ReturnType;
      try {
        out = fetch ? await session.run(input, [...fetch]) : await session.run(input);
      } catch (cause) {
        throw new GlassboxError('INFERENCE_FAILED', `forward pass failed: ${(cause as Error).message}`, { cause });
      }
      const result: Record<string, TensorData> = {};
      for (const [name, t] of Object.entries(out)) {
        result[name] = { data: t.data as Float32Array, dims: t.dims };
      }
      return result;
    },
    endProfiling() {
      if (options.profilePrefix !== undefined) session.endProfiling();
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
}
