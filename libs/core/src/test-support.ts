// Test helpers shared by the libraries' tests: where the repository, the embedded model and
// ../shared (data and golden fixtures, never committed) lie.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const miniModelDir = `${repoRoot}models/emotion-mini`;
export const miniNoAttentionsDir = `${repoRoot}models/emotion-mini/no-attentions`;
export const sharedDir = `${repoRoot}../shared`;
export const devTsv = `${sharedDir}/data/goemotions-ekman/dev.tsv`;
/** The embedded model's layer count, from its config.json (tests derive per-layer counts from it). */
export const miniLayers: number = JSON.parse(readFileSync(`${miniModelDir}/config.json`, 'utf8')).num_hidden_layers;
/** Output names of a graph with attentions: logits, then attentions.0 ... attentions.(layers - 1). */
export const attentionOutputs = (layers: number): string[] => Array.from({ length: layers }, (_, i) => `attentions.${i}`);

/** Why tests that need ../shared are skipped, or null when it is there. */
export const sharedMissing: string | null = existsSync(devTsv)
  ? null
  : `../shared/data/goemotions-ekman/dev.tsv not found beside the repository: data-backed tests skipped`;

/** Texts of dev.tsv by 1-based line number (read where the data lies; never copied). */
export function devTexts(lines: readonly number[]): string[] {
  const all = readFileSync(devTsv, 'utf8').split('\n');
  return lines.map((n) => all[n - 1].split('\t')[0]);
}
