/**
 * Trains a linear softmax head on frozen features: standardized features, weighted
 * cross-entropy with L2, Adam on seeded minibatches, early stopping on the validation loss with
 * the best epoch's weights restored. Deterministic for a given input and seed.
 */
import { classificationReport, GlassboxError, mulberry32 } from '@glassbox/core';
import { createEarlyStopping } from './early-stopping.js';
import { shuffleInPlace } from './data-split.js';
import {
  adamStep,
  createAdamState,
  fitStandardizer,
  foldStandardizer,
  headLoss,
  predictRows,
  standardize,
  type HeadProblem,
} from './softmax-regression.js';
import type { LinearHead } from './head-graph.js';

export interface TrainHeadOptions {
  /** Most epochs (default 100; early stopping usually ends sooner). */
  epochs?: number;
  /** Rows per Adam step (default 128). */
  batchSize?: number;
  /** Adam learning rate (default 0.001). */
  learningRate?: number;
  /** L2 strength on the weights (default 1e-4). */
  l2?: number;
  /** Epochs without a lower validation loss before stopping (default 5). */
  patience?: number;
  seed?: number;
  /** Loss weight per class (default all 1). */
  classWeights?: ArrayLike<number>;
  /** Called after each epoch (progress bars, logs). */
  onEpoch?: (epoch: EpochReport) => void;
}

export interface EpochReport {
  /** 1-based. */
  epoch: number;
  /** Weighted cross-entropy + L2 on the training rows after the epoch. */
  trainLoss: number;
  /** Weighted cross-entropy on the validation rows (what early stopping watches). */
  validationLoss: number;
  validationAccuracy: number;
  validationMacroF1: number;
  /** Validation F1 by class id. */
  validationF1: number[];
}

export interface TrainedHead {
  head: LinearHead;
  epochs: EpochReport[];
  /** 1-based epoch whose weights were kept. */
  bestEpoch: number;
  stoppedEarly: boolean;
}

export interface HeadData {
  /** Row-major [n x d]. */
  features: Float32Array;
  d: number;
  k: number;
  labels: ArrayLike<number>;
  train: readonly number[];
  validation: readonly number[];
}

export function trainHead(data: HeadData, options: TrainHeadOptions = {}): TrainedHead {
  const { d, k, train, validation } = data;
  if (train.length === 0 || validation.length === 0) {
    throw new GlassboxError('TRAINING_DATA_INVALID', `training needs rows in both the training (${train.length}) and validation (${validation.length}) parts`);
  }
  const epochs = options.epochs ?? 100;
  const batchSize = options.batchSize ?? 128;
  const learningRate = options.learningRate ?? 0.001;
  const rng = mulberry32(options.seed ?? 0);
  const scaler = fitStandardizer(data.features, d, train);
  const problem: HeadProblem = {
    features: standardize(data.features, d, scaler),
    d,
    k,
    labels: data.labels,
    classWeights: options.classWeights ?? new Float64Array(k).fill(1),
    l2: options.l2 ?? 1e-4,
  };
  const validationProblem = { ...problem, l2: 0 };
  const params = new Float64Array(k * d + k);
  const grad = new Float64Array(params.length);
  const adam = createAdamState(params.length);
  const stopping = createEarlyStopping({ patience: options.patience ?? 5 });
  let best = params.slice();
  const reports: EpochReport[] = [];
  const order = [...train];
  const gold = validation.map((r) => data.labels[r]);
  let stoppedEarly = false;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    shuffleInPlace(order, rng);
    for (let start = 0; start < order.length; start += batchSize) {
      headLoss(params, problem, order.slice(start, start + batchSize), grad);
      adamStep(params, grad, adam, learningRate);
    }
    const validationLoss = headLoss(params, validationProblem, validation);
    const report = classificationReport(gold, predictRows(params, problem.features, validation, d, k), k);
    const epochReport: EpochReport = {
      epoch,
      trainLoss: headLoss(params, problem, train),
      validationLoss,
      validationAccuracy: report.accuracy,
      validationMacroF1: report.macroF1,
      validationF1: report.f1,
    };
    reports.push(epochReport);
    options.onEpoch?.(epochReport);
    const { improved, stop } = stopping.update(epoch, validationLoss);
    if (improved) best = params.slice();
    if (stop && epoch < epochs) {
      stoppedEarly = true;
      break;
    }
  }
  const { weight, bias } = foldStandardizer(best, scaler, d, k);
  return { head: { weight, bias, numLabels: k, hiddenSize: d }, epochs: reports, bestEpoch: Math.max(1, stopping.bestEpoch), stoppedEarly };
}
