import { mulberry32 } from '@glassbox/core';
import { evaluateAlarms } from './alarm-rule.js';
import type { SignalKind } from './alarm-rule.js';
import { bucketIndex, CONFIDENCE_BUCKETS, ENTROPY_BUCKETS, MARGIN_BUCKETS } from './buckets.js';
import { driftStatistics } from './drift-statistics.js';
import { predictionSignals } from './prediction-signals.js';

/**
 * Seeded simulators for the alarm tests: multinomial label counts and synthetic 7-class
 * probability vectors. Test-only (excluded from the library build).
 */

/** A categorical draw from `p` (shares summing to 1). */
export function categorical(rng: () => number, p: ArrayLike<number>): number {
  let u = rng();
  for (let i = 0; i < p.length - 1; i++) {
    u -= p[i];
    if (u < 0) return i;
  }
  return p.length - 1;
}

/** Counts of `n` categorical draws from `p`. */
export function multinomial(rng: () => number, n: number, p: ArrayLike<number>): Float64Array {
  const counts = new Float64Array(p.length);
  for (let i = 0; i < n; i++) counts[categorical(rng, p)] += 1;
  return counts;
}

/** A standard normal draw (Box-Muller). */
export function gaussian(rng: () => number): number {
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Class prior of the simulated traffic: anger, disgust, fear, joy, neutral, sadness, surprise. */
export const LABEL_PRIOR = [0.08, 0.04, 0.06, 0.3, 0.32, 0.12, 0.08];
export const LABELS = ['anger', 'disgust', 'fear', 'joy', 'neutral', 'sadness', 'surprise'];

export interface SimulatedModel {
  /** Class prior the true labels are drawn from. */
  prior?: ArrayLike<number>;
  /** Logit boost of the true class (how separable the classes are). Default 3. */
  signal?: number;
  /** Softmax temperature; above 1 the model grows less confident. Default 1. */
  temperature?: number;
}

/** One probability vector: a true class from `prior`, logits N(0, 1) plus `signal` on it. */
export function simulateProbabilities(rng: () => number, model: SimulatedModel = {}): Float64Array {
  const prior = model.prior ?? LABEL_PRIOR;
  const signal = model.signal ?? 3;
  const t = model.temperature ?? 1;
  const k = prior.length;
  const truth = categorical(rng, prior);
  const logits = new Float64Array(k);
  let max = -Infinity;
  for (let j = 0; j < k; j++) {
    logits[j] = (gaussian(rng) + (j === truth ? signal : 0)) / t;
    max = Math.max(max, logits[j]);
  }
  let sum = 0;
  for (let j = 0; j < k; j++) {
    logits[j] = Math.exp(logits[j] - max);
    sum += logits[j];
  }
  for (let j = 0; j < k; j++) logits[j] /= sum;
  return logits;
}

export interface SimulatedCounts {
  confidence: Float64Array;
  margin: Float64Array;
  entropy: Float64Array;
  labels: Float64Array;
}

/**
 * Bucket counts of `n` simulated predictions. `confidenceShift` moves every top-class
 * probability down by that much (floored at 1/7) on the confidence signal only.
 */
export function simulateCounts(rng: () => number, n: number, model: SimulatedModel = {}, confidenceShift = 0): SimulatedCounts {
  const counts: SimulatedCounts = {
    confidence: new Float64Array(CONFIDENCE_BUCKETS.length + 1),
    margin: new Float64Array(MARGIN_BUCKETS.length + 1),
    entropy: new Float64Array(ENTROPY_BUCKETS.length + 1),
    labels: new Float64Array(LABELS.length),
  };
  for (let i = 0; i < n; i++) {
    const s = predictionSignals(simulateProbabilities(rng, model));
    counts.confidence[bucketIndex(Math.max(1 / 7, s.confidence - confidenceShift), CONFIDENCE_BUCKETS)] += 1;
    counts.margin[bucketIndex(s.margin, MARGIN_BUCKETS)] += 1;
    counts.entropy[bucketIndex(s.entropy, ENTROPY_BUCKETS)] += 1;
    counts.labels[s.labelIndex] += 1;
  }
  return counts;
}

/** A simulated signal: its name, kind and bucket edges (null for labels). */
export interface SimulatedSignal {
  signal: keyof SimulatedCounts;
  kind: SignalKind;
  edges: readonly number[] | null;
}

export const SIMULATED_SIGNALS: readonly SimulatedSignal[] = [
  { signal: 'confidence', kind: 'ordinal', edges: CONFIDENCE_BUCKETS },
  { signal: 'margin', kind: 'ordinal', edges: MARGIN_BUCKETS },
  { signal: 'entropy', kind: 'ordinal', edges: ENTROPY_BUCKETS },
  { signal: 'labels', kind: 'nominal', edges: null },
];

export interface AlarmRateOptions {
  seed: number;
  /** Predictions per window. */
  n: number;
  reference: SimulatedCounts;
  windows: number;
  model?: SimulatedModel;
  /** Confidence shift of every window (see simulateCounts). */
  shift?: number;
  signals?: readonly SimulatedSignal[];
}

/** Share of `windows` seeded simulated windows that alarm against `reference`, per `signal/statistic`. */
export function simulatedAlarmRates(options: AlarmRateOptions): Record<string, number> {
  const { seed, n, reference, windows, model = {}, shift = 0, signals = SIMULATED_SIGNALS } = options;
  const rng = mulberry32(seed);
  const alarms: Record<string, number> = {};
  for (let w = 0; w < windows; w++) {
    const window = simulateCounts(rng, n, model, shift);
    for (const { signal, kind, edges } of signals) {
      for (const d of evaluateAlarms(driftStatistics(window[signal], reference[signal], { edges }), kind)) {
        const key = `${signal}/${d.statistic}`;
        alarms[key] = (alarms[key] ?? 0) + (d.alarm ? 1 : 0);
      }
    }
  }
  return Object.fromEntries(Object.entries(alarms).map(([k, v]) => [k, v / windows]));
}
