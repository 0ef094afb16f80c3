import { GlassboxError } from '@glassbox/core';
import { assertBoundaries, bucketIndex, CONFIDENCE_BUCKETS, ENTROPY_BUCKETS, MARGIN_BUCKETS } from './buckets.js';
import type { ProbabilityInput } from './prediction-signals.js';
import { predictionSignals, probabilityVector } from './prediction-signals.js';
import type { RunLengthCalibration } from './run-length.js';
import { parseRunLengthCalibration } from './run-length.js';

/**
 * What "normal" looks like for one model: bucket counts of confidence, margin and entropy and
 * counts per predicted label over a reference set (e.g. the validation split), stored as JSON
 * beside the model. Build it from the same probability view the monitor sees (calibrated when
 * the pipeline calibrates).
 */
export interface ReferenceProfile {
  format: 'glassbox-reference';
  version: 1;
  model: { id: string; labels: string[] };
  /** Identity of the calibration the probabilities went through, if any. */
  calibration?: string | null;
  /** Predictions counted. */
  n: number;
  /** Finite upper-inclusive boundaries; each count vector has one more entry (+Inf). */
  buckets: { confidence: number[]; margin: number[]; entropy: number[] };
  counts: { confidence: number[]; margin: number[]; entropy: number[]; labels: number[] };
  /** Mean top-class probability. */
  mean_confidence: number;
  /**
   * Alarm thresholds calibrated to an expected run length, with the settings they were made for
   * (run-length.ts); absent until calibrated. The monitor uses them when its settings match.
   */
  run_length?: RunLengthCalibration;
}

export type SignalBuckets = ReferenceProfile['buckets'];

export const DEFAULT_SIGNAL_BUCKETS: Readonly<{ [K in keyof SignalBuckets]: readonly number[] }> = Object.freeze({
  confidence: CONFIDENCE_BUCKETS,
  margin: MARGIN_BUCKETS,
  entropy: ENTROPY_BUCKETS,
});

export interface BuildReferenceProfileOptions {
  /** Bucket boundaries per signal; defaults from `buckets.ts`. */
  buckets?: Partial<SignalBuckets>;
  calibration?: string | null;
}

/** What a parsed profile must match; a mismatch throws INVALID_OPTION. */
export interface ReferenceProfileExpectation {
  modelId?: string;
  /** Labels in model order. */
  labels?: readonly string[];
}

const SIGNALS = ['confidence', 'margin', 'entropy'] as const;

/**
 * Counts `predictions` (probability vectors, or objects with `probabilities` as a vector or a
 * record by label) into a reference profile. Throws INVALID_INPUT for no predictions or a
 * malformed one, INVALID_OPTION for bad labels or boundaries.
 */
export function buildReferenceProfile(
  predictions: Iterable<ProbabilityInput>,
  labels: readonly string[],
  modelId: string,
  options: BuildReferenceProfileOptions = {},
): ReferenceProfile {
  checkLabels(labels, failWith('INVALID_OPTION'));
  if (typeof modelId !== 'string' || modelId.length === 0) {
    throw new GlassboxError('INVALID_OPTION', 'modelId must be a non-empty string (e.g. the engine modelId()).');
  }
  const buckets: SignalBuckets = {
    confidence: [...(options.buckets?.confidence ?? DEFAULT_SIGNAL_BUCKETS.confidence)],
    margin: [...(options.buckets?.margin ?? DEFAULT_SIGNAL_BUCKETS.margin)],
    entropy: [...(options.buckets?.entropy ?? DEFAULT_SIGNAL_BUCKETS.entropy)],
  };
  for (const s of SIGNALS) assertBoundaries(buckets[s], `${s} buckets`);
  const counts = {
    confidence: new Array<number>(buckets.confidence.length + 1).fill(0),
    margin: new Array<number>(buckets.margin.length + 1).fill(0),
    entropy: new Array<number>(buckets.entropy.length + 1).fill(0),
    labels: new Array<number>(labels.length).fill(0),
  };
  let n = 0;
  let confidenceSum = 0;
  for (const prediction of predictions) {
    let signals;
    try {
      signals = predictionSignals(probabilityVector(prediction, labels));
    } catch (e) {
      throw new GlassboxError('INVALID_INPUT', `reference prediction ${n}: ${(e as Error).message}`, { cause: e });
    }
    for (const s of SIGNALS) counts[s][bucketIndex(signals[s], buckets[s])] += 1;
    counts.labels[signals.labelIndex] += 1;
    confidenceSum += signals.confidence;
    n++;
  }
  if (n === 0) {
    throw new GlassboxError('INVALID_INPUT', 'a reference profile needs at least one prediction.');
  }
  return {
    format: 'glassbox-reference',
    version: 1,
    model: { id: modelId, labels: [...labels] },
    calibration: options.calibration ?? null,
    n,
    buckets,
    counts,
    mean_confidence: confidenceSum / n,
  };
}

type Fail = (message: string) => never;

function failWith(code: 'INVALID_INPUT' | 'INVALID_OPTION'): Fail {
  return (message) => {
    throw new GlassboxError(code, message);
  };
}

function checkLabels(labels: unknown, fail: Fail): asserts labels is string[] {
  if (!Array.isArray(labels) || labels.length < 2 || labels.some((l) => typeof l !== 'string' || l.length === 0)) {
    fail('labels must be a list of at least 2 non-empty strings in model order.');
  }
  if (new Set(labels as string[]).size !== (labels as string[]).length) fail('labels must be unique.');
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function countVector(x: unknown, length: number, name: string, fail: Fail): number[] {
  if (!Array.isArray(x) || x.length !== length) fail(`counts.${name} must be an array of ${length} counts.`);
  const counts = x as unknown[];
  if (counts.some((c) => typeof c !== 'number' || !Number.isFinite(c) || c < 0)) fail(`counts.${name} must hold finite counts >= 0.`);
  return [...(counts as number[])];
}

/**
 * Validates a reference profile (a JSON string or an already parsed value) and returns a clean
 * copy. Throws INVALID_INPUT when it is malformed (wrong format or version, missing fields,
 * count vectors that do not match their buckets or do not sum to `n`), INVALID_OPTION when it
 * does not match `expected` (another model or other labels).
 */
export function parseReferenceProfile(json: unknown, expected: ReferenceProfileExpectation = {}): ReferenceProfile {
  const fail = (message: string): never => {
    throw new GlassboxError('INVALID_INPUT', `reference profile: ${message}`);
  };
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new GlassboxError('INVALID_INPUT', `reference profile is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
  }
  if (!isRecord(value)) return fail('expected a JSON object.');
  if (value.format !== 'glassbox-reference') fail(`format must be "glassbox-reference" (got ${JSON.stringify(value.format)}).`);
  if (value.version !== 1) fail(`version ${JSON.stringify(value.version)} is not supported; this build reads version 1.`);
  const model = value.model;
  if (!isRecord(model) || typeof model.id !== 'string' || model.id.length === 0) fail('model.id must be a non-empty string.');
  const { id, labels } = model as { id: string; labels: unknown };
  checkLabels(labels, (m) => fail(`model.${m}`));
  const n = value.n;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) fail('n must be an integer >= 1.');
  const bucketsIn = value.buckets;
  const countsIn = value.counts;
  if (!isRecord(bucketsIn)) return fail('buckets must be an object with confidence, margin and entropy boundaries.');
  if (!isRecord(countsIn)) return fail('counts must be an object with confidence, margin, entropy and labels counts.');
  const buckets = {} as SignalBuckets;
  const counts = {} as ReferenceProfile['counts'];
  for (const s of SIGNALS) {
    const b = bucketsIn[s];
    if (!Array.isArray(b)) fail(`buckets.${s} must be an array of boundaries.`);
    try {
      assertBoundaries(b as number[], `buckets.${s}`);
    } catch (e) {
      fail((e as Error).message);
    }
    buckets[s] = [...(b as number[])];
    counts[s] = countVector(countsIn[s], buckets[s].length + 1, s, fail);
  }
  counts.labels = countVector(countsIn.labels, labels.length, 'labels', fail);
  for (const key of [...SIGNALS, 'labels'] as const) {
    const sum = counts[key].reduce((a, b) => a + b, 0);
    if (Math.abs(sum - (n as number)) > 1e-9 * (n as number)) fail(`counts.${key} sum to ${sum}, not n = ${n}.`);
  }
  const mean = value.mean_confidence;
  if (typeof mean !== 'number' || !(mean >= 0 && mean <= 1)) fail('mean_confidence must be a number in [0, 1].');
  const calibration = value.calibration;
  if (calibration !== undefined && calibration !== null && typeof calibration !== 'string') fail('calibration must be a string or null.');
  const runLength = value.run_length === undefined || value.run_length === null ? undefined : parseRunLengthCalibration(value.run_length);

  if (expected.modelId !== undefined && expected.modelId !== id) {
    throw new GlassboxError('INVALID_OPTION', `reference profile is for model ${id}, not ${expected.modelId}; build one for this model.`);
  }
  if (expected.labels !== undefined && (expected.labels.length !== labels.length || expected.labels.some((l, i) => l !== labels[i]))) {
    throw new GlassboxError(
      'INVALID_OPTION',
      `reference profile labels (${labels.join(', ')}) differ from the model labels (${expected.labels.join(', ')}).`,
    );
  }
  return {
    format: 'glassbox-reference',
    version: 1,
    model: { id, labels: [...labels] },
    calibration: (calibration as string | null | undefined) ?? null,
    n: n as number,
    buckets,
    counts,
    mean_confidence: mean as number,
    ...(runLength && { run_length: runLength }),
  };
}
