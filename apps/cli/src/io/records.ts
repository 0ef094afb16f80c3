import { createReadStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { parse } from 'csv-parse';
import { GlassboxError } from '@glassbox/core';

export type InputFormat = 'csv' | 'tsv' | 'jsonl';

/** One input row: its 1-based line (CSV/TSV record number counting the header, or JSONL line). */
export interface InputRecord {
  row: number;
  text: string;
  /** The raw label cell, when the file has one (GoEmotions TSV: "3" or "3,6"; CSV/JSONL: name or id). */
  label?: string;
}

export interface ReadRecordsOptions {
  textColumn?: string;
  labelColumn?: string;
  format?: InputFormat;
  /** Called with the bytes read so far (progress). */
  onBytes?: (bytes: number) => void;
}

export function detectFormat(path: string): InputFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new GlassboxError('INPUT_FORMAT', `${path}: unknown format "${ext}"; use .csv, .tsv or .jsonl (or --format)`);
}

export function fileSize(path: string): number {
  try {
    const s = statSync(path);
    if (!s.isFile()) throw new Error('not a regular file');
    return s.size;
  } catch (cause) {
    throw new GlassboxError('INPUT_FILE_UNREADABLE', `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
}

/** Decodes UTF-8 strictly: invalid bytes stop the stream with an error naming the byte offset. */
class StrictUtf8 extends Transform {
  private decoder = new TextDecoder('utf-8', { fatal: true });
  private offset = 0;
  constructor(
    private readonly path: string,
    private readonly onBytes?: (n: number) => void,
  ) {
    super({ decodeStrings: true });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      const text = this.decoder.decode(chunk, { stream: true });
      this.offset += chunk.length;
      this.onBytes?.(this.offset);
      cb(null, this.offset === chunk.length ? text.replace(/^\uFEFF/, '') : text);
    } catch {
      cb(new GlassboxError('INPUT_FORMAT', `${this.path}: invalid UTF-8 in bytes ${this.offset}..${this.offset + chunk.length}`));
    }
  }
  override _flush(cb: TransformCallback): void {
    try {
      cb(null, this.decoder.decode());
    } catch {
      cb(new GlassboxError('INPUT_FORMAT', `${this.path}: invalid UTF-8 at the end of the file`));
    }
  }
}

/**
 * Streams the records of a CSV, TSV or JSONL file. CSV needs a header row naming the text
 * column. A TSV whose first row names the text column is read with that header; otherwise it is
 * read in the GoEmotions layout (text, label ids, id) without a header. JSONL needs objects with
 * the text field. Empty or missing texts fail with the row number.
 */
export async function* readRecords(path: string, options: ReadRecordsOptions = {}): AsyncGenerator<InputRecord> {
  const format = options.format ?? detectFormat(path);
  const textColumn = options.textColumn ?? 'text';
  const labelColumn = options.labelColumn ?? 'label';
  fileSize(path);
  const source = createReadStream(path).pipe(new StrictUtf8(path, options.onBytes));
  source.on('error', () => undefined);
  if (format === 'jsonl') {
    yield* readJsonl(path, source, textColumn, labelColumn);
    return;
  }
  const parser = source.pipe(
    parse({
      delimiter: format === 'tsv' ? '\t' : ',',
      quote: format === 'tsv' ? false : '"',
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
    }),
  );
  source.on('error', (e) => parser.destroy(e));
  let header: string[] | null = null;
  let textIndex = 0;
  let labelIndex: number | null = 1;
  let row = 0;
  try {
    for await (const cells of parser as AsyncIterable<string[]>) {
      row++;
      if (row === 1) {
        const named = cells.indexOf(textColumn);
        if (named >= 0) {
          header = cells;
          textIndex = named;
          const l = cells.indexOf(labelColumn);
          labelIndex = l >= 0 ? l : null;
          continue;
        }
        if (format === 'csv' || options.textColumn) {
          throw new GlassboxError(
            'INPUT_FORMAT',
            `${path}: no column named "${textColumn}" in the header (${cells.slice(0, 8).join(', ')}); pass --text-column NAME`,
          );
        }
      }
      const text = cells[textIndex];
      if (text === undefined || text.trim() === '') {
        throw new GlassboxError('INPUT_FORMAT', `${path}:${row}: empty text${header ? ` in column "${textColumn}"` : ''}`);
      }
      const label = labelIndex === null ? undefined : cells[labelIndex];
      yield label === undefined ? { row, text } : { row, text, label };
    }
  } catch (e) {
    if (e instanceof GlassboxError) throw e;
    throw new GlassboxError('INPUT_FORMAT', `${path}: ${(e as Error).message}`, { cause: e });
  }
}

async function* readJsonl(path: string, source: NodeJS.ReadableStream, textField: string, labelField: string): AsyncGenerator<InputRecord> {
  let buffer = '';
  let row = 0;
  const parseLine = (line: string): InputRecord | null => {
    row++;
    if (line.trim() === '') return null;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new GlassboxError('INPUT_FORMAT', `${path}:${row}: invalid JSON (${(e as Error).message})`);
    }
    const rec = obj as Record<string, unknown>;
    const text = obj && typeof obj === 'object' ? rec[textField] : undefined;
    if (typeof text !== 'string') {
      throw new GlassboxError('INPUT_FORMAT', `${path}:${row}: no string field "${textField}"`);
    }
    if (text.trim() === '') throw new GlassboxError('INPUT_FORMAT', `${path}:${row}: empty text`);
    const label = rec[labelField];
    return label === undefined || label === null ? { row, text } : { row, text, label: String(label) };
  };
  for await (const chunk of source as AsyncIterable<string>) {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const r = parseLine(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      if (r) yield r;
    }
  }
  const last = parseLine(buffer);
  if (last) yield last;
}
