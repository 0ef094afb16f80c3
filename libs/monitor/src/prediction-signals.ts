import { GlassboxError } from '@glassbox/core';

/** The per-prediction numbers the monitor buckets. */
export interface PredictionSignals {
  /** Index of the top class (the first one on ties). */
  labelIndex: number;
  /** Top-class probability. */
  confidence: number;
  /** Top-1 minus top-2 probability, in [0, 1] (equals `confidence` with a single label). */
  margin: number;
  /** Shannon entropy in bits, in [0, log2 k]. */
  entropy: number;
}

/**
 * Confidence, margin and entropy (bits) of one probability vector. The vector is normalised by
 * its sum first, so float32 rounding does not push entropy out of range. Throws INVALID_INPUT for
 * an empty vector, a negative or non-finite entry, or an all-zero vector.
 */
export function predictionSignals(probabilities: ArrayLike<number>): PredictionSignals {
  const k = probabilities.length;
  if (k === 0) throw new GlassboxError('INVALID_INPUT', 'probabilities must not be empty.');
  let sum = 0;
  let top = -1;
  let first = -Infinity;
  let second = 0;
  for (let i = 0; i < k; i++) {
    const p = probabilities[i];
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0) {
      throw new GlassboxError('INVALID_INPUT', `probabilities[${i}] must be a finite number >= 0 (got ${String(p)}).`);
    }
    sum += p;
    if (p > first) {
      second = Math.max(second, first);
      first = p;
      top = i;
    } else if (p > second) {
      second = p;
    }
  }
  if (sum <= 0) throw new GlassboxError('INVALID_INPUT', 'probabilities must not all be 0.');
  let entropy = 0;
  for (let i = 0; i < k; i++) {
    const p = probabilities[i] / sum;
    if (p > 0) entropy -= p * Math.log2(p);
  }
  return {
    labelIndex: top,
    confidence: first / sum,
    margin: (first - second) / sum,
    entropy: Math.max(0, entropy),
  };
}

/** A prediction as the monitor and reference builder accept it. */
export type ProbabilityInput =
  | ArrayLike<number>
  | { readonly probabilities: ArrayLike<number> | Readonly<Record<string, number>> };

/**
 * The probability vector of `input` in `labels` order: a bare vector, or an object whose
 * `probabilities` is a vector or a record by label name (as in core's `Prediction` and
 * `PipelineResult`). Throws INVALID_INPUT when the length differs from `labels` or a label is
 * missing from the record.
 */
export function probabilityVector(input: ProbabilityInput, labels: readonly string[]): ArrayLike<number> {
  const source = isVector(input) ? input : input?.probabilities;
  if (source === undefined || source === null || typeof source !== 'object') {
    throw new GlassboxError('INVALID_INPUT', 'a prediction must be a probability vector or an object with `probabilities`.');
  }
  if (isVector(source)) {
    if (source.length !== labels.length) {
      throw new GlassboxError('INVALID_INPUT', `a probability vector needs ${labels.length} entries (${labels.join(', ')}), got ${source.length}.`);
    }
    return source;
  }
  const record = source as Readonly<Record<string, number>>;
  const out = new Float64Array(labels.length);
  for (let j = 0; j < labels.length; j++) {
    const p = record[labels[j]];
    if (typeof p !== 'number') {
      throw new GlassboxError('INVALID_INPUT', `probabilities lack label "${labels[j]}"; expected labels ${labels.join(', ')}.`);
    }
    out[j] = p;
  }
  return out;
}

function isVector(x: unknown): x is ArrayLike<number> {
  return Array.isArray(x) || ArrayBuffer.isView(x);
}
