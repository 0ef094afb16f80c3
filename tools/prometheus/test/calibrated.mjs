// Rules from a reference calibrated to an expected run length (libs/monitor run-length.ts) must
// use libs/monitor's calibrated thresholds: for each signal, the recorded PSI critical value at a
// full window (n = the calibrated window) equals the library's `full_window_thresholds`, and the
// chi-square critical value is scaled by the same multiplier. Writes the calibrated rules to the
// path given (for promtool check rules); exits 1 on a mismatch.
//
//   node tools/prometheus/test/calibrated.mjs OUT.yml

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinDriftStatistics, calibrateRunLength, resolveAlarmOptions } from '@glassbox/monitor';
import { generateRules } from '../generate-rules.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const reference = JSON.parse(readFileSync(join(here, 'reference.json'), 'utf8'));
const window = 100;
const runLength = calibrateRunLength(reference, { window, alarm: resolveAlarmOptions(), statistics: builtinDriftStatistics(), streams: 40 });
const yaml = generateRules({ ...reference, run_length: runLength }, { signals: ['confidence', 'margin', 'entropy', 'labels'] });
const plain = generateRules(reference, { signals: ['confidence', 'margin', 'entropy', 'labels'] });
if (process.argv[2]) writeFileSync(process.argv[2], yaml);

const failures = [];
/** A recording rule's expression as the YAML holds it: plain, '…' quoted, or a |- block (lines joined). */
const exprOf = (text, record) => {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.trim() === `- record: ${record}`);
  if (at < 0) return null;
  const line = lines[at + 1].trim();
  if (!line.startsWith('expr: ')) return null;
  const value = line.slice(6);
  if (value.startsWith("'")) return value.slice(1, -1).replace(/''/g, "'");
  if (value !== '|-') return value;
  const indent = lines[at + 2].length - lines[at + 2].trimStart().length;
  const block = [];
  for (let i = at + 2; i < lines.length && lines[i].length - lines[i].trimStart().length >= indent && lines[i].trim() !== ''; i++) block.push(lines[i].trim());
  return block.join(' ');
};
for (const [signal, key] of [['confidence', 'confidence'], ['margin', 'margin'], ['entropy', 'entropy'], ['labels', 'label']]) {
  const counts = reference.counts[signal];
  const m = counts.reduce((a, b) => a + b, 0);
  const df = Math.max(1, counts.filter((c) => c > 0).length - 1);
  const expr = exprOf(yaml, `glassbox:${key}_psi_critical:1h`);
  const k = runLength.multipliers[signal].psi;
  // "<k> * (1 / sum(count) + 1 / m) * (0 * sum(df) + q)" or a lookup "(sum(df) == bool d) * q + ..."
  const q = Number((new RegExp(`== bool ${df}\\) \\* ([0-9.e+-]+)`).exec(expr ?? '') ?? /\+ ([0-9.e+-]+) ?\)$/.exec(expr ?? '') ?? [])[1]);
  const head = Number(/^([0-9.e+-]+) \* /.exec(expr ?? '')?.[1]);
  const atWindow = head * (1 / window + 1 / m) * q;
  const library = runLength.full_window_thresholds[signal].psi;
  if (!(head === k && Math.abs(atWindow - library) <= 1e-12 * library)) {
    failures.push(`${signal}: rules give ${atWindow} (multiplier ${head}) at n ${window}, libs/monitor ${library} (multiplier ${k})`);
  }
  if (exprOf(plain, `glassbox:${key}_psi_critical:1h`)?.startsWith(`${k} *`)) failures.push(`${signal}: an uncalibrated reference got a multiplier`);
}
const chi = exprOf(yaml, 'glassbox:label_chi2_critical:1h') ?? '';
if (!chi.startsWith(`${runLength.multipliers.labels['chi-square']} * `)) failures.push(`labels chi-square critical is not scaled: ${chi.slice(0, 80)}`);
if (failures.length > 0) {
  process.stderr.write(`calibrated rules differ from libs/monitor:\n  ${failures.join('\n  ')}\n`);
  process.exit(1);
}
process.stdout.write(`calibrated rules match libs/monitor (run length ${runLength.settings.expected_run_length}, window ${window})\n`);
