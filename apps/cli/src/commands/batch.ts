import { extname } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { GlassboxError, type Prediction } from '@glassbox/core';
import { openAtomicFile, writeFileAtomic, writeLine } from '../io/atomic-file.js';
import { startProgress } from '../io/progress.js';
import { fileSize, readRecords, type InputFormat } from '../io/records.js';
import { openEngine, type EngineFlags } from './shared.js';

export interface BatchFlags extends EngineFlags {
  in: string;
  out: string;
  textColumn?: string;
  format?: InputFormat;
  summaryJson?: string;
  progress?: boolean;
}

export interface BatchSummary {
  count: number;
  labels: Record<string, { count: number; share: number; mean_probability: number }>;
  seconds: number;
  rows_per_second: number;
  peak_rss_mb: number;
  /** Rows longer than the model reads, of which only the start was classified (0 with --long-text chunk). */
  truncated: number;
  /** Tokens the model reads at most, special tokens included. */
  max_tokens: number;
}

type OutFormat = 'jsonl' | 'csv';

function outputFormat(path: string): OutFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  throw new GlassboxError('INVALID_OPTION', `--out ${path}: use a .jsonl or .csv file name`);
}

/**
 * Classifies a CSV/TSV/JSONL file row by row into JSONL or CSV, in bounded memory: records are
 * read, classified and written in chunks, with backpressure. Output goes to a temporary file
 * renamed into place at the end, so a failure never leaves a half-written --out.
 */
export async function batchCommand(flags: BatchFlags, log: NodeJS.WritableStream): Promise<BatchSummary> {
  const format = outputFormat(flags.out);
  const total = fileSize(flags.in);
  const engine = await openEngine(flags);
  const labels = engine.labels;
  const maxTokens = engine.maxLength;
  const counts = new Array<number>(labels.length).fill(0);
  const probSums = new Array<number>(labels.length).fill(0);
  const showProgress = flags.progress !== false;
  let bytes = 0;
  let rows = 0;
  let truncated = 0;
  const started = process.hrtime.bigint();
  const records = readRecords(flags.in, {
    format: flags.format,
    textColumn: flags.textColumn,
    onBytes: (b) => {
      bytes = b;
    },
  })[Symbol.asyncIterator]();
  let first: IteratorResult<{ text: string }>;
  try {
    // The header and first row are checked (a missing text column, say) before any progress shows.
    first = await records.next();
  } catch (e) {
    await engine.dispose();
    throw e;
  }
  const progress = startProgress('batch', total, showProgress);
  const file = await openAtomicFile(flags.out);
  try {
    if (format === 'csv') await writeLine(file.stream, stringify([['text', 'label', 'score', ...labels]]));
    const texts = (async function* () {
      if (first.done) return;
      yield first.value.text;
      for (let r = await records.next(); !r.done; r = await records.next()) yield r.value.text;
    })();
    for await (const p of engine.classifyStream(texts)) {
      rows++;
      if (p.truncated) truncated++;
      counts[p.labelId]++;
      labels.forEach((l, j) => {
        probSums[j] += p.probabilities[l];
      });
      await writeLine(file.stream, format === 'jsonl' ? jsonlRow(p) : csvRow(p, labels));
      if (rows % 256 === 0) progress.update(bytes, rows);
    }
    await file.commit();
  } catch (e) {
    progress.stop();
    await file.abort();
    await engine.dispose();
    throw e;
  }
  progress.finish(rows);
  await engine.dispose();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const summary: BatchSummary = {
    count: rows,
    labels: Object.fromEntries(
      labels.map((l, j) => [l, { count: counts[j], share: rows ? counts[j] / rows : 0, mean_probability: rows ? probSums[j] / rows : 0 }]),
    ),
    seconds: Number(seconds.toFixed(3)),
    rows_per_second: Number((rows / seconds).toFixed(1)),
    peak_rss_mb: Number((process.resourceUsage().maxRSS / 1024).toFixed(1)),
    truncated,
    max_tokens: maxTokens,
  };
  if (flags.summaryJson) await writeFileAtomic(flags.summaryJson, `${JSON.stringify(summary, null, 2)}\n`);
  log.write(formatSummary(summary, flags.out));
  return summary;
}

function jsonlRow(p: Prediction): string {
  return `${JSON.stringify({ text: p.text, label: p.label, score: p.score, probabilities: p.probabilities, truncated: p.truncated, tokens: p.tokens })}\n`;
}

function csvRow(p: Prediction, labels: readonly string[]): string {
  return stringify([[p.text, p.label, p.score, ...labels.map((l) => p.probabilities[l])]]);
}

export function formatSummary(s: BatchSummary, out: string): string {
  const lines = [
    `${s.count} rows -> ${out} in ${s.seconds.toFixed(1)} s (${s.rows_per_second} rows/s, peak RSS ${s.peak_rss_mb} MB)`,
    `${'label'.padEnd(10)} ${'count'.padStart(7)} ${'share'.padStart(7)} ${'mean p'.padStart(7)}`,
    ...Object.entries(s.labels).map(
      ([l, v]) => `${l.padEnd(10)} ${String(v.count).padStart(7)} ${v.share.toFixed(4).padStart(7)} ${v.mean_probability.toFixed(4).padStart(7)}`,
    ),
  ];
  if (s.truncated > 0) {
    lines.push(`${s.truncated} of ${s.count} rows were longer than the model reads (${s.max_tokens} tokens): only their start was classified (--long-text chunk reads them whole)`);
  }
  return `${lines.join('\n')}\n`;
}
