import { defaultIntraOpThreads, GlassboxError, isGlassboxError, MODEL_VARIANTS, type ModelVariant } from '@glassbox/core';
import type { MetricsRegistry, StateStore } from '@glassbox/monitor';

/** An OpenTelemetry meter (the type the monitor's registry hands out). */
export type ApiMeter = ReturnType<MetricsRegistry['meter']>;

/** Where structured log lines go: one JSON object per line (process.stderr satisfies it). */
export interface LogSink {
  write(line: string): unknown;
}

/** A token bucket per client IP: `burst` requests at once, refilled at `requestsPerSecond`. */
export interface RateLimitOptions {
  requestsPerSecond: number;
  /** Bucket size (default: requestsPerSecond, at least 1). */
  burst?: number;
}

export interface ApiServerOptions {
  /**
   * Plugin files or npm packages to load beside the built-ins (each default-exports a plugin
   * descriptor or an array of them); relative paths and package names resolve from the process's
   * working directory. Their explainers appear in /v1/explain, /openapi.json and /v1/plugins.
   */
  plugins?: readonly string[];
  /** The model bundle to serve. Give this or `modelDirs`. */
  modelDir?: string;
  /** Several bundles served as one ensemble (mean of their probabilities). */
  modelDirs?: readonly string[];
  /** A calibration file (`glassbox calibrate`) fitted for this model; probabilities are then calibrated. */
  calibrationPath?: string;
  /**
   * Where calibrations fitted through POST /v1/calibration/fit are also written, as
   * calibration-vN.json (created if missing); in memory only when absent.
   */
  calibrationDir?: string;
  /** Abstention rule, as the CLI's --abstain: a registered rule's NAME or NAME:VALUE (the built-ins: certified, max-probability:THRESHOLD, margin:THRESHOLD, entropy:BITS; a rule from `plugins` too). */
  abstain?: string;
  /** Worker threads running the model (default 1; 0 runs it on the event loop's thread). */
  workers?: number;
  /**
   * ONNX Runtime intra-op threads of each worker's session (default: the cores Node can use,
   * `os.availableParallelism()`, divided among the workers, at least 1; see docs/architecture.md,
   * "Threads on a small machine").
   */
  intraOpThreads?: number;
  /**
   * Whether ONNX Runtime's intra-op threads spin between parallel sections instead of sleeping
   * (default false: the server's threads share the cores with the event loop, and spinning ones
   * take them from it under load; true trades idle CPU for a little latency, see BENCHMARKS.md).
   */
  spinning?: boolean;
  /**
   * Which graph of each bundle to serve: 'fp32' (`model.onnx`) or 'quantized'
   * (`model_quantized.onnx`); default: fp32 when the bundle has it, else quantized.
   */
  variant?: ModelVariant;
  /** Most texts per forward pass and per micro-batch (default 32). */
  maxBatchSize?: number;
  /**
   * How long an idle model waits for more texts to share a batch, in milliseconds (default 0:
   * send at once). While the model is busy, texts queue and go together as soon as it frees up,
   * whatever this is; BENCHMARKS.md measures both.
   */
  maxWaitMs?: number;
  /** Most padded tokens per forward pass (default 8192). */
  maxBatchTokens?: number;
  /** Most texts in one request (default 64); more gives 422 TOO_MANY_INPUTS. */
  maxInputs?: number;
  /**
   * Most tokens in one request (default 32768: 64 texts of 512 tokens), each text counted up to
   * the model's maximum length (what the model runs on); more gives 422 TOO_MANY_TOKENS.
   */
  maxRequestTokens?: number;
  /**
   * Admission control: most texts waiting for the model, all requests together (default
   * max(4 x maxBatchSize, maxInputs) = 128, a few batches' worth, so a one-text request waits for
   * at most a few forward passes). A request that would queue more gets 503 OVERLOADED with
   * Retry-After at once. Texts already on the model do not count. At least maxInputs.
   */
  maxQueuedTexts?: number;
  /**
   * Admission control in tokens (counted as for maxRequestTokens): most tokens waiting for the
   * model (default max(4 x maxBatchTokens, maxRequestTokens) = 32768). At least maxRequestTokens.
   */
  maxQueuedTokens?: number;
  /**
   * Explanations running at once (default 1). They run in their own lane: their forward passes
   * go to the model only when no prediction waits, so they never hold predictions back by more
   * than one explanation chunk (explainChunkTokens).
   */
  maxConcurrentExplanations?: number;
  /** Explanations waiting for a turn (default 4); beyond that, 503 OVERLOADED with Retry-After. */
  maxQueuedExplanations?: number;
  /**
   * Explanation budget: most units occlusion occludes in one explanation, over all of a long
   * text's model windows (default 512). Word granularity occludes one unit per word, token one
   * per token, window one per window_stride tokens. Over budget: 422 EXPLAIN_BUDGET_EXCEEDED.
   */
  maxExplainUnits?: number;
  /**
   * Explanation budget: most forward passes in one explanation (default 256), each of at most
   * explainChunkTokens padded tokens; the prediction, occlusion, rollout and faithfulness count.
   * Faithfulness needs a text within the model's maximum length. Over budget: 422
   * EXPLAIN_BUDGET_EXCEEDED.
   */
  maxExplainForwardPasses?: number;
  /**
   * Most texts of a /v1/predict request with explain: true (default 4); each is explained within
   * the same budget as /v1/explain. More gives 422 EXPLAIN_BUDGET_EXCEEDED.
   */
  maxExplainInputs?: number;
  /**
   * Padded tokens per explanation forward pass (default 512, at least the model's maximum
   * length): the chunk a prediction may have to wait for. Smaller favours prediction latency,
   * larger explanation throughput (on the embedded model, 512 kept predictions at their idle
   * latency while an explanation ran, 8% slower than 2048).
   */
  explainChunkTokens?: number;
  /** Most characters per text (default 10000): longer ones are cut, or refused with 422 under truncate: false. */
  maxTextLength?: number;
  /** Largest request body, in bytes or as '1mb' (default '1mb'). */
  bodyLimit?: string | number;
  /**
   * Routes that change state or read the audit trail (/admin/*, /v1/predictions*, calibration fit
   * and select, feedback without its token) need `Authorization: Bearer <apiKey>`. Without a key
   * they answer loopback clients only, and listen() refuses a non-loopback host.
   */
  apiKey?: string;
  /**
   * Host header names the server answers for, besides localhost, *.localhost and IP literals
   * (always allowed); '*.example.com' allows subdomains, ['*'] any name. Others get 403
   * HOST_NOT_ALLOWED (DNS rebinding protection). Default: none.
   */
  allowedHosts?: readonly string[];
  /** Origins allowed to call from a browser ('*' for any); CORS is off when absent. */
  cors?: readonly string[];
  /** Name in responses and in model routes (default: the bundle's name). */
  modelName?: string;
  /**
   * Per-IP rate limit on the inference routes; off when absent (`glassbox serve --rate-limit RPS
   * --rate-burst N`). Over it: 429 RATE_LIMITED with Retry-After.
   */
  rateLimit?: RateLimitOptions;
  /** How long close() waits for in-flight requests before cutting connections (default 10000 ms). */
  closeTimeoutMs?: number;
  /**
   * Longest time to receive a whole request, headers and body (default 30000 ms; Node's own is
   * 300 s): a slower client, or one whose body is shorter than its Content-Length, gets 408
   * REQUEST_TIMEOUT and its connection is closed. Not a limit on computing the answer.
   */
  requestTimeoutMs?: number;
  /** Longest time to receive a request's headers (default 10000 ms; at most requestTimeoutMs): 408 after it. */
  headersTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open between requests (default 5000 ms). */
  keepAliveTimeoutMs?: number;
  /**
   * Where unexpected errors go (500s; they never reach a client in detail), and failures of the
   * drift monitor, the meter or the log (once per distinct message; they never fail a
   * prediction). Failing state writes are not sent here: they answer 503 AUDIT_WRITE_FAILED and
   * are logged once per condition to `log`. Default: console.error.
   */
  onError?: (error: unknown) => void;
  /**
   * A reference profile (`glassbox monitor reference`) of this model: every served prediction is
   * then compared with it by a drift monitor (GET /v1/monitor, alarms, drift metrics).
   */
  referencePath?: string;
  /**
   * A reference profile used only when `referencePath` is not given and the state holds none for
   * this model (`glassbox serve` passes the model bundle's reference.json). It is not stored, so
   * a later start takes the bundle's current one.
   */
  defaultReferencePath?: string;
  /**
   * Whether a start without `referencePath` reuses the reference an earlier start stored in the
   * state database (default true; `glassbox serve --no-reference` sets false).
   */
  useStoredReference?: boolean;
  /** Predictions in the drift monitor's sliding window (default 500). */
  monitorWindow?: number;
  /**
   * Predictions between false drift alarms under no drift, for the whole monitor (default 200,000):
   * every threshold is calibrated to it at start unless the reference already holds thresholds for
   * this window (`glassbox monitor reference --window`). null: per-window tests at alpha 0.001.
   */
  expectedRunLength?: number | null;
  /** /v1/predict results kept in the audit log; the oldest drop first (default 10000; 0 keeps none). */
  auditLimit?: number;
  /** Audit rows older than this many days are dropped (state database only; default: no age limit). */
  auditMaxAgeDays?: number;
  /**
   * An SQLite state database (created if missing; WAL). The audit log, the drift window's
   * observations, alarms and series, the reference profile and calibration versions are kept
   * there and survive restarts and crashes. In memory only when absent or ':memory:' (the library
   * default; `glassbox serve` defaults to ./glassbox-data/state.db, see state-location.ts).
   */
  statePath?: string;
  /**
   * With a PostgreSQL statePath: this replica's name in audit rows, feedback events and
   * heartbeats (default `<hostname>:<pid>`).
   */
  replicaId?: string;
  /**
   * With a PostgreSQL statePath: milliseconds between reads of the fleet's active calibration (a
   * selection on one replica is active on all within this) and between heartbeats (a replica
   * that cannot write turns unready within this). Default 2000.
   */
  sharedStatePollMs?: number;
  /**
   * An open state store (openStateStore) to use instead of opening `statePath`; the server owns
   * it from then on and closes it on close(). For embedding and tests.
   */
  stateStore?: StateStore;
  /** 'normal' (default): committed writes survive a killed process; 'full': also a power cut (one fsync per write). */
  stateDurability?: 'normal' | 'full';
  /** Keep each text in the audit trail (default false), which re-explaining a stored prediction needs. */
  storeText?: boolean;
  /** Structured log lines (drift alarms, state writes failing and recovered), one JSON object per line. Default: process.stderr. */
  log?: LogSink;
  /**
   * Where the glassbox instruments are created. Default: the server's own registry, served at
   * GET /metrics (with another meter, /metrics shows only what reaches the registry).
   */
  meter?: ApiMeter;
  /** The built dashboard served at `/` (default: apps/dashboard/dist next to this package). */
  dashboardDir?: string;
}

export interface ResolvedApiOptions {
  modelDirs: readonly string[];
  calibrationPath: string | null;
  calibrationDir: string | null;
  abstain: string | null;
  workers: number;
  intraOpThreads: number;
  spinning: boolean;
  /** The variant asked for; null serves what the bundle has (fp32 first). */
  variant: ModelVariant | null;
  maxBatchSize: number;
  maxWaitMs: number;
  maxBatchTokens: number;
  maxInputs: number;
  maxRequestTokens: number;
  maxQueuedTexts: number;
  maxQueuedTokens: number;
  maxConcurrentExplanations: number;
  maxQueuedExplanations: number;
  maxExplainUnits: number;
  maxExplainForwardPasses: number;
  plugins: readonly string[];
  maxExplainInputs: number;
  explainChunkTokens: number;
  maxTextLength: number;
  bodyLimit: string | number;
  apiKey: string | null;
  allowedHosts: readonly string[];
  cors: readonly string[];
  modelName: string | null;
  rateLimit: Required<RateLimitOptions> | null;
  closeTimeoutMs: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  onError: (error: unknown) => void;
  referencePath: string | null;
  defaultReferencePath: string | null;
  useStoredReference: boolean;
  monitorWindow: number;
  expectedRunLength: number | null;
  auditLimit: number;
  auditMaxAgeDays: number | null;
  /** The state database file; null when the state is in memory (or `stateStore` was given). */
  statePath: string | null;
  replicaId: string | null;
  sharedStatePollMs: number;
  stateDurability: 'normal' | 'full';
  storeText: boolean;
  log: LogSink;
  meter: ApiMeter | null;
  dashboardDir: string | null;
}

function invalid(message: string): never {
  throw new GlassboxError('INVALID_OPTION', message);
}

function integer(name: string, value: number | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) invalid(`${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
  return v;
}

function nonEmpty(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') invalid(`${name} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

function pluginSpecs(specs: unknown): readonly string[] {
  if (specs === undefined) return [];
  if (!Array.isArray(specs)) invalid(`plugins must be a list of plugin files or package names, got ${JSON.stringify(specs)}`);
  return specs.map((s, i) => nonEmpty(`plugins[${i}]`, s));
}

/**
 * The default error handler: a coded GlassboxError (a failed metrics push, say: an operational
 * condition whose message says what happened) is one line; anything else is a bug, with its stack.
 */
export function defaultOnError(error: unknown): void {
  if (isGlassboxError(error)) console.error(`glassbox api: ${error.message} [${error.code}]`);
  else console.error('glassbox api: unexpected error', error);
}

/** Fills in every default and checks every option; bad configuration throws INVALID_OPTION here. */
export function resolveApiOptions(options: ApiServerOptions): ResolvedApiOptions {
  if (options === null || typeof options !== 'object') invalid('createApiServer needs an options object with modelDir or modelDirs');
  const { modelDir, modelDirs } = options;
  if ((modelDir === undefined) === (modelDirs === undefined)) {
    invalid('give exactly one of modelDir (one model) or modelDirs (an ensemble)');
  }
  const dirs = modelDir !== undefined ? [nonEmpty('modelDir', modelDir)] : modelDirs;
  if (!Array.isArray(dirs) || dirs.length === 0) invalid('modelDirs must be a non-empty array of model directories');
  dirs.forEach((d, i) => nonEmpty(`modelDirs[${i}]`, d));

  const maxWaitMs = options.maxWaitMs ?? 0;
  if (typeof maxWaitMs !== 'number' || !Number.isFinite(maxWaitMs) || maxWaitMs < 0 || maxWaitMs > 60_000) {
    invalid(`maxWaitMs must be a number of milliseconds in [0, 60000], got ${String(maxWaitMs)}`);
  }
  const bodyLimit = options.bodyLimit ?? '1mb';
  if (!(typeof bodyLimit === 'number' ? Number.isInteger(bodyLimit) && bodyLimit > 0 : /^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i.test(bodyLimit))) {
    invalid(`bodyLimit must be a byte count or a size such as '1mb', got ${JSON.stringify(bodyLimit)}`);
  }
  const cors = options.cors ?? [];
  if (!Array.isArray(cors)) invalid(`cors must be a list of origins such as ['https://app.example.com'] or ['*']`);
  cors.forEach((o, i) => nonEmpty(`cors[${i}]`, o));

  const allowedHosts = options.allowedHosts ?? [];
  if (!Array.isArray(allowedHosts)) invalid(`allowedHosts must be a list of host names such as ['glassbox.example.com'] or ['*']`);
  allowedHosts.forEach((h, i) => nonEmpty(`allowedHosts[${i}]`, h));

  let rateLimit: Required<RateLimitOptions> | null = null;
  if (options.rateLimit !== undefined) {
    const rps = options.rateLimit.requestsPerSecond;
    if (typeof rps !== 'number' || !(rps > 0) || !Number.isFinite(rps)) {
      invalid(`rateLimit.requestsPerSecond must be a number > 0, got ${String(rps)}`);
    }
    const burst = integer('rateLimit.burst', options.rateLimit.burst, Math.max(1, Math.ceil(rps)), 1);
    rateLimit = { requestsPerSecond: rps, burst };
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') invalid('onError must be a function');
  if (options.spinning !== undefined && typeof options.spinning !== 'boolean') invalid(`spinning must be true or false, got ${JSON.stringify(options.spinning)}`);
  if (options.storeText !== undefined && typeof options.storeText !== 'boolean') invalid(`storeText must be true or false, got ${JSON.stringify(options.storeText)}`);
  if (options.log !== undefined && (options.log === null || typeof options.log.write !== 'function')) {
    invalid('log must have a write(line) method, such as process.stderr');
  }
  const age = options.auditMaxAgeDays;
  if (age !== undefined && !(typeof age === 'number' && age > 0 && Number.isFinite(age))) {
    invalid(`auditMaxAgeDays must be a number of days > 0, got ${String(age)}`);
  }
  const requestTimeoutMs = integer('requestTimeoutMs', options.requestTimeoutMs, 30_000, 1, 3_600_000);
  const headersTimeoutMs = integer('headersTimeoutMs', options.headersTimeoutMs, Math.min(10_000, requestTimeoutMs), 1, 3_600_000);
  if (headersTimeoutMs > requestTimeoutMs) invalid(`headersTimeoutMs (${headersTimeoutMs}) must not exceed requestTimeoutMs (${requestTimeoutMs})`);
  const durability = options.stateDurability ?? 'normal';
  if (durability !== 'normal' && durability !== 'full') invalid(`stateDurability must be 'normal' or 'full', got ${JSON.stringify(durability)}`);
  if (options.stateStore !== undefined && options.statePath !== undefined) invalid('give statePath or stateStore, not both');
  if (options.stateStore !== undefined && (options.stateStore === null || typeof options.stateStore.auditLog !== 'function')) {
    invalid('stateStore must be a StateStore from openStateStore');
  }
  if (options.meter !== undefined && (options.meter === null || typeof options.meter.createCounter !== 'function')) {
    invalid('meter must be an OpenTelemetry Meter');
  }

  const variant = options.variant ?? null;
  if (variant !== null && !MODEL_VARIANTS.includes(variant)) invalid(`variant must be one of ${MODEL_VARIANTS.join(', ')}, got ${JSON.stringify(variant)}`);
  const workers = integer('workers', options.workers, 1, 0, 64);

  const maxBatchSize = integer('maxBatchSize', options.maxBatchSize, 32, 1, 4096);
  const maxBatchTokens = integer('maxBatchTokens', options.maxBatchTokens, 8192, 1);
  const maxInputs = integer('maxInputs', options.maxInputs, 64, 1, 100_000);
  const maxRequestTokens = integer('maxRequestTokens', options.maxRequestTokens, 32_768, 1);
  const maxQueuedTexts = integer('maxQueuedTexts', options.maxQueuedTexts, Math.max(4 * maxBatchSize, maxInputs), 1);
  const maxQueuedTokens = integer('maxQueuedTokens', options.maxQueuedTokens, Math.max(4 * maxBatchTokens, maxRequestTokens), 1);
  if (maxQueuedTexts < maxInputs) invalid(`maxQueuedTexts (${maxQueuedTexts}) must be at least maxInputs (${maxInputs}), or a full request could never be admitted`);
  if (maxQueuedTokens < maxRequestTokens) {
    invalid(`maxQueuedTokens (${maxQueuedTokens}) must be at least maxRequestTokens (${maxRequestTokens}), or a full request could never be admitted`);
  }

  return {
    modelDirs: [...dirs],
    calibrationPath: options.calibrationPath === undefined ? null : nonEmpty('calibrationPath', options.calibrationPath),
    calibrationDir: options.calibrationDir === undefined ? null : nonEmpty('calibrationDir', options.calibrationDir),
    abstain: options.abstain === undefined ? null : nonEmpty('abstain', options.abstain),
    workers,
    intraOpThreads: integer('intraOpThreads', options.intraOpThreads, defaultIntraOpThreads(workers), 1, 1024),
    spinning: options.spinning ?? false,
    variant,
    maxBatchSize,
    maxWaitMs,
    maxBatchTokens,
    maxInputs,
    maxRequestTokens,
    maxQueuedTexts,
    maxQueuedTokens,
    maxConcurrentExplanations: integer('maxConcurrentExplanations', options.maxConcurrentExplanations, 1, 1, 1024),
    maxQueuedExplanations: integer('maxQueuedExplanations', options.maxQueuedExplanations, 4, 0, 100_000),
    maxExplainUnits: integer('maxExplainUnits', options.maxExplainUnits, 512, 1),
    maxExplainForwardPasses: integer('maxExplainForwardPasses', options.maxExplainForwardPasses, 256, 1),
    plugins: pluginSpecs(options.plugins),
    maxExplainInputs: integer('maxExplainInputs', options.maxExplainInputs, 4, 1, 100_000),
    explainChunkTokens: integer('explainChunkTokens', options.explainChunkTokens, 512, 1),
    maxTextLength: integer('maxTextLength', options.maxTextLength, 10_000, 1),
    bodyLimit,
    apiKey: options.apiKey === undefined ? null : nonEmpty('apiKey', options.apiKey),
    allowedHosts: [...allowedHosts],
    cors: [...cors],
    modelName: options.modelName === undefined ? null : nonEmpty('modelName', options.modelName),
    rateLimit,
    closeTimeoutMs: integer('closeTimeoutMs', options.closeTimeoutMs, 10_000, 0),
    requestTimeoutMs,
    headersTimeoutMs,
    keepAliveTimeoutMs: integer('keepAliveTimeoutMs', options.keepAliveTimeoutMs, 5_000, 0, 3_600_000),
    onError: options.onError ?? defaultOnError,
    referencePath: options.referencePath === undefined ? null : nonEmpty('referencePath', options.referencePath),
    defaultReferencePath: options.defaultReferencePath === undefined ? null : nonEmpty('defaultReferencePath', options.defaultReferencePath),
    useStoredReference: options.useStoredReference ?? true,
    monitorWindow: integer('monitorWindow', options.monitorWindow, 500, 1, 1_000_000),
    expectedRunLength: options.expectedRunLength === null ? null : integer('expectedRunLength', options.expectedRunLength, 200_000, 1, 1e12),
    auditLimit: integer('auditLimit', options.auditLimit, 10_000, 0, 10_000_000),
    auditMaxAgeDays: age ?? null,
    statePath: options.statePath === undefined || options.statePath === ':memory:' ? null : nonEmpty('statePath', options.statePath),
    replicaId: options.replicaId === undefined ? null : nonEmpty('replicaId', options.replicaId),
    sharedStatePollMs: integer('sharedStatePollMs', options.sharedStatePollMs, 2000, 10, 3_600_000),
    stateDurability: durability,
    storeText: options.storeText ?? false,
    log: options.log ?? process.stderr,
    meter: options.meter ?? null,
    dashboardDir: options.dashboardDir === undefined ? null : nonEmpty('dashboardDir', options.dashboardDir),
  };
}
