import { GlassboxError } from '@glassbox/core';
import { mulberry32 } from './random.js';
import { checkInteger, checkLabels, checkOpenUnit, checkSameLength, nonEmptyRowCount, rowCount } from './validate.js';
import type { LabelArray, Matrix } from './validate.js';

/** Class ids in each row's prediction set, ascending. */
export type PredictionSets = number[][];

export interface ConformalOptions {
  /** Miscoverage level: sets cover the true label with probability >= 1 - alpha (default 0.1). */
  alpha?: number;
}

export interface ApsOptions extends ConformalOptions {
  /** Seed of the mulberry32 stream of the randomisation U (default 0). */
  seed?: number;
}

export interface ConformalPredictor {
  alpha: number;
  /** Score threshold; Infinity when the calibration set is too small for alpha (every class is kept). */
  qhat: number;
  predict(probs: Matrix): PredictionSets;
}

export interface ApsPredictor extends ConformalPredictor {
  /** `seed` draws one U per test row (default: the fit's seed + 1, a stream apart from the calibration U's). */
  predict(probs: Matrix, seed?: number): PredictionSets;
}

export interface MondrianPredictor {
  alpha: number;
  /** Per-class score threshold (Infinity where a class has too few calibration rows for alpha). */
  qhat: number[];
  predict(probs: Matrix): PredictionSets;
}

function alphaOption(options: ConformalOptions): number {
  const alpha = options.alpha ?? 0.1;
  checkOpenUnit(alpha, 'alpha');
  return alpha;
}

/**
 * Split-conformal threshold: the ceil((n + 1)(1 - alpha))-th smallest score (1-based), or
 * Infinity when that rank exceeds n. A 1e-9 slack keeps float rounding of (n + 1)(1 - alpha) from
 * pushing an exact integer up by one.
 */
export function conformalQuantile(scores: ArrayLike<number>, alpha: number): number {
  checkOpenUnit(alpha, 'alpha');
  const n = scores.length;
  const rank = Math.ceil((n + 1) * (1 - alpha) - 1e-9);
  if (rank > n) return Infinity;
  const sorted = Float64Array.from(scores).sort();
  return sorted[Math.max(rank, 1) - 1];
}

/** LAC prediction sets: every class k with 1 - p_k <= qhat (qhat per class for Mondrian). */
function lacSets(probs: Matrix, numClasses: number, qhatOf: (k: number) => number): PredictionSets {
  const rows = rowCount(probs, numClasses, 'probs');
  const sets: PredictionSets = [];
  for (let i = 0; i < rows; i++) {
    const set: number[] = [];
    for (let k = 0; k < numClasses; k++) if (1 - probs[i * numClasses + k] <= qhatOf(k)) set.push(k);
    sets.push(set);
  }
  return sets;
}

/**
 * Split conformal with the LAC score (Sadinle, Lei & Wasserman 2019): score = 1 - p_label on the
 * calibration rows, qhat = the ceil((n + 1)(1 - alpha))-th smallest, set = {k : 1 - p_k <= qhat}.
 */
export function fitLac(probs: Matrix, labels: LabelArray, numClasses: number, options: ConformalOptions = {}): ConformalPredictor {
  const alpha = alphaOption(options);
  const rows = nonEmptyRowCount(probs, numClasses, 'probs');
  checkLabels(labels, rows, numClasses);
  const scores = Float64Array.from({ length: rows }, (_, i) => 1 - probs[i * numClasses + labels[i]]);
  const qhat = conformalQuantile(scores, alpha);
  return { alpha, qhat, predict: (test) => lacSets(test, numClasses, () => qhat) };
}

/**
 * Class-conditional (Mondrian) LAC (Vovk 2003; Sadinle et al. 2019): a separate qhat_k from the
 * calibration rows labelled k, so coverage holds within each class; set = {k : 1 - p_k <= qhat_k}.
 */
export function fitMondrianLac(probs: Matrix, labels: LabelArray, numClasses: number, options: ConformalOptions = {}): MondrianPredictor {
  const alpha = alphaOption(options);
  const rows = nonEmptyRowCount(probs, numClasses, 'probs');
  checkLabels(labels, rows, numClasses);
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < rows; i++) byClass[labels[i]].push(1 - probs[i * numClasses + labels[i]]);
  const qhat = byClass.map((scores) => conformalQuantile(scores, alpha));
  return { alpha, qhat, predict: (test) => lacSets(test, numClasses, (k) => qhat[k]) };
}

/** Classes of one row by descending probability (lower class id first on ties). */
function rankClasses(probs: Matrix, base: number, numClasses: number): number[] {
  return Array.from({ length: numClasses }, (_, k) => k).sort((a, b) => probs[base + b] - probs[base + a] || a - b);
}

/**
 * Randomised APS score (Romano, Sesia & Candès 2020) of class `label`: the total probability of
 * the classes ranked above it plus u * p_label.
 */
export function apsScore(probs: Matrix, row: number, label: number, numClasses: number, u: number): number {
  const base = row * numClasses;
  let above = 0;
  for (const k of rankClasses(probs, base, numClasses)) {
    if (k === label) return above + u * probs[base + k];
    above += probs[base + k];
  }
  throw new GlassboxError('INVALID_INPUT', `label ${label} is not a class id in 0..${numClasses - 1}.`);
}

/**
 * Split conformal with the randomised APS score: one U ~ Uniform[0, 1) per row from a seeded
 * mulberry32 stream (calibration rows: `seed`; test rows: `seed + 1` unless predict gets a seed); qhat as for LAC; a test row's set holds every class whose APS score (with that
 * row's U) is <= qhat. The scores increase down the ranking, so each set is a top-ranked prefix
 * (possibly empty, as randomisation allows).
 */
export function fitAps(probs: Matrix, labels: LabelArray, numClasses: number, options: ApsOptions = {}): ApsPredictor {
  const alpha = alphaOption(options);
  const fitSeed = options.seed ?? 0;
  checkInteger(fitSeed, 'seed', 0, 0xffffffff);
  const rows = nonEmptyRowCount(probs, numClasses, 'probs');
  checkLabels(labels, rows, numClasses);
  const rng = mulberry32(fitSeed);
  const scores = Float64Array.from({ length: rows }, (_, i) => apsScore(probs, i, labels[i], numClasses, rng()));
  const qhat = conformalQuantile(scores, alpha);
  const predict = (test: Matrix, seed = (fitSeed + 1) % 0x100000000): PredictionSets => {
    checkInteger(seed, 'seed', 0, 0xffffffff);
    const testRows = rowCount(test, numClasses, 'probs');
    const testRng = mulberry32(seed);
    const sets: PredictionSets = [];
    for (let i = 0; i < testRows; i++) {
      const base = i * numClasses;
      const u = testRng();
      const set: number[] = [];
      let above = 0;
      for (const k of rankClasses(test, base, numClasses)) {
        if (above + u * test[base + k] > qhat) break;
        set.push(k);
        above += test[base + k];
      }
      sets.push(set.sort((a, b) => a - b));
    }
    return sets;
  };
  return { alpha, qhat, predict };
}

/** Fraction of rows whose set contains the label. */
export function setCoverage(sets: PredictionSets, labels: LabelArray): number {
  checkSameLength(sets, labels, 'sets', 'labels');
  let covered = 0;
  for (let i = 0; i < sets.length; i++) if (sets[i].includes(labels[i])) covered++;
  return covered / sets.length;
}

/** Mean number of classes per set. */
export function meanSetSize(sets: PredictionSets): number {
  if (sets.length === 0) throw new GlassboxError('INVALID_INPUT', 'sets is empty; at least one prediction set is needed.');
  let total = 0;
  for (const set of sets) total += set.length;
  return total / sets.length;
}
