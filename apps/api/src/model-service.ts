import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  createInferenceEngine,
  createPipeline,
  GlassboxError,
  type AbstentionPlugin,
  type AbstentionRule,
  type CalibratorPlugin,
  type Encoding,
  type ExplainerPlugin,
  type ModelCapabilities,
  type ModelVariant,
  type PluginRegistry,
  type InferenceEngine,
  type Pipeline,
  type PipelineResult,
  type Prediction,
  type WorkerSessionPool,
  type WorkerPoolStats,
} from '@glassbox/core';
import {
  calibrationId,
  checkCalibrationModel,
  createCalibrator,
  createEnsembleEngine,
  parseAbstentionSpec,
  readCalibrationForEngine,
  type CalibrationFile,
} from '@glassbox/calibration';
import { explainText, type ExplainOptions, type Explanation } from '@glassbox/explain';
import { createAdmissionGate, type AdmissionGateStats } from './admission-gate.js';
import { ApiError } from './api-errors.js';
import type { ResolvedApiOptions } from './api-options.js';
import { checkExplainBudget, explanationEngine } from './explain-lane.js';
import { createMicroBatcher, type BatchTiming, type MicroBatcherStats } from './micro-batcher.js';
import { createPriorityScheduler, type PriorityScheduler, type PrioritySchedulerStats } from './priority-scheduler.js';
import type { ObservedBatch } from './monitoring.js';

/** How over-long texts are handled: cut (keeping the start, or the end for 'left') or refused. */
export interface TextPolicy {
  truncate: boolean;
  direction: 'right' | 'left';
}

export const DEFAULT_TEXT_POLICY: TextPolicy = { truncate: true, direction: 'right' };

/**
 * Where a classify call's time went, in milliseconds (filled in when it resolves); the routes send
 * it as `Server-Timing` (and, on the TEI routes, TEI's x-*-time headers).
 */
export interface ClassifyTiming {
  /** Counting the texts' tokens to price them for admission. */
  tokenizeMs: number;
  /** Waiting in the micro-batcher's queue (and the scheduler's predictions lane) for a forward pass. */
  queueMs: number;
  /** The forward pass that carried the texts: tokenizing, the hop to the worker, the model, softmax. */
  inferenceMs: number;
  /** Texts in that forward pass, other requests' included. */
  batchSize: number;
  /** Calibration and abstention (the pipeline). */
  pipelineMs: number;
  /** The `commit` step (the audit write). */
  commitMs: number;
}

/** A text waiting for the model, with the encoding made to price it (null when priced by length). */
interface QueuedText {
  text: string;
  encoding: Encoding | null;
}

/** A served prediction: the pipeline's result with the id it is served, observed and audited under. */
export type ServedResult = PipelineResult & { id: string };

export interface ModelServiceHooks {
  /**
   * Sees every classified batch (every route's), in the server's default view; must not throw
   * (a throw is caught and dropped).
   */
  observe?: (batch: ObservedBatch) => void;
  /** The explainers explain() and checkExplainBudget() look methods up in (default: the built-ins). */
  explainers?: PluginRegistry<ExplainerPlugin>;
  /** The calibrators the calibration file's method is looked up in (default: the built-ins). */
  calibrators?: PluginRegistry<CalibratorPlugin>;
  /** The abstention rules the `abstain` option names (default: the built-ins). */
  abstentionRules?: PluginRegistry<AbstentionPlugin>;
}

/** How busy the model is, beyond the micro-batcher's counters. */
export interface LoadStats {
  /** The model's two lanes: predictions first, explanations in chunks when none waits. */
  scheduler: PrioritySchedulerStats;
  /** Explanations running and waiting (maxConcurrentExplanations, maxQueuedExplanations). */
  explanations: AdmissionGateStats;
  /** The model's worker threads (null when it runs on the event loop's thread, or for an ensemble). */
  workers: WorkerPoolStats | null;
}

export interface ModelService {
  /** Name the model is served under. */
  readonly name: string;
  /** 'sha256:…' of the model, or the ensemble's combined id. */
  readonly modelId: string;
  /** 'sha256:…' of its tokenizer.json (see InferenceEngine.tokenizerId). */
  readonly tokenizerId: string;
  /** Identity of the active calibration (`method:sha256:…` of its fitting rows; see calibrationId), or null. */
  readonly calibrationId: string | null;
  /** Names of the abstention rules. */
  readonly abstentionRules: readonly string[];
  readonly labels: readonly string[];
  /** Longest token sequence the model takes, special tokens included. */
  readonly maxLength: number;
  readonly attentions: boolean;
  /** Which graph is served: 'fp32' or 'quantized' (an ensemble: its first member's). */
  readonly variant: ModelVariant;
  /** What the model offers plugins (attention outputs, a mask token, ...). */
  readonly capabilities: ModelCapabilities;
  /** The loaded calibration file, or null. */
  readonly calibration: CalibrationFile | null;
  /**
   * Makes `file` (fitted for this model) the calibration of new requests, atomically: requests
   * already classifying finish with the one they started with. The abstention rule is rebuilt
   * for it (`certified` uses its certificate; one without a certificate is refused).
   */
  setCalibration(file: CalibrationFile): void;
  /**
   * Predictions (logits included) through the micro-batcher, without calibration, observation or
   * ids; any number of texts, sent in slices the queue bounds admit.
   */
  predictRaw(texts: readonly string[], signal?: AbortSignal): Promise<Prediction[]>;
  /** Applies the text policy: cuts or refuses texts over maxTextLength characters or the token limit. */
  prepare(texts: readonly string[], policy?: TextPolicy): Promise<string[]>;
  /**
   * Classifies through the micro-batcher; `calibrated` picks the calibrated or the raw pipeline.
   * Each result gets a fresh id; `commit` (when given) runs next, and only once it returns (or its
   * promise resolves) does the batch go to the `observe` hook: a commit that throws (an audit write that failed) rejects
   * the call and leaves the predictions unobserved.
   */
  classify(
    texts: readonly string[],
    options: {
      calibrated: boolean;
      signal?: AbortSignal;
      commit?: (results: readonly ServedResult[]) => void | Promise<void>;
      /** Filled in with where the call's time went. */
      timing?: ClassifyTiming;
    },
  ): Promise<ServedResult[]>;
  /**
   * Tokens each text costs the model: its token count up to the model's maximum length (texts
   * over 8 x maxLength UTF-8 bytes count maxLength without being tokenized).
   */
  tokenCosts(texts: readonly string[]): Promise<number[]>;
  /**
   * Refuses (422 EXPLAIN_BUDGET_EXCEEDED) explanations of `texts` over the budget, before any
   * forward pass: explain() checks it too; predict checks every text before classifying.
   */
  checkExplainBudget(texts: readonly string[], options: ExplainOptions): Promise<void>;
  /**
   * Explains one text within the budget, in the explanation lane: after a turn among
   * maxConcurrentExplanations (503 OVERLOADED when maxQueuedExplanations already wait), each
   * forward pass only when no prediction waits. Stops at the next chunk when `signal` aborts.
   */
  explain(text: string, options: ExplainOptions, signal?: AbortSignal): Promise<Explanation>;
  stats(): MicroBatcherStats;
  loadStats(): LoadStats;
  /** The model's worker threads, or null (workers: 0, ensembles). */
  readonly workerPool: Pick<WorkerSessionPool, 'stats' | 'crashWorker'> | null;
  /** Stops holding texts back for batching, so in-flight requests finish promptly. */
  drain(): Promise<void>;
  /** Finishes queued work, then releases the engine. Idempotent. */
  dispose(): Promise<void>;
}

async function openEngine(options: ResolvedApiOptions): Promise<InferenceEngine> {
  const engineOptions = {
    workers: options.workers,
    intraOpThreads: options.intraOpThreads,
    ...(options.variant ? { variant: options.variant } : {}),
    spinning: options.spinning,
    batchSize: options.maxBatchSize,
    maxBatchTokens: options.maxBatchTokens,
  };
  const engines: InferenceEngine[] = [];
  try {
    for (const dir of options.modelDirs) engines.push(await createInferenceEngine(dir, engineOptions));
  } catch (error) {
    await Promise.all(engines.map((e) => e.dispose()));
    throw error;
  }
  return engines.length === 1 ? engines[0] : createEnsembleEngine(engines, { combine: 'probabilities' });
}


/** `text` cut to at most `max` UTF-16 units without splitting a surrogate pair. */
function cutChars(text: string, max: number, direction: 'right' | 'left'): string {
  if (text.length <= max) return text;
  if (direction === 'right') {
    const end = /[\uD800-\uDBFF]/.test(text[max - 1]) ? max - 1 : max;
    return text.slice(0, end);
  }
  const start = text.length - max;
  return text.slice(/[\uDC00-\uDFFF]/.test(text[start]) ? start + 1 : start);
}

/**
 * Opens the model (or ensemble), its calibration and abstention rule, warms it with one forward
 * pass, and puts a micro-batcher in front of it. Failures release what was opened and rethrow.
 */
export async function openModelService(options: ResolvedApiOptions, hooks: ModelServiceHooks = {}): Promise<ModelService> {
  const engine = await openEngine(options);
  try {
    const modelId = await engine.modelId();
    const tokenizerId = await engine.tokenizerId();
    const loaded = options.calibrationPath ? await readCalibrationForEngine(options.calibrationPath, engine, hooks.calibrators) : null;
    if (loaded?.warning) options.log.write(`${JSON.stringify({ level: 'warn', event: 'glassbox.calibration.untied_tokenizer', msg: loaded.warning })}\n`);
    const rulesFor = (file: CalibrationFile | null): AbstentionRule[] => (options.abstain ? [parseAbstentionSpec(options.abstain, file, hooks.abstentionRules)] : []);
    const rules = rulesFor(loaded?.file ?? null);
    interface Active {
      file: CalibrationFile | null;
      rules: AbstentionRule[];
      pipelines: { raw: Pipeline; calibrated: Pipeline | null };
    }
    // Replaced as a whole by setCalibration; each request reads it once.
    let active: Active = {
      file: loaded?.file ?? null,
      rules,
      pipelines: {
        raw: createPipeline({ engine, abstention: rules }),
        calibrated: loaded ? createPipeline({ engine, calibrator: loaded.calibrator, abstention: rules }) : null,
      },
    };
    await engine.classify(['warm-up']);
    const scheduler: PriorityScheduler = createPriorityScheduler({ concurrency: Math.max(1, options.workers) });
    const batcher = createMicroBatcher<QueuedText, Prediction>({
      // Each text goes with the encoding its pricing made, so the engine does not tokenize it again.
      process: (items) => scheduler.run('predict', () => engine.classify(items.map((i) => i.text), { encodings: items.map((i) => i.encoding) })),
      maxBatchSize: options.maxBatchSize,
      maxWaitMs: options.maxWaitMs,
      maxConcurrency: Math.max(1, options.workers),
      maxQueued: options.maxQueuedTexts,
      maxQueuedCost: options.maxQueuedTokens,
      // A dead worker may have been killed by one of the texts: do not retry them one by one.
      isolateFailures: (error) => !(error instanceof GlassboxError && error.code === 'WORKER_CRASHED'),
    });
    const explanations = createAdmissionGate({
      concurrency: options.maxConcurrentExplanations,
      maxWaiting: options.maxQueuedExplanations,
      what: 'explanations',
    });
    const budget = { maxUnits: options.maxExplainUnits, maxForwardPasses: options.maxExplainForwardPasses };
    const laneEngine = (signal?: AbortSignal) => explanationEngine(engine, scheduler, options.explainChunkTokens, signal, budget.maxForwardPasses);
    const withExplainers = (o: ExplainOptions): ExplainOptions => (hooks.explainers && !o.explainers ? { ...o, explainers: hooks.explainers } : o);
    const maxLength = engine.maxLength;

    /** Each text's token cost, with the encoding that priced it (null for a text priced by its length alone). */
    const price = async (texts: readonly string[]): Promise<{ costs: number[]; items: QueuedText[] }> => {
      const costs = texts.map((t) => (Buffer.byteLength(t, 'utf8') > 8 * maxLength ? maxLength : -1));
      const items: QueuedText[] = texts.map((text) => ({ text, encoding: null }));
      const short = texts.filter((_, i) => costs[i] < 0);
      if (short.length > 0) {
        const encodings = await engine.encode(short);
        let j = 0;
        costs.forEach((c, i) => {
          if (c >= 0) return;
          const encoding = encodings[j++];
          costs[i] = Math.min(maxLength, encoding.ids.length);
          items[i].encoding = encoding;
        });
      }
      return { costs, items };
    };
    const tokenCosts = async (texts: readonly string[]): Promise<number[]> => (await price(texts)).costs;

    /** Submits texts with their token costs; over maxRequestTokens is a 422. */
    const submit = async (texts: readonly string[], signal?: AbortSignal, timing?: ClassifyTiming): Promise<Prediction[]> => {
      // A full queue refuses at once, before the texts are tokenized to price them.
      if (!batcher.hasRoom(texts.length)) return batcher.submit(texts.map((text) => ({ text, encoding: null })), { signal });
      const pricing = performance.now();
      const { costs, items } = await price(texts);
      if (timing) timing.tokenizeMs = performance.now() - pricing;
      const total = costs.reduce((a, b) => a + b, 0);
      if (total > options.maxRequestTokens) {
        throw new ApiError(
          'TOO_MANY_TOKENS',
          `the request's ${texts.length} texts hold ${total} tokens (each counted up to the model's ${maxLength}); at most ${options.maxRequestTokens} are allowed per request (maxRequestTokens): send fewer or shorter texts`,
        );
      }
      if (!timing) return batcher.submit(items, { costs, signal });
      const batch: BatchTiming = { queueMs: 0, processMs: 0, batchSize: 0 };
      const predictions = await batcher.submit(items, { costs, signal, timing: batch });
      Object.assign(timing, { queueMs: batch.queueMs, inferenceMs: batch.processMs, batchSize: batch.batchSize });
      return predictions;
    };
    let disposed: Promise<void> | null = null;

    /** Hands a batch to the observe hook in the default view; observation never fails a prediction. */
    const observe = async (pipelines: Active['pipelines'], served: { calibrated: boolean; predictions: readonly Prediction[]; results: readonly ServedResult[]; durationSeconds: number }) => {
      if (!hooks.observe) return;
      const { calibrated, predictions, results, durationSeconds } = served;
      try {
        const view = pipelines.calibrated && !calibrated ? await pipelines.calibrated.process(predictions) : results;
        hooks.observe({ results: view, ids: results.map((r) => r.id), durationSeconds });
      } catch (error) {
        try {
          options.onError(error);
        } catch {
          // nowhere left to report to
        }
      }
    };

    return {
      name: options.modelName ?? engine.bundle.name,
      modelId,
      tokenizerId,
      get calibrationId() {
        return active.file ? calibrationId(active.file) : null;
      },
      get abstentionRules() {
        return active.rules.map((r) => r.name);
      },
      labels: engine.labels,
      maxLength,
      attentions: engine.capabilities.attentions,
      variant: engine.bundle.variant,
      capabilities: engine.capabilities,
      get calibration() {
        return active.file;
      },

      setCalibration(file) {
        checkCalibrationModel(file.model, { modelId, tokenizerId, labels: engine.labels }, 'calibration');
        const calibrator = createCalibrator(file.calibration, calibrationId(file), hooks.calibrators);
        const nextRules = rulesFor(file);
        active = {
          file,
          rules: nextRules,
          pipelines: {
            raw: createPipeline({ engine, abstention: nextRules }),
            calibrated: createPipeline({ engine, calibrator, abstention: nextRules }),
          },
        };
      },

      async predictRaw(texts, signal) {
        // Slices of at most one batch and one request's tokens, a few at a time: a large fit
        // never fills the queue on its own (each slice is admitted like a request).
        const { costs, items } = await price(texts);
        const slices: Array<{ texts: QueuedText[]; costs: number[] }> = [];
        let current = { texts: [] as QueuedText[], costs: [] as number[], tokens: 0 };
        items.forEach((item, i) => {
          if (current.texts.length >= options.maxBatchSize || (current.texts.length > 0 && current.tokens + costs[i] > options.maxRequestTokens)) {
            slices.push(current);
            current = { texts: [], costs: [], tokens: 0 };
          }
          current.texts.push(item);
          current.costs.push(costs[i]);
          current.tokens += costs[i];
        });
        if (current.texts.length > 0) slices.push(current);
        const out: Prediction[][] = new Array(slices.length);
        const parallel = Math.max(1, options.workers);
        for (let i = 0; i < slices.length; i += parallel) {
          await Promise.all(
            slices.slice(i, i + parallel).map(async (slice, j) => (out[i + j] = await batcher.submit(slice.texts, { costs: slice.costs, signal }))),
          );
        }
        return out.flat();
      },

      tokenCosts,

      async prepare(texts, policy = DEFAULT_TEXT_POLICY) {
        const out = texts.map((text, i) => {
          if (text.length <= options.maxTextLength) return text;
          if (!policy.truncate) {
            throw new ApiError(
              'TEXT_TOO_LONG',
              `input ${i} has ${text.length} characters; the limit is ${options.maxTextLength} (send truncate: true to cut it)`,
            );
          }
          return cutChars(text, options.maxTextLength, policy.direction);
        });
        if (policy.truncate && policy.direction === 'right') return out; // the engine keeps the start itself
        const encodings = await engine.encode(out);
        return out.map((text, i) => {
          const { ids, offsets } = encodings[i];
          if (ids.length <= maxLength) return text;
          if (!policy.truncate) {
            throw new ApiError(
              'TEXT_TOO_LONG',
              `input ${i} has ${ids.length} tokens; the model takes at most ${maxLength} (send truncate: true to cut it)`,
            );
          }
          // Keep the last maxLength - 2 tokens (between <s> and </s>).
          return text.slice(offsets[ids.length - 1 - (maxLength - 2)][0]);
        });
      },

      async classify(texts, { calibrated, signal, commit, timing }) {
        const { pipelines } = active;
        const pipeline = calibrated ? pipelines.calibrated : pipelines.raw;
        if (!pipeline) {
          throw new ApiError('CALIBRATION_NOT_CONFIGURED', 'calibrated probabilities need a server started with a calibration file (glassbox serve --calibration FILE; config calibrationPath)');
        }
        const started = performance.now();
        const predictions = await submit(texts, signal, timing);
        const classified = performance.now();
        const durationSeconds = (classified - started) / 1000;
        const results = await pipeline.process(predictions);
        const served = results.map((r): ServedResult => ({ ...r, id: randomUUID() }));
        const processed = performance.now();
        await commit?.(served);
        if (timing) Object.assign(timing, { pipelineMs: processed - classified, commitMs: performance.now() - processed });
        await observe(pipelines, { calibrated, predictions, results: served, durationSeconds });
        return served;
      },

      async checkExplainBudget(texts, explainOptions) {
        const lane = laneEngine();
        for (const [i, text] of texts.entries()) {
          await checkExplainBudget(lane, text, withExplainers(explainOptions), budget, texts.length === 1 ? 'the text' : `input ${i}`);
        }
      },

      async explain(text, explainOptions, signal) {
        const lane = laneEngine(signal);
        await checkExplainBudget(lane, text, withExplainers(explainOptions), budget);
        const release = await explanations.acquire(signal);
        try {
          return await explainText(lane, text, withExplainers(explainOptions));
        } finally {
          release();
        }
      },

      stats: () => batcher.stats(),
      loadStats: () => ({ scheduler: scheduler.stats(), explanations: explanations.stats(), workers: engine.workerPool?.stats() ?? null }),
      workerPool: engine.workerPool ?? null,
      drain: () => batcher.drain(),

      dispose() {
        disposed ??= batcher.close().then(() => engine.dispose());
        return disposed;
      },
    };
  } catch (error) {
    await engine.dispose();
    throw error;
  }
}
