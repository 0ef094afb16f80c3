// Expected values for rules.test.yml, from libs/monitor's own pure functions (driftStatistics,
// psiAlarm), so the PromQL rules are checked against the in-process implementation.
//
//   node tools/prometheus/test/expected.mjs            # libs/monitor's built dist
//   npx tsx --conditions development tools/prometheus/test/expected.mjs   # its TypeScript source
//   ... --check     exit 1 unless rules.test.yml expects exactly these values and alerts
//
// The scenarios are the increments per scrape of each replica's counters that rules.test.yml feeds
// in over one hour (`steps` scrapes), so the window counts are steps x (replica a + replica b).

import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALARM_DEFAULTS, chiSquareQuantile, driftStatistics, psiAlarm } from '@glassbox/monitor';
import { chiSquareQuantile as generatorQuantile } from '../generate-rules.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const reference = JSON.parse(readFileSync(join(here, 'reference.json'), 'utf8'));

const IN_CONFIDENCE = { a: [0, 1, 1, 2, 2, 2, 2, 2, 1, 2, 1], b: [0, 0, 2, 1, 2, 2, 1, 1, 2, 1, 1] };
const IN_LABELS = { a: [1, 0, 1, 5, 5, 2, 1], b: [1, 1, 0, 4, 5, 2, 1] };

export const SCENARIOS = {
  // `alerts`: the signals whose PSI alert the tests expect to fire (psiAlarm must agree).
  // (a) in-distribution on both signals: no alert.
  'in-distribution': { steps: 60, alerts: [], confidence: IN_CONFIDENCE, labels: IN_LABELS },
  // (b) confidence mass moves to low buckets, including bin 0 that the reference never saw (df 9 -> 10).
  'confidence-shift': {
    steps: 60,
    alerts: ['confidence'],
    confidence: { a: [1, 3, 3, 3, 2, 1, 1, 1, 0, 1, 0], b: [1, 2, 3, 2, 2, 1, 1, 0, 1, 0, 0] },
    labels: IN_LABELS,
  },
  // (c) anger from 8% to ~37%; disgust never predicted (no series at all).
  'label-shift': {
    steps: 60,
    alerts: ['labels'],
    confidence: IN_CONFIDENCE,
    labels: { a: [5, 0, 1, 2, 2, 2, 1], b: [5, 0, 1, 2, 3, 1, 2] },
  },
  // (d) strongly shifted but only 24 predictions in the hour (interval 10m, 6 steps): below minSamples.
  'too-few': {
    steps: 6,
    alerts: [],
    confidence: { a: [2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0], b: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
    labels: { a: [4, 0, 0, 0, 0, 0, 0], b: [0, 0, 0, 0, 0, 0, 0] },
  },
};

/** concentrated.test.yml's window: 12 scrapes of a [.., 1, 1] + b [.., 0, 2]. */
export const CONCENTRATED_WINDOW = [0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 36];

function windowCounts({ a, b }, steps) {
  return a.map((x, i) => steps * (x + b[i]));
}

// psiAlarm's critical value: (1/n + 1/m) chi2_{1-alpha}(max(1, df)).
const dfOf = (stats) => Math.max(1, stats.chiSquare.df);
const criticalOf = (stats) => (1 / stats.n + 1 / stats.m) * chiSquareQuantile(1 - ALARM_DEFAULTS.alpha, dfOf(stats));

export function expected() {
  const out = {};
  for (const [name, s] of Object.entries(SCENARIOS)) {
    const confidence = windowCounts(s.confidence, s.steps);
    const labels = windowCounts(s.labels, s.steps);
    const c = driftStatistics(confidence, reference.counts.confidence);
    const l = driftStatistics(labels, reference.counts.labels);
    const ca = psiAlarm(c, ALARM_DEFAULTS);
    const la = psiAlarm(l, ALARM_DEFAULTS);
    out[name] = {
      confidence: { counts: confidence, n: c.n, psi: c.psi, df: dfOf(c), critical: criticalOf(c), alarm: ca.alarm },
      labels: { counts: labels, n: l.n, psi: l.psi, chi2: l.chiSquare.statistic, df: dfOf(l), critical: criticalOf(l), alarm: la.alarm },
    };
  }
  return out;
}

/** The generator's chi-square quantiles, and the values and alerts rules.test.yml expects, equal libs/monitor's. */
function check(values) {
  const problems = [];
  for (const df of [1, 6, 9, 10, 11, 30]) {
    const ours = generatorQuantile(1 - ALARM_DEFAULTS.alpha, df);
    const theirs = chiSquareQuantile(1 - ALARM_DEFAULTS.alpha, df);
    if (ours !== theirs) problems.push(`chi-square quantile at df ${df}: generator ${ours}, libs/monitor ${theirs}`);
  }
  // Both ways: every scenario's PSIs are tested, and every non-integer value the tests expect is one
  // libs/monitor computes (PSI, chi-square or critical value), written exactly (String(x)).
  const text = readFileSync(join(here, 'rules.test.yml'), 'utf8');
  const computed = new Set();
  for (const [name, v] of Object.entries(values)) {
    const alarms = ['confidence', 'labels'].filter((s) => v[s].alarm);
    if (alarms.join() !== SCENARIOS[name].alerts.join()) problems.push(`${name}: psiAlarm fires on [${alarms}], the tests expect [${SCENARIOS[name].alerts}]`);
    for (const s of ['confidence', 'labels']) {
      for (const key of ['psi', 'chi2', 'critical']) if (v[s][key] !== undefined) computed.add(String(v[s][key]));
      if (!text.includes(`value: ${v[s].psi}\n`)) problems.push(`${name}: ${s} PSI ${v[s].psi} is not tested`);
    }
  }
  // concentrated.test.yml: identical data in 2 of 11 bins (bins empty on both sides excluded).
  const concentrated = JSON.parse(readFileSync(join(here, 'concentrated-reference.json'), 'utf8')).counts.confidence;
  const c = driftStatistics(CONCENTRATED_WINDOW, concentrated);
  const concentratedText = readFileSync(join(here, 'concentrated.test.yml'), 'utf8');
  if (psiAlarm(c, ALARM_DEFAULTS).alarm) problems.push('concentrated: psiAlarm fires on identical data');
  for (const x of [c.psi, criticalOf(c)]) {
    if (!concentratedText.includes(`value: ${x}\n`)) problems.push(`concentrated.test.yml does not expect ${x} (libs/monitor's PSI / critical value)`);
  }
  let tested = 0;
  for (const [, x] of text.matchAll(/^\s*value: (\S+)$/gm)) {
    if (Number.isInteger(Number(x))) continue;
    tested++;
    if (!computed.has(x)) problems.push(`rules.test.yml expects ${x}, which libs/monitor does not compute`);
  }
  if (problems.length > 0) {
    process.stderr.write(`rules.test.yml and libs/monitor disagree:\n  ${problems.join('\n  ')}\n`);
    return 1;
  }
  process.stdout.write(`expected values: all ${tested} PSI / chi-square / critical values in rules.test.yml equal libs/monitor's, and psiAlarm agrees with every scenario's expected alerts\n`);
  return 0;
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const values = expected();
  if (process.argv.includes('--check')) process.exitCode = check(values);
  else process.stdout.write(`${JSON.stringify(values, null, 2)}\n`);
}
