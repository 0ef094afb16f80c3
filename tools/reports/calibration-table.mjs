#!/usr/bin/env node
// Prints the README's calibration and ensemble tables: each model (and the ensemble of both,
// calibrated after combining) is scored on the whole dev split, and a temperature fitted on the
// first half of dev is evaluated on the second half. Usage: node tools/reports/calibration-table.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dev = process.argv[2] ?? '../shared/data/goemotions-ekman/dev.tsv';
const bin = 'apps/cli/bin/glassbox.js';
const work = mkdtempSync(join(tmpdir(), 'glassbox-report-'));
const glassbox = (...args) => JSON.parse(execFileSync(process.execPath, [bin, ...args, '--json'], { encoding: 'utf8' }));

const candidates = [
  ['emotion-mini', ['--model', 'models/emotion-mini']],
  ['emotion-mini-b', ['--model', 'models/emotion-mini-b']],
  ['ensemble (mean of probabilities)', ['--model', 'models/emotion-mini', '--model', 'models/emotion-mini-b']],
  ['ensemble (mean of logits)', ['--model', 'models/emotion-mini', '--model', 'models/emotion-mini-b', '--combine', 'logits']],
];
const f = (v) => v.toFixed(4);
const rows = [];
for (const [name, model] of candidates) {
  const all = glassbox('evaluate', '--data', dev, ...model);
  const cal = join(work, `${rows.length}.json`);
  glassbox('calibrate', '--data', dev, '--rows', '1:2713', '--method', 'temperature', '--conformal', '0.1', '--out', cal, ...model);
  const held = glassbox('evaluate', '--data', dev, '--rows', '2714:5426', '--calibration', cal, ...model);
  rows.push([name, all, held]);
}
console.log('| model | dev accuracy | dev macro-F1 | ECE-15 raw -> T | Brier raw -> T | NLL raw -> T | LAC(0.1) coverage, mean set size |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const [name, all, h] of rows) {
  console.log(
    `| ${name} | ${f(all.accuracy)} | ${f(all.macro_f1)} | ${f(h.ece_uncalibrated)} -> ${f(h.ece)} | ${f(h.brier_uncalibrated)} -> ${f(h.brier)} | ${f(h.nll_uncalibrated)} -> ${f(h.nll)} | ${f(h.conformal.coverage)}, ${h.conformal.mean_set_size.toFixed(2)} |`,
  );
}
rmSync(work, { recursive: true, force: true });
