import { classificationReport, GlassboxError, type ClassificationReport } from '@glassbox/core';
import { readRecords, type InputFormat } from '../io/records.js';
import { labelId, openEngine, type EngineFlags } from './shared.js';

export interface EvaluateFlags extends EngineFlags {
  data: string;
  json?: boolean;
  format?: InputFormat;
  textColumn?: string;
  labelColumn?: string;
}

export interface EvaluateResult {
  data: string;
  model: string;
  n: number;
  skipped: number;
  accuracy: number;
  macro_f1: number;
  per_class: Record<string, number>;
  confusion: { labels: string[]; matrix: number[][] };
}

/**
 * Scores the model on labeled data: GoEmotions TSV (text, comma-separated label ids, id) or
 * CSV/JSONL with `text` and `label` (name or id). Rows with several labels are skipped and
 * counted, as single-label accuracy is undefined for them.
 */
export async function evaluateCommand(flags: EvaluateFlags, out: NodeJS.WritableStream): Promise<EvaluateResult> {
  const engine = await openEngine(flags);
  try {
    const labels = engine.labels;
    const gold: number[] = [];
    let skipped = 0;
    const records = readRecords(flags.data, { format: flags.format, textColumn: flags.textColumn, labelColumn: flags.labelColumn });
    const texts = (async function* () {
      for await (const r of records) {
        if (r.label === undefined || r.label.trim() === '') {
          throw new GlassboxError('INPUT_FORMAT', `${flags.data}:${r.row}: no label`);
        }
        const parts = r.label.split(',').filter((x) => x.trim() !== '');
        if (parts.length !== 1) {
          skipped++;
          continue;
        }
        gold.push(labelId(labels, parts[0], `${flags.data}:${r.row}`));
        yield r.text;
      }
    })();
    const predicted: number[] = [];
    for await (const p of engine.classifyStream(texts)) predicted.push(p.labelId);
    const report = classificationReport(gold, predicted, labels.length);
    const result = toResult(flags.data, engine.bundle.name, report, skipped, labels);
    out.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatReport(result, report));
    return result;
  } finally {
    await engine.dispose();
  }
}

function toResult(data: string, model: string, r: ClassificationReport, skipped: number, labels: readonly string[]): EvaluateResult {
  return {
    data,
    model,
    n: r.n,
    skipped,
    accuracy: r.accuracy,
    macro_f1: r.macroF1,
    per_class: Object.fromEntries(labels.map((l, j) => [l, r.f1[j]])),
    confusion: { labels: [...labels], matrix: r.confusion },
  };
}

function formatReport(res: EvaluateResult, r: ClassificationReport): string {
  const lines = [
    `${res.model} on ${res.data}: ${res.n} single-label rows (${res.skipped} multi-label rows skipped)`,
    `accuracy ${res.accuracy.toFixed(4)}  macro-F1 ${res.macro_f1.toFixed(4)}`,
    `${'label'.padEnd(10)} ${'precision'.padStart(9)} ${'recall'.padStart(7)} ${'F1'.padStart(7)} ${'support'.padStart(8)}`,
    ...res.confusion.labels.map(
      (l, j) =>
        `${l.padEnd(10)} ${r.precision[j].toFixed(4).padStart(9)} ${r.recall[j].toFixed(4).padStart(7)} ${r.f1[j].toFixed(4).padStart(7)} ${String(r.confusion[j].reduce((a, b) => a + b, 0)).padStart(8)}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
