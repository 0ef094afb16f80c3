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

/**
 * Reads labeled data (GoEmotions TSV with comma-separated label ids, or CSV/JSONL with text and
 * label as name or id), skips and counts multi-label rows, and classifies the rest in order.
 */
export async function classifyLabeled(engine: InferenceEngine, flags: LabeledDataFlags): Promise<LabeledRun> {
  const labels = engine.labels;
  const range = parseRowRange(flags.rows);
  const gold: number[] = [];
  let skipped = 0;
  const records = readRecords(flags.data, { format: flags.format, textColumn: flags.textColumn, labelColumn: flags.labelColumn });
  const texts = (async function* () {
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
        skipped++;
        continue;
      }
      gold.push(labelId(labels, parts[0], `${flags.data}:${r.row}`));
      yield r.text;
    }
  })();
  const predictions: Prediction[] = [];
  for await (const p of engine.classifyStream(texts)) predictions.push(p);
  if (predictions.length === 0) {
    throw new GlassboxError('INPUT_FORMAT', `${flags.data}: no single-label rows${range ? ` in rows ${flags.rows}` : ''}`);
  }
  const k = labels.length;
  const logits = new Float32Array(predictions.length * k);
  predictions.forEach((p, i) => logits.set(p.logits, i * k));
  return { predictions, gold, skipped, logits };
}
