import { assignBins, binningOptions } from './binning.js';
import type { BinningOptions } from './binning.js';
import { checkInteger, checkLabels, nonEmptyRowCount } from './validate.js';
import type { LabelArray, Matrix } from './validate.js';

/** Probabilities are clipped to at least this before taking logs in `nll`. */
export const NLL_CLIP = 1e-12;

export type { ReliabilityBin } from './calibration-schema.js';
import type { ReliabilityBin } from './calibration-schema.js';

export interface TopLabel {
  /** Top-class probability per row. */
  confidence: Float64Array;
  /** 1 where the top class (first on ties) equals the label, else 0. */
  correct: Uint8Array;
}

/** Top-class probability and correctness per row of a probability matrix. */
export function topLabel(probs: Matrix, labels: LabelArray, numClasses: number): TopLabel {
  const rows = nonEmptyRowCount(probs, numClasses, 'probs');
  checkLabels(labels, rows, numClasses);
  const confidence = new Float64Array(rows);
  const correct = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const base = i * numClasses;
    let best = 0;
    for (let j = 1; j < numClasses; j++) if (probs[base + j] > probs[base + best]) best = j;
    confidence[i] = probs[base + best];
    correct[i] = best === labels[i] ? 1 : 0;
  }
  return { confidence, correct };
}

/** Fraction of rows whose argmax (first on ties) equals the label. */
export function accuracy(probs: Matrix, labels: LabelArray, numClasses: number): number {
  const { correct } = topLabel(probs, labels, numClasses);
  let sum = 0;
  for (const c of correct) sum += c;
  return sum / correct.length;
}

/** Per-bin counts, mean score and mean outcome of (score, outcome) pairs, scores in [0, 1]. */
function binStats(scores: ArrayLike<number>, outcomes: ArrayLike<number>, options: BinningOptions): ReliabilityBin[] {
  const { bins, scheme } = binningOptions(options);
  const { index, lower, upper } = assignBins(scores, bins, scheme);
  const count = new Array<number>(bins).fill(0);
  const sumScore = new Array<number>(bins).fill(0);
  const sumOutcome = new Array<number>(bins).fill(0);
  for (let i = 0; i < scores.length; i++) {
    const b = index[i];
    count[b]++;
    sumScore[b] += scores[i];
    sumOutcome[b] += outcomes[i];
  }
  return count.map((c, b) => ({
    lower: lower[b],
    upper: upper[b],
    count: c,
    meanConfidence: c === 0 ? 0 : sumScore[b] / c,
    accuracy: c === 0 ? 0 : sumOutcome[b] / c,
    empty: c === 0,
  }));
}

/** sum over non-empty bins of (bin share) * |accuracy - mean confidence|. */
function expectedGap(bins: ReliabilityBin[], n: number): number {
  let total = 0;
  for (const bin of bins) if (!bin.empty) total += (bin.count / n) * Math.abs(bin.accuracy - bin.meanConfidence);
  return total;
}

/** max over non-empty bins of |accuracy - mean confidence|. */
function maximumGap(bins: ReliabilityBin[]): number {
  let max = 0;
  for (const bin of bins) if (!bin.empty) max = Math.max(max, Math.abs(bin.accuracy - bin.meanConfidence));
  return max;
}

/** Reliability diagram of the top-class confidence: one entry per bin, empty bins included. */
export function reliabilityDiagram(
  probs: Matrix,
  labels: LabelArray,
  numClasses: number,
  options: BinningOptions = {},
): ReliabilityBin[] {
  const { confidence, correct } = topLabel(probs, labels, numClasses);
  return binStats(confidence, correct, options);
}

/**
 * Expected calibration error of the top-class confidence (Guo et al. 2017):
 * ECE = sum_b (n_b / n) * |acc_b - conf_b| over non-empty bins.
 */
export function ece(probs: Matrix, labels: LabelArray, numClasses: number, options: BinningOptions = {}): number {
  return expectedGap(reliabilityDiagram(probs, labels, numClasses, options), labels.length);
}

/** Maximum calibration error: max_b |acc_b - conf_b| over non-empty bins. */
export function mce(probs: Matrix, labels: LabelArray, numClasses: number, options: BinningOptions = {}): number {
  return maximumGap(reliabilityDiagram(probs, labels, numClasses, options));
}

/**
 * Classwise ECE (Kull et al. 2019): the mean over classes k of the ECE of the one-vs-rest pairs
 * (p_k, [label = k]), binned on p_k (a p_k of exactly 0 joins the first bin).
 */
export function classwiseEce(probs: Matrix, labels: LabelArray, numClasses: number, options: BinningOptions = {}): number {
  const rows = nonEmptyRowCount(probs, numClasses, 'probs');
  checkLabels(labels, rows, numClasses);
  const scores = new Float64Array(rows);
  const outcomes = new Uint8Array(rows);
  let total = 0;
  for (let k = 0; k < numClasses; k++) {
    for (let i = 0; i < rows; i++) {
      scores[i] = probs[i * numClasses + k];
      outcomes[i] = labels[i] === k ? 1 : 0;
    }
    total += expectedGap(binStats(scores, outcomes, options), rows);
  }
  return total / numClasses;
}

/** Brier score: mean over rows of sum_k (p_k - [label = k])^2. */
export function brier(probs: Matrix, labels: LabelArray, numClasses: number): number {
  const rows = nonEmptyRowCount(probs, numClasses, 'probs');
  checkLabels(labels, rows, numClasses);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < numClasses; k++) {
      const d = probs[i * numClasses + k] - (labels[i] === k ? 1 : 0);
      total += d * d;
    }
  }
  return total / rows;
}

/** Negative log-likelihood: mean over rows of -ln max(p_label, 1e-12). */
export function nll(probs: Matrix, labels: LabelArray, numClasses: number): number {
  const rows = nonEmptyRowCount(probs, numClasses, 'probs');
  checkLabels(labels, rows, numClasses);
  let total = 0;
  for (let i = 0; i < rows; i++) total -= Math.log(Math.max(probs[i * numClasses + labels[i]], NLL_CLIP));
  return total / rows;
}

export interface DebiasedEceOptions {
  /** Number of equal-mass bins (default 15). */
  bins?: number;
}

/**
 * Debiased l2 calibration error of the top-class confidence, Kumar, Liang & Ma 2019 ("Verified
 * Uncertainty Calibration"), on equal-mass bins. With n_b rows in bin b, mean confidence c_b and
 * accuracy a_b, the plug-in (c_b - a_b)^2 overestimates the squared gap by the variance of a_b,
 * so each bin contributes
 *   e_b = (c_b - a_b)^2 - a_b (1 - a_b) / (n_b - 1)        (e_b = 0 when n_b < 2)
 * and the estimate is sqrt(max(0, sum_b (n_b / n) e_b)), as in the authors' `unbiased_l2_ce`.
 */
export function debiasedEce(probs: Matrix, labels: LabelArray, numClasses: number, options: DebiasedEceOptions = {}): number {
  const bins = options.bins ?? 15;
  checkInteger(bins, 'bins', 1);
  const { confidence, correct } = topLabel(probs, labels, numClasses);
  const n = confidence.length;
  let squared = 0;
  for (const bin of binStats(confidence, correct, { bins, scheme: 'equal-mass' })) {
    if (bin.count < 2) continue;
    const gap = bin.meanConfidence - bin.accuracy;
    squared += (bin.count / n) * (gap * gap - (bin.accuracy * (1 - bin.accuracy)) / (bin.count - 1));
  }
  return Math.sqrt(Math.max(0, squared));
}
