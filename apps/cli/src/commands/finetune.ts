import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { computeTokenizerId, GlassboxError, loadModelBundle } from '@glassbox/core';
import { buildCalibrationFile, serializeCalibration } from '@glassbox/calibration';
import { finetune, renderModelCard, type ClassWeighting, type FinetuneResult, type HeldOutFigures } from '@glassbox/finetune';
import { writeFileAtomic } from '../io/atomic-file.js';
import { noLabeledRows, readLabeledRecords, type LabeledDataFlags, type LabeledRecord } from './labeled-data.js';
import { defaultModelDir, labelId } from './shared.js';

export interface FinetuneFlags extends LabeledDataFlags {
  model?: string;
  out: string;
  labels?: string;
  epochs?: number;
  valSplit?: number;
  testSplit?: number;
  classWeights?: ClassWeighting;
  seed?: number;
  l2?: number;
  learningRate?: number;
  patience?: number;
  batchSize?: number;
  threads?: number;
  json?: boolean;
  progress?: boolean;
  /** The command line as run, for the model card. */
  command?: string;
}

export const CALIBRATION_FILE = 'calibration.json';
export const REPORT_FILE = 'finetune-report.json';

/** The label set: --labels, else the base model's when every cell is one of its names or ids, else the data's names sorted. */
export function resolveLabels(records: readonly LabeledRecord[], baseLabels: readonly string[], flag: string | undefined): string[] {
  if (flag !== undefined) {
    const labels = flag.split(',').map((l) => l.trim());
    if (labels.length < 2 || labels.some((l) => l === '') || new Set(labels).size !== labels.length) {
      throw new GlassboxError('INVALID_OPTION', `--labels must name at least two distinct labels, comma-separated (e.g. negative,positive,other), got "${flag}"`);
    }
    return labels;
  }
  const isBase = (cell: string) => baseLabels.includes(cell) || (/^\d+$/.test(cell) && Number(cell) < baseLabels.length);
  if (records.every((r) => isBase(r.label))) return [...baseLabels];
  return [...new Set(records.map((r) => r.label))].sort();
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function progressBar(format: string): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    { stream: process.stderr, format, noTTYOutput: true, notTTYSchedule: 5000, hideCursor: true, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
}

/**
 * Trains a new head on the frozen encoder (libs/finetune), writes the bundle to --out with a
 * temperature calibration refitted on the validation rows, a model card and a JSON report.
 */
export async function finetuneCommand(flags: FinetuneFlags, out: NodeJS.WritableStream): Promise<ReturnType<typeof toJson>> {
  const modelDir = flags.model ?? defaultModelDir();
  const base = loadModelBundle(modelDir);
  const records: LabeledRecord[] = [];
  let skipped = 0;
  for await (const r of readLabeledRecords(flags, () => skipped++)) records.push(r);
  if (records.length === 0) throw noLabeledRows(flags);
  const labels = resolveLabels(records, base.config.labels, flags.labels);
  const gold = records.map((r) => labelId(labels, r.label, `${flags.data}:${r.row}`));
  const showProgress = flags.progress !== false;
  const featuresBar = progressBar('features |{bar}| {percentage}% | {value}/{total} texts | ETA {eta_formatted}');
  const epochsBar = progressBar('training |{bar}| epoch {value}/{total} | validation loss {loss} | accuracy {accuracy}');
  const epochs = flags.epochs ?? 100;
  let featuresStarted = false;
  let epochsStarted = false;
  let result: FinetuneResult;
  try {
    result = await finetune({
      model: modelDir,
      texts: records.map((r) => r.text),
      gold,
      labels,
      outDir: flags.out,
      validationSplit: flags.valSplit ?? 0.1,
      testSplit: flags.testSplit ?? 0.1,
      classWeighting: flags.classWeights ?? 'none',
      seed: flags.seed ?? 0,
      epochs,
      ...(flags.l2 !== undefined && { l2: flags.l2 }),
      ...(flags.learningRate !== undefined && { learningRate: flags.learningRate }),
      ...(flags.patience !== undefined && { patience: flags.patience }),
      ...(flags.batchSize !== undefined && { forwardBatchSize: flags.batchSize }),
      ...(flags.threads !== undefined && { threads: flags.threads }),
      onFeatures: (done, total) => {
        if (!showProgress) return;
        if (!featuresStarted) {
          featuresBar.start(total, 0);
          featuresStarted = true;
        }
        featuresBar.update(done);
        if (done === total) featuresBar.stop();
      },
      onEpoch: (e) => {
        if (!showProgress) return;
        if (!epochsStarted) {
          epochsBar.start(epochs, 0, { loss: '-', accuracy: '-' });
          epochsStarted = true;
        }
        epochsBar.update(e.epoch, { loss: e.validationLoss.toFixed(4), accuracy: e.validationAccuracy.toFixed(4) });
      },
    });
  } finally {
    if (featuresBar.isActive) featuresBar.stop();
    if (epochsBar.isActive) epochsBar.stop();
  }
  const k = labels.length;
  const calibration = buildCalibrationFile(result.validation.logits, result.validation.gold, k, {
    method: 'temperature',
    model: { id: result.out.modelId, name: result.out.name, labels, tokenizer: await computeTokenizerId(loadModelBundle(result.out.dir)) },
  });
  const calibrationPath = join(result.out.dir, CALIBRATION_FILE);
  await writeFileAtomic(calibrationPath, serializeCalibration(calibration));
  const m = calibration.metrics;
  const temperature = {
    value: Number((calibration.calibration.params as { temperature: number }).temperature),
    file: CALIBRATION_FILE,
    nllBefore: m?.before.nll ?? NaN,
    nllAfter: m?.after.nll ?? NaN,
    eceBefore: m?.before.ece ?? NaN,
    eceAfter: m?.after.ece ?? NaN,
  };
  const valSplit = flags.valSplit ?? 0.1;
  const testSplit = flags.testSplit ?? 0.1;
  const card = renderModelCard({
    result,
    command: flags.command ?? `glassbox finetune --model ${modelDir} --data ${flags.data} --out ${flags.out}`,
    data: { path: flags.data, sha256: await sha256File(flags.data), skipped },
    seed: flags.seed ?? 0,
    validationSplit: valSplit,
    testSplit,
    classWeighting: flags.classWeights ?? 'none',
    temperature,
  });
  await writeFileAtomic(join(result.out.dir, 'MODEL_CARD.md'), card);
  const json = toJson(result, skipped, temperature, calibrationPath);
  await writeFileAtomic(join(result.out.dir, REPORT_FILE), `${JSON.stringify(json, null, 2)}\n`);
  out.write(flags.json ? `${JSON.stringify(json, null, 2)}\n` : formatReport(result, temperature.value, calibrationPath));
  return json;
}

function figuresJson(f: HeldOutFigures) {
  return { accuracy: f.accuracy, macro_f1: f.macroF1, per_class_f1: f.f1 };
}

function toJson(r: FinetuneResult, skipped: number, temperature: { value: number; nllBefore: number; nllAfter: number }, calibrationPath: string) {
  return {
    base: { dir: r.base.dir, name: r.base.name, model_id: r.base.modelId, labels: r.base.labels },
    out: { dir: r.out.dir, name: r.out.name, model_id: r.out.modelId },
    labels: r.labels,
    hidden_state: { tensor: r.site.tensor, hidden_size: r.site.hiddenSize, replaced_head_nodes: r.site.headNodes },
    rows: { ...r.rows, skipped_multi_label: skipped },
    train_counts: r.trainCounts,
    class_weights: r.classWeights,
    epochs: r.epochs.map((e) => ({
      epoch: e.epoch,
      train_loss: e.trainLoss,
      validation_loss: e.validationLoss,
      validation_accuracy: e.validationAccuracy,
      validation_macro_f1: e.validationMacroF1,
      validation_f1: Object.fromEntries(r.labels.map((l, j) => [l, e.validationF1[j]])),
    })),
    best_epoch: r.bestEpoch,
    stopped_early: r.stoppedEarly,
    held_out: r.heldOut,
    before: { majority: { label: r.before.majority.label, ...figuresJson(r.before.majority) }, base: r.before.base ? figuresJson(r.before.base) : null },
    after: figuresJson(r.after),
    calibration: { file: calibrationPath, temperature: temperature.value, validation_nll_before: temperature.nllBefore, validation_nll_after: temperature.nllAfter },
    seconds: r.seconds,
  };
}

function formatReport(r: FinetuneResult, temperature: number, calibrationPath: string): string {
  const pct = (v: number) => (v * 100).toFixed(2).padStart(6);
  const lines = [
    `${r.base.name} -> ${r.out.dir}: new head for ${r.labels.join(', ')} on ${r.site.hiddenSize} features of ${r.site.tensor}`,
    `rows: ${r.rows.train} training, ${r.rows.validation} validation, ${r.rows.test} test`,
    `${'epoch'.padEnd(6)} ${'train loss'.padStart(10)} ${'val loss'.padStart(9)} ${'val acc%'.padStart(8)} ${'macroF1%'.padStart(8)}  per-class F1%`,
    ...r.epochs.map(
      (e) =>
        `${String(e.epoch).padEnd(6)} ${e.trainLoss.toFixed(4).padStart(10)} ${e.validationLoss.toFixed(4).padStart(9)} ${pct(e.validationAccuracy).padStart(8)} ${pct(e.validationMacroF1).padStart(8)}  ${r.labels.map((l, j) => `${l} ${(e.validationF1[j] * 100).toFixed(1)}`).join(', ')}${e.epoch === r.bestEpoch ? '  (kept)' : ''}`,
    ),
    `held-out ${r.heldOut} rows: accuracy / macro-F1 %`,
    `  majority class (${r.before.majority.label}) ${pct(r.before.majority.accuracy)} / ${pct(r.before.majority.macroF1)}`,
    ...(r.before.base ? [`  base head                  ${pct(r.before.base.accuracy)} / ${pct(r.before.base.macroF1)}`] : []),
    `  new head                   ${pct(r.after.accuracy)} / ${pct(r.after.macroF1)}`,
    `temperature ${temperature.toFixed(4)} (validation rows) -> ${calibrationPath}`,
    `time: ${r.seconds.total.toFixed(1)} s (features ${r.seconds.features.toFixed(1)} s, training ${r.seconds.training.toFixed(1)} s)`,
  ];
  return `${lines.join('\n')}\n`;
}
