import { availableParallelism } from 'node:os';
import { computeModelId, computeTokenizerId, loadModelBundle, type ModelBundle, type ModelVariant } from '../bundle/model-bundle.js';
import { GlassboxError } from '../errors.js';
import { argmax, softmax } from '../math/softmax.js';
import { createOnnxSession, type OnnxSession, type OnnxSessionOptions, type TensorData } from '../onnx/ort.js';
import { createWorkerSessionPool, type WorkerSessionPool } from '../onnx/worker-session-pool.js';
import type { ModelCapabilities } from '../plugins/capabilities.js';
import { createTextTokenizer, type Encoding, type TextTokenizer } from '../tokenizer/text-tokenizer.js';
import { lengthBuckets, padBatch, type ForwardBatch } from './forward-batch.js';

/** A text, or a text given as a list of words (joined with single spaces before tokenizing). */
export type TextInput = string | { readonly tokens: readonly string[] };
export type ClassifyInput = TextInput | readonly TextInput[];

export interface InferenceEngineOptions extends OnnxSessionOptions {
  /** Most sequences per forward pass (default 32). */
  batchSize?: number;
  /** Most padded tokens (rows x longest row) per forward pass (default 8192). */
  maxBatchTokens?: number;
  /** Longest sequence fed to the model, special tokens included (default and ceiling: the model's). */
  maxLength?: number;
  /**
   * Texts longer than maxLength: 'truncate' (default, as Hugging Face pipelines do) keeps the
   * start; 'chunk' classifies overlapping windows and aggregates them.
   */
  longText?: 'truncate' | 'chunk';
  /** Tokens shared by consecutive windows in chunk mode (default a quarter of a window). */
  chunkOverlap?: number;
  /** How windows combine in chunk mode (default 'mean' of probabilities; 'max' renormalises). */
  chunkAggregate?: 'mean' | 'max';
  /** Worker threads with a session each; 0 (default) runs in this thread. */
  workers?: number;
  /**
   * Which graph to load when `model` is a directory: 'fp32' (`model.onnx`) or 'quantized'
   * (`model_quantized.onnx`); default: fp32 when the bundle has it, else quantized.
   */
  variant?: ModelVariant;
}

export interface Prediction {
  text: string;
  label: string;
  labelId: number;
  score: number;
  /** Probability per label name; sums to 1. */
  probabilities: Record<string, number>;
  /** Logits in label-id order (mean over windows in chunk mode). */
  logits: number[];
  /** Tokens of the full text, special tokens included. */
  tokens: number;
  truncated: boolean;
  /** Forward windows used (1 unless chunked). */
  windows: number;
}

export interface ForwardOptions {
  /** Also return per-layer attention probabilities (needs the `attentions` capability). */
  attentions?: boolean;
  /**
   * Also return the `features` graph output, the `<s>` hidden state the classification head reads
   * (a graph rewritten by libs/finetune's `exposeHiddenState` has it).
   */
  features?: boolean;
}

/** Name of the graph output holding the `<s>` hidden state (see ForwardOptions.features). */
export const FEATURES_OUTPUT = 'features';

export interface ForwardResult {
  /** Row-major [batchSize x numLabels]. */
  logits: Float32Array;
  numLabels: number;
  /** Per layer, row-major [batchSize x heads x seqLen x seqLen]. */
  attentions?: Float32Array[];
  numHeads?: number;
  /** Row-major [batchSize x featureSize]: the `<s>` hidden state, when asked for. */
  features?: Float32Array;
  featureSize?: number;
}

export interface ClassifyOptions {
  /** Encodings `encode` made for the inputs, by position (null: tokenize that one). */
  encodings?: ReadonlyArray<Encoding | null>;
}

export interface InferenceEngine {
  readonly bundle: ModelBundle;
  readonly labels: readonly string[];
  readonly tokenizer: TextTokenizer;
  readonly capabilities: ModelCapabilities;
  /** Longest sequence fed to the model, special tokens included. */
  readonly maxLength: number;
  readonly options: Readonly<ResolvedEngineOptions>;
  /**
   * Classifies texts. `options.encodings` may hand in encodings this engine's `encode` already
   * made for them (same order; null where there is none): each is used in place of tokenizing
   * its text again when its `text` is that input's text.
   */
  classify(input: ClassifyInput, options?: ClassifyOptions): Promise<Prediction[]>;
  /** Classifies a (possibly huge, possibly async) stream of texts in order, in bounded memory. */
  classifyStream(inputs: AsyncIterable<TextInput> | Iterable<TextInput>, options?: { chunkSize?: number }): AsyncGenerator<Prediction>;
  /** Low-level forward pass for plugins (explainers): one padded batch in, raw outputs out. */
  forward(batch: ForwardBatch, options?: ForwardOptions): Promise<ForwardResult>;
  /** Tokenizes with the model's tokenizer (special tokens added, no truncation). */
  encode(texts: readonly string[]): Promise<Encoding[]>;
  /** Identity of the model ('sha256:<hex>' of model.onnx), computed once on first call. */
  modelId(): Promise<string>;
  /** Identity of the tokenizer ('sha256:<hex>' of tokenizer.json), computed once on first call. */
  tokenizerId(): Promise<string>;
  /**
   * The worker threads running the model (absent when it runs on the caller's thread): their
   * restart count, and a way to end one as a crash would (it is replaced).
   */
  readonly workerPool?: Pick<WorkerSessionPool, 'stats' | 'crashWorker'>;
  dispose(): Promise<void>;
}

type ResolvedEngineOptions = Required<Omit<InferenceEngineOptions, keyof OnnxSessionOptions | 'variant'>> & {
  /** Intra-op threads of each session (see defaultIntraOpThreads). */
  intraOpThreads: number;
};

/**
 * The default intra-op thread count of each session: the cores Node can use
 * (`os.availableParallelism()`) shared among the sessions, at least 1. ONNX Runtime's own default
 * counts physical cores, which leaves half a machine idle where vCPUs are hyperthreads.
 */
export function defaultIntraOpThreads(workers = 0, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, workers)));
}

const ATTENTION_OUTPUT = /^attentions\.(\d+)$/;

export async function createInferenceEngine(
  model: ModelBundle | string,
  options: InferenceEngineOptions = {},
): Promise<InferenceEngine> {
  const bundle = typeof model === 'string' ? loadModelBundle(model, { variant: options.variant }) : model;
  const tokenizer = createTextTokenizer(bundle.tokenizerPath);
  const resolved = resolveOptions(options, bundle.config.maxTokens);
  const { batchSize: _b, maxBatchTokens: _m, maxLength: _l, longText: _t, chunkOverlap: _o, chunkAggregate: _a, workers, variant: _v, ...sessionOptions } = options;
  const sessionWith = { ...sessionOptions, intraOpThreads: resolved.intraOpThreads };
  const pool = resolved.workers > 0 ? await createWorkerSessionPool(bundle.modelPath, { ...sessionWith, workers }) : null;
  const session: OnnxSession = pool ?? (await createOnnxSession(bundle.modelPath, sessionWith));

  const labels = bundle.config.labels;
  if (!session.inputNames.includes('input_ids')) {
    await session.dispose();
    throw new GlassboxError('MODEL_IO_MISMATCH', `${bundle.modelPath} has no input named input_ids (inputs: ${session.inputNames.join(', ')})`);
  }
  const logitsName = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0];
  const attentionNames = session.outputNames
    .filter((n) => ATTENTION_OUTPUT.test(n))
    .sort((a, b) => Number(ATTENTION_OUTPUT.exec(a)?.[1]) - Number(ATTENTION_OUTPUT.exec(b)?.[1]));
  const capabilities: ModelCapabilities = {
    attentions: attentionNames.length > 0,
    maskToken: tokenizer.maskId !== null,
  };
  let disposed = false;
  let inFlight = 0;
  let id: Promise<string> | null = null;
  let tokenizerId: Promise<string> | null = null;

  async function forward(batch: ForwardBatch, opts: ForwardOptions = {}): Promise<ForwardResult> {
    if (disposed) throw new GlassboxError('ENGINE_DISPOSED', 'the inference engine was disposed');
    if (opts.attentions && !capabilities.attentions) {
      throw new GlassboxError(
        'PLUGIN_CAPABILITY_MISSING',
        `${bundle.modelPath} has no attention outputs; run \`glassbox expose-attentions\` on it first`,
      );
    }
    const dims = [batch.batchSize, batch.seqLen];
    const feeds: Record<string, TensorData> = { input_ids: { data: batch.inputIds, dims } };
    if (session.inputNames.includes('attention_mask')) feeds['attention_mask'] = { data: batch.attentionMask, dims };
    if (session.inputNames.includes('token_type_ids')) {
      feeds['token_type_ids'] = { data: new BigInt64Array(batch.inputIds.length), dims };
    }
    if (opts.features && !session.outputNames.includes(FEATURES_OUTPUT)) {
      throw new GlassboxError(
        'MODEL_IO_MISMATCH',
        `${bundle.modelPath} has no \`${FEATURES_OUTPUT}\` output; expose the hidden state first (exposeHiddenState, libs/finetune)`,
      );
    }
    const fetch = [logitsName, ...(opts.attentions ? attentionNames : []), ...(opts.features ? [FEATURES_OUTPUT] : [])];
    inFlight++;
    let out: Record<string, TensorData>;
    try {
      out = await session.run(feeds, fetch);
    } finally {
      inFlight--;
    }
    const logits = out[logitsName];
    const numLabels = logits.dims[logits.dims.length - 1];
    if (numLabels !== labels.length) {
      throw new GlassboxError(
        'MODEL_IO_MISMATCH',
        `the model outputs ${numLabels} logits per text but config.json names ${labels.length} labels`,
      );
    }
    const result: ForwardResult = { logits: logits.data as Float32Array, numLabels };
    if (opts.attentions) {
      result.attentions = attentionNames.map((n) => out[n].data as Float32Array);
      result.numHeads = out[attentionNames[0]].dims[1];
    }
    if (opts.features) {
      const f = out[FEATURES_OUTPUT];
      result.features = f.data as Float32Array;
      result.featureSize = f.dims[f.dims.length - 1];
    }
    return result;
  }

  /** The texts' encodings: those handed in (when they encode that very text), the rest tokenized now. */
  async function encodingsOf(texts: string[], given?: ReadonlyArray<Encoding | null>): Promise<Encoding[]> {
    if (!given) return tokenizer.encode(texts);
    const out = texts.map((text, i) => (given[i]?.text === text ? (given[i] as Encoding) : null));
    const missing = texts.filter((_, i) => out[i] === null);
    if (missing.length > 0) {
      const fresh = await tokenizer.encode(missing);
      let j = 0;
      out.forEach((e, i) => {
        if (e === null) out[i] = fresh[j++];
      });
    }
    return out as Encoding[];
  }

  async function classifyTexts(texts: string[], given?: ReadonlyArray<Encoding | null>): Promise<Prediction[]> {
    const encodings = await encodingsOf(texts, given);
    const segments: Array<{ text: number; ids: number[] }> = [];
    const info = encodings.map((e, t) => {
      const windows = splitIntoWindows(e.ids, resolved, tokenizer.eosId);
      for (const ids of windows) segments.push({ text: t, ids });
      return { tokens: e.ids.length, truncated: e.ids.length > resolved.maxLength && resolved.longText === 'truncate', windows: windows.length };
    });
    const segmentLogits: Float32Array[] = new Array(segments.length);
    const batches = lengthBuckets(segments.map((s) => s.ids.length), resolved.batchSize, resolved.maxBatchTokens);
    const run = async (batch: number[]) => {
      const { logits, numLabels } = await forward(padBatch(batch.map((i) => segments[i].ids), tokenizer.padId));
      batch.forEach((seg, r) => {
        segmentLogits[seg] = logits.slice(r * numLabels, (r + 1) * numLabels);
      });
    };
    // One batch in flight per worker keeps every session busy without queueing everything.
    const parallel = Math.max(1, resolved.workers);
    for (let i = 0; i < batches.length; i += parallel) {
      await Promise.all(batches.slice(i, i + parallel).map(run));
    }
    const perText: Float32Array[][] = texts.map(() => []);
    segments.forEach((s, i) => perText[s.text].push(segmentLogits[i]));
    return texts.map((text, t) => toPrediction(text, perText[t], info[t], labels, resolved.chunkAggregate));
  }

  return {
    bundle,
    labels,
    tokenizer,
    capabilities,
    maxLength: resolved.maxLength,
    options: resolved,
    forward,
    encode: (texts) => tokenizer.encode(texts),
    modelId: () => (id ??= computeModelId(bundle)),
    tokenizerId: () => (tokenizerId ??= computeTokenizerId(bundle)),
    ...(pool && { workerPool: { stats: () => pool.stats(), crashWorker: (slot: number) => pool.crashWorker(slot) } }),
    async classify(input, classifyOptions = {}) {
      return classifyTexts(normalizeInputs(input), classifyOptions.encodings);
    },
    async *classifyStream(inputs, streamOptions = {}) {
      const chunkSize = streamOptions.chunkSize ?? resolved.batchSize * 16;
      let chunk: string[] = [];
      let index = 0;
      for await (const item of inputs as AsyncIterable<TextInput>) {
        chunk.push(toText(item, index++));
        if (chunk.length >= chunkSize) {
          yield* await classifyTexts(chunk);
          chunk = [];
        }
      }
      if (chunk.length > 0) yield* await classifyTexts(chunk);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      while (inFlight > 0) await new Promise((r) => setTimeout(r, 5));
      await session.dispose();
    },
  };
}

function resolveOptions(o: InferenceEngineOptions, modelMax: number): ResolvedEngineOptions {
  const int = (name: string, v: number, min: number, max = Infinity) => {
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new GlassboxError('INVALID_OPTION', `${name} must be an integer in [${min}, ${max}], got ${v}`);
    }
    return v;
  };
  const maxLength = int('maxLength', o.maxLength ?? modelMax, 3, modelMax);
  const window = maxLength - 2;
  const resolved: ResolvedEngineOptions = {
    batchSize: int('batchSize', o.batchSize ?? 32, 1),
    maxBatchTokens: int('maxBatchTokens', o.maxBatchTokens ?? 8192, maxLength),
    maxLength,
    longText: o.longText ?? 'truncate',
    chunkOverlap: int('chunkOverlap', o.chunkOverlap ?? Math.floor(window / 4), 0, window - 1),
    chunkAggregate: o.chunkAggregate ?? 'mean',
    workers: int('workers', o.workers ?? 0, 0, 64),
    intraOpThreads: 0,
  };
  resolved.intraOpThreads = int('intraOpThreads', o.intraOpThreads ?? defaultIntraOpThreads(resolved.workers), 1, 1024);
  if (resolved.longText !== 'truncate' && resolved.longText !== 'chunk') {
    throw new GlassboxError('INVALID_OPTION', `longText must be "truncate" or "chunk", got ${JSON.stringify(o.longText)}`);
  }
  if (resolved.chunkAggregate !== 'mean' && resolved.chunkAggregate !== 'max') {
    throw new GlassboxError('INVALID_OPTION', `chunkAggregate must be "mean" or "max", got ${JSON.stringify(o.chunkAggregate)}`);
  }
  return resolved;
}

/**
 * The sequences fed to the model for one encoded text (`<s> ... </s>`): the text itself when it
 * fits; else its start (truncate) or overlapping windows over all of it (chunk), each
 * re-wrapped in `<s> ... </s>`.
 */
export function splitIntoWindows(
  ids: readonly number[],
  o: Pick<ResolvedEngineOptions, 'maxLength' | 'longText' | 'chunkOverlap'>,
  eosId: number,
): number[][] {
  if (ids.length <= o.maxLength) return [[...ids]];
  if (o.longText === 'truncate') return [[...ids.slice(0, o.maxLength - 1), eosId]];
  const bos = ids[0];
  const body = ids.slice(1, -1);
  const width = o.maxLength - 2;
  const stride = width - o.chunkOverlap;
  const windows: number[][] = [];
  for (let start = 0; ; start += stride) {
    windows.push([bos, ...body.slice(start, start + width), eosId]);
    if (start + width >= body.length) break;
  }
  return windows;
}

function normalizeInputs(input: ClassifyInput): string[] {
  if (typeof input === 'string' || (input && !Array.isArray(input) && typeof input === 'object' && 'tokens' in input)) {
    return [toText(input as TextInput, 0)];
  }
  if (!Array.isArray(input)) {
    throw new GlassboxError('INVALID_INPUT', 'input must be a string, {tokens: string[]}, or an array of those');
  }
  return input.map((x, i) => toText(x, i));
}

function toText(x: TextInput, index: number): string {
  let text: unknown = x;
  if (x && typeof x === 'object' && 'tokens' in x) {
    if (!Array.isArray(x.tokens) || !x.tokens.every((t) => typeof t === 'string')) {
      throw new GlassboxError('INVALID_INPUT', `input ${index}: tokens must be an array of strings`);
    }
    text = x.tokens.join(' ');
  }
  if (typeof text !== 'string') {
    throw new GlassboxError('INVALID_INPUT', `input ${index} is ${text === null ? 'null' : typeof text}, expected a string`);
  }
  if (text.trim() === '') throw new GlassboxError('INVALID_INPUT', `input ${index} is empty`);
  return text;
}

function toPrediction(
  text: string,
  windows: Float32Array[],
  info: { tokens: number; truncated: boolean; windows: number },
  labels: readonly string[],
  aggregate: 'mean' | 'max',
): Prediction {
  const k = labels.length;
  const logits = new Array<number>(k).fill(0);
  let probs = new Array<number>(k).fill(aggregate === 'max' ? 0 : 0);
  for (const w of windows) {
    const p = softmax(w);
    for (let j = 0; j < k; j++) {
      logits[j] += w[j] / windows.length;
      probs[j] = aggregate === 'max' ? Math.max(probs[j], p[j]) : probs[j] + p[j] / windows.length;
    }
  }
  if (aggregate === 'max' && windows.length > 1) {
    const s = probs.reduce((a, b) => a + b, 0);
    probs = probs.map((p) => p / s);
  }
  const best = argmax(probs);
  const probabilities: Record<string, number> = {};
  labels.forEach((l, j) => {
    probabilities[l] = probs[j];
  });
  return {
    text,
    label: labels[best],
    labelId: best,
    score: probs[best],
    probabilities,
    logits,
    tokens: info.tokens,
    truncated: info.truncated,
    windows: info.windows,
  };
}
