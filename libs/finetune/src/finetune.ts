/**
 * Fine-tunes a classifier bundle's head on labeled texts: exposes the `<s>` hidden state,
 * computes frozen features once, trains a linear softmax head with early stopping, writes the
 * new head into the graph as a new bundle, and scores the written bundle on the held-out rows.
 */
import { mkdir, mkdtemp, copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import {
  argmax,
  classificationReport,
  computeModelId,
  createInferenceEngine,
  externalDataFiles,
  decodeModel,
  GlassboxError,
  loadModelBundle,
  type ClassificationReport,
  type InferenceEngine,
  type ModelBundle,
} from '@glassbox/core';
import { classCounts, classWeights, type ClassWeighting } from './class-weights.js';
import { stratifiedSplit, type DataSplit } from './data-split.js';
import { extractFeatures } from './extract-features.js';
import { writeFinetunedBundle } from './finetuned-bundle.js';
import { replaceHead } from './head-graph.js';
import { exposeHiddenStateInModel, type HiddenStateSite } from './hidden-state.js';
import { trainHead, type EpochReport, type TrainHeadOptions } from './train-head.js';

export interface FinetuneOptions extends Omit<TrainHeadOptions, 'classWeights' | 'onEpoch' | 'seed'> {
  /** Base bundle directory. */
  model: string;
  /** Texts and label ids (into `labels`). */
  texts: readonly string[];
  gold: readonly number[];
  /** The new label set, by id. */
  labels: readonly string[];
  outDir: string;
  /** Share of rows for early stopping and temperature (default 0.1). */
  validationSplit?: number;
  /** Share of rows held out for the before/after figures (default 0.1; 0 reports on validation). */
  testSplit?: number;
  classWeighting?: ClassWeighting;
  seed?: number;
  /** Sequences per forward pass while computing features (default 32); `batchSize` is the head's minibatch. */
  forwardBatchSize?: number;
  /** ONNX Runtime intra-op threads (default: the engine's). */
  threads?: number;
  onFeatures?: (done: number, total: number) => void;
  onEpoch?: (epoch: EpochReport) => void;
}

export interface HeldOutFigures {
  accuracy: number;
  macroF1: number;
  /** F1 by label name. */
  f1: Record<string, number>;
}

export interface FinetuneResult {
  base: { dir: string; name: string; labels: string[]; modelId: string };
  out: { dir: string; name: string; modelId: string };
  labels: string[];
  site: HiddenStateSite;
  rows: { total: number; train: number; validation: number; test: number };
  /** Row indices of each part (into the texts given). */
  split: DataSplit;
  /** Rows per label in the training part. */
  trainCounts: Record<string, number>;
  classWeights: Record<string, number>;
  epochs: EpochReport[];
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Which rows the before/after figures are on: 'test', or 'validation' when testSplit is 0. */
  heldOut: 'test' | 'validation';
  before: { majority: HeldOutFigures & { label: string }; base: HeldOutFigures | null };
  after: HeldOutFigures;
  /** The written bundle's logits and gold ids on the validation rows (for the temperature refit). */
  validation: { logits: Float32Array; gold: number[] };
  seconds: { features: number; training: number; total: number };
}

function figures(report: ClassificationReport, labels: readonly string[]): HeldOutFigures {
  return { accuracy: report.accuracy, macroF1: report.macroF1, f1: Object.fromEntries(labels.map((l, j) => [l, report.f1[j]])) };
}

function checkData(options: FinetuneOptions): void {
  const { texts, gold, labels } = options;
  if (texts.length === 0) throw new GlassboxError('TRAINING_DATA_INVALID', 'no labeled rows to train on');
  if (texts.length !== gold.length) throw new RangeError(`${texts.length} texts but ${gold.length} labels`);
  if (new Set(labels).size !== labels.length || labels.length < 2) {
    throw new GlassboxError('INVALID_OPTION', `the label set must hold at least two distinct names, got ${labels.join(', ')}`);
  }
  const present = new Set(gold);
  if (present.size < 2) {
    throw new GlassboxError('TRAINING_DATA_INVALID', `the data holds a single class (${labels[gold[0]]}); a classifier needs rows of at least two labels`);
  }
}

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

export async function finetune(options: FinetuneOptions): Promise<FinetuneResult> {
  const started = process.hrtime.bigint();
  checkData(options);
  const bundle = loadModelBundle(options.model);
  const outDir = resolve(options.outDir);
  if (outDir === bundle.dir) throw new GlassboxError('INVALID_OPTION', '--out must be a new directory, not the base model');
  const bytes = new Uint8Array(await readFile(bundle.modelPath));
  const external = externalDataFiles(decodeModel(bytes).graph ?? {});
  if (external.length > 0) {
    throw new GlassboxError('INVALID_OPTION', `the model keeps its weights in external data (${external.join(', ')}); finetune reads single-file ONNX models`);
  }
  const exposed = exposeHiddenStateInModel(bytes);
  const { labels, gold, texts } = options;
  const k = labels.length;
  const split = stratifiedSplit(gold, { validation: options.validationSplit ?? 0.1, test: options.testSplit ?? 0.1, seed: options.seed ?? 0 });
  if (split.train.length === 0 || split.validation.length === 0) {
    throw new GlassboxError('TRAINING_DATA_INVALID', `${texts.length} rows are too few to split into training and validation parts`);
  }
  const engineOptions = { batchSize: options.forwardBatchSize ?? 32, ...(options.threads ? { intraOpThreads: options.threads } : {}) };
  const scratch = await mkdtemp(join(tmpdir(), 'glassbox-finetune-'));
  let engine: InferenceEngine | null = null;
  try {
    await writeFile(join(scratch, 'model.onnx'), exposed.bytes);
    await copyFile(bundle.configPath, join(scratch, 'config.json'));
    await copyFile(bundle.tokenizerPath, join(scratch, 'tokenizer.json'));
    engine = await createInferenceEngine(scratch, engineOptions);
    const featuresStarted = process.hrtime.bigint();
    const frozen = await extractFeatures(engine, texts, { onProgress: (done) => options.onFeatures?.(done, texts.length) });
    const featureSeconds = seconds(featuresStarted);
    await engine.dispose();
    engine = null;

    const counts = classCounts(gold, k, split.train);
    const weights = classWeights(counts, options.classWeighting ?? 'none');
    const trainingStarted = process.hrtime.bigint();
    const trained = trainHead(
      { features: frozen.features, d: frozen.featureSize, k, labels: gold, train: split.train, validation: split.validation },
      { ...options, classWeights: weights, seed: options.seed ?? 0 },
    );
    const trainingSeconds = seconds(trainingStarted);

    await mkdir(outDir, { recursive: true });
    const name = basename(outDir);
    await writeFinetunedBundle({ baseDir: bundle.dir, baseConfigPath: bundle.configPath, outDir, model: replaceHead(bytes, trained.head), labels, name, baseName: bundle.name });

    const heldOut = split.test.length > 0 ? 'test' : 'validation';
    const heldRows = heldOut === 'test' ? split.test : split.validation;
    engine = await createInferenceEngine(outDir, engineOptions);
    const after = await scoreRows(engine, texts, gold, heldRows, k);
    const validation = heldOut === 'validation' ? after : await scoreRows(engine, texts, gold, split.validation, k);
    const outBundle = engine.bundle;
    const majority = counts.indexOf(Math.max(...counts));
    const heldGold = heldRows.map((r) => gold[r]);
    return {
      base: { dir: bundle.dir, name: bundle.name, labels: [...bundle.config.labels], modelId: await computeModelId(bundle) },
      out: { dir: outDir, name: outBundle.name, modelId: await computeModelId(outBundle) },
      labels: [...labels],
      site: exposed.site,
      rows: { total: texts.length, train: split.train.length, validation: split.validation.length, test: split.test.length },
      split,
      trainCounts: Object.fromEntries(labels.map((l, j) => [l, counts[j]])),
      classWeights: Object.fromEntries(labels.map((l, j) => [l, weights[j]])),
      epochs: trained.epochs,
      bestEpoch: trained.bestEpoch,
      stoppedEarly: trained.stoppedEarly,
      heldOut,
      before: {
        majority: { label: labels[majority], ...figures(classificationReport(heldGold, heldGold.map(() => majority), k), labels) },
        base: baseFigures(bundle, frozen.logits, heldRows, heldGold, labels),
      },
      after: figures(after.report, labels),
      validation: { logits: validation.logits, gold: split.validation.map((r) => gold[r]) },
      seconds: { features: featureSeconds, training: trainingSeconds, total: seconds(started) },
    };
  } finally {
    await engine?.dispose();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The base model's own figures on the held-out rows, when its labels are the new ones. */
function baseFigures(bundle: ModelBundle, logits: Float32Array, rows: readonly number[], gold: number[], labels: readonly string[]): HeldOutFigures | null {
  const baseLabels = bundle.config.labels;
  if (baseLabels.length !== labels.length || baseLabels.some((l, i) => l !== labels[i])) return null;
  const k = labels.length;
  const predicted = rows.map((r) => argmax(logits, r * k, (r + 1) * k));
  return figures(classificationReport(gold, predicted, k), labels);
}

async function scoreRows(engine: InferenceEngine, texts: readonly string[], gold: readonly number[], rows: readonly number[], k: number) {
  const predictions = await engine.classify(rows.map((r) => texts[r]));
  const logits = new Float32Array(rows.length * k);
  predictions.forEach((p, i) => logits.set(p.logits, i * k));
  const report = classificationReport(
    rows.map((r) => gold[r]),
    predictions.map((p) => p.labelId),
    k,
  );
  return { logits, report };
}
