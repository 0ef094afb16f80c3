/**
 * Number formatting and Markdown tables, padded so the same text reads well on a terminal and
 * renders as a table in BENCHMARKS.md.
 */
import type { BenchResult, Table } from './bench-types.js';
import type { Spread } from './measure.js';

/** A number with `digits` significant figures below 100, and grouped digits above. */
export function num(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return '–';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(digits)).toString();
}

/** "median (min–max)". */
export function withRange(s: Spread, digits = 3): string {
  return `${num(s.median, digits)} (${num(s.min, digits)}–${num(s.max, digits)})`;
}

/** A ratio as "1.23x"; "1.00x (peer)" for the peer itself. */
export function ratio(value: number, isPeer = false): string {
  return isPeer ? '1.00x (peer)' : `${value.toFixed(2)}x`;
}

/** A Markdown table whose columns are padded to a common width. */
export function renderTable(table: Table): string {
  const widths = table.columns.map((c, i) => Math.max(c.length, ...table.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(table.columns), line(widths.map((w) => '-'.repeat(Math.max(3, w)))), ...table.rows.map(line)].join('\n');
}

/** A benchmark's section: heading, notes, table, findings. */
export function renderResult(title: string, result: BenchResult): string {
  const parts = [`### ${title}`, ''];
  if (result.notes.length > 0) parts.push(bullets(result.notes), '');
  parts.push(renderTable(result.table));
  if (result.findings.length > 0) parts.push('', bullets(result.findings));
  return parts.join('\n');
}

/** Sentences as a Markdown bullet list. */
export function bullets(lines: readonly string[]): string {
  return lines.map((l) => `- ${l}`).join('\n');
}
