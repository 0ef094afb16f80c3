import { GlassboxError, type InferenceEngine, type Prediction } from '@glassbox/core';
import { readRecords, type InputFormat } from '../io/records.js';
import { labelId } from './shared.js';

export interface LabeledDataFlags {
  data: string;
  format?: InputFormat;
  textColumn?: string;
  labelColumn?: string;
  /** "START:END": only records whose row number (1-based, END included) lies in the range. */
  rows?: string;
}

export interface LabeledRun {
  predictions: Prediction[];
  /** True label id per prediction. */
  gold: number[];
  /** Rows skipped because they carry several labels. */
  skipped: number;
  /** Row-major [n x numLabels] logits, for calibration. */
  logits: Float32Array;
}

export function parseRowRange(spec: string | undefined): [number, number] | null {
  if (spec === undefined) return null;
  const m = /^(\d+):(\d+)$/.exec(spec.trim());
  if (!m || Number(m[1]) < 1 || Number(m[2]) < Number(m[1])) {
    throw new GlassboxError('INVALID_OPTION', `--rows must be START:END with 1 <= START <= END (e.g. 1:2713), got "${spec}"`);
  }
  return [Number(m[1]), Number(m[2])];
}

/** A single-label record of a labeled file: its text, its label cell (name or id) and its row number. */
export interface LabeledRecord {
  text: string;
  label: string;
  row: number;
}

/**
 * Reads labeled data (GoEmotions TSV with comma-separated label ids, or CSV/JSONL with text and
 * label as name or id) in order: rows outside --rows are left out, multi-label rows are skipped
 * and counted through `onSkip`, a row without a label is INPUT_FORMAT.
 */
export async function* readLabeledRecords(flags: LabeledDataFlags, onSkip: () => void = () => undefined): AsyncGenerator<LabeledRecord> {
  const range = parseRowRange(flags.rows);
  const records = readRecords(flags.data, { format: flags.format, textColumn: flags.textColumn, labelColumn: flags.labelColumn });
  for await (const r of records) {
    if (range && (r.row < range[0] || r.row > range[1])) continue;
    if (r.label === undefined) {
      const column = flags.labelColumn ?? 'label';
      throw new GlassboxError(
        'INPUT_FORMAT',
        `${flags.data} has no label column "${column}": this command needs labeled rows (a "${column}" column or field holding a label name or id, or GoEmotions TSV); name another with --label-column NAME, or classify unlabeled texts with glassbox batch`,
      );
    }
    if (r.label.trim() === '') throw new GlassboxError('INPUT_FORMAT', `${flags.data}:${r.row}: the label is empty`);
    const parts = r.label.split(',').filter((x) => x.trim() !== '');
    if (parts.length !== 1) {
      onSkip();
      continue;
    }
    yield { text: r.text, label: parts[0].trim(), row: r.row };
  }
}

/** INPUT_FORMAT for a file (or --rows range) that held no single-label row. */
export function noLabeledRows(flags: LabeledDataFlags): GlassboxError {
  return new GlassboxError('INPUT_FORMAT', `${flags.data}: no single-label rows${flags.rows ? ` in rows ${flags.rows}` : ''}`);
}

/** Reads labeled data (readLabeledRecords) and classifies the rows in order. */
export async function classifyLabeled(engine: InferenceEngine, flags: LabeledDataFlags): Promise<LabeledRun> {
  const labels = engine.labels;
  const gold: number[] = [];
  let skipped = 0;
  const texts = (async function* () {
    for await (const r of readLabeledRecords(flags, () => skipped++)) {
      gold.push(labelId(labels, r.label, `${flags.data}:${r.row}`));
      yield r.text;
    }
  })();
  const predictions: Prediction[] = [];
  for await (const p of engine.classifyStream(texts)) predictions.push(p);
  if (predictions.length === 0) throw noLabeledRows(flags);
  const k = labels.length;
  const logits = new Float32Array(predictions.length * k);
  predictions.forEach((p, i) => logits.set(p.logits, i * k));
  return { predictions, gold, skipped, logits };
}
