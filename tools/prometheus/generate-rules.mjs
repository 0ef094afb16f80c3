#!/usr/bin/env node
// Prometheus recording and alerting rules for glassbox drift, generated from a reference profile.
//
//   node tools/prometheus/generate-rules.mjs --reference reference.json [--window 1h] [--out rules.yml]
//
// The rules compute, over `increase(...[window])` summed across all replicas, the same PSI (and
// Pearson chi-square for labels) that libs/monitor's `driftStatistics` computes in-process, and alert
// with the same sample-size-aware rule as its `psiAlarm`: PSI > (1/n + 1/m) chi2_{1-alpha}(df) and
// PSI >= floor and n >= minSamples. See README.md beside this file. Plain Node, no dependencies.

import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ALARM_DEFAULTS, BUILTIN_DRIFT_STATISTICS, chiSquareQuantile } from '@glassbox/monitor';

// The statistics these rules compute in PromQL, and their defaults, from libs/monitor's built-in
// statistic list (statistics/psi.ts, chi-square-statistic.ts) and ALARM_DEFAULTS: one place.
const statistic = (name) => BUILTIN_DRIFT_STATISTICS.find((p) => p.name === name) ?? fail(`libs/monitor has no drift statistic "${name}"`);
const PSI = statistic('psi');
statistic('chi-square');
const DEFAULTS = Object.freeze({
  window: '1h',
  alpha: ALARM_DEFAULTS.alpha,
  psiFloor: PSI.options.floor.default,
  minSamples: ALARM_DEFAULTS.minSamples,
  pseudoCount: PSI.options.pseudoCount.default,
  for: '5m',
  severity: 'warning',
});
const HISTOGRAM_SIGNALS = ['confidence', 'margin', 'entropy'];
const ALL_SIGNALS = [...HISTOGRAM_SIGNALS, 'labels'];

const USAGE = `usage: node tools/prometheus/generate-rules.mjs --reference reference.json [options]

  --reference FILE    reference profile JSON (glassbox monitor reference --out FILE)   [required]
  --window DUR        increase() window, a Prometheus duration                          [${DEFAULTS.window}]
  --out FILE          write the rules here (default: stdout)
  --grafana FILE      also write a Grafana dashboard (JSON) of the fleet drift these rules record,
                      with the same options, and per-replica panels (grafana-dashboard.mjs)
  --signals LIST      comma-separated: confidence, margin, entropy, labels            [confidence,labels]
  --selector SEL      series matchers, replacing the default, e.g. 'model_id="m", calibration_id="t"'; '' for none
                      [model_id="<reference model.id>"]
  --alpha A           significance level of the PSI critical value                    [${DEFAULTS.alpha}]
  --psi-floor X       PSI effect floor                                                [${DEFAULTS.psiFloor}]
  --min-samples N     no alert below N predictions in the window                      [${DEFAULTS.minSamples}]
  --for DUR           alert 'for' duration                                            [${DEFAULTS.for}]
  --severity S        alert severity label                                            [${DEFAULTS.severity}]
  --per-window        ignore the reference's run-length calibration (run_length): plain per-window
                      critical values at --alpha
`;

// Chi-square quantile: libs/monitor's own (built by `npm ci` / `npm run build`), so the constants
// written into the rules equal the critical values psiAlarm uses.
export { chiSquareQuantile };

// ---------------------------------------------------------------------------------------------
// Reference profile: the checks of libs/monitor's parseReferenceProfile that matter here.

function fail(message) {
  throw new Error(message);
}

export function checkReference(value) {
  const where = 'reference profile';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${where}: expected a JSON object.`);
  if (value.format !== 'glassbox-reference') fail(`${where}: format must be "glassbox-reference" (got ${JSON.stringify(value.format)}).`);
  if (value.version !== 1) fail(`${where}: version ${JSON.stringify(value.version)} is not supported; this generator reads version 1.`);
  const model = value.model;
  if (typeof model?.id !== 'string' || model.id.length === 0) fail(`${where}: model.id must be a non-empty string.`);
  const labels = model.labels;
  if (!Array.isArray(labels) || labels.length < 2 || labels.some((l) => typeof l !== 'string' || l.length === 0)) {
    fail(`${where}: model.labels must be a list of at least 2 non-empty strings in model order.`);
  }
  if (new Set(labels).size !== labels.length) fail(`${where}: model.labels must be unique.`);
  const n = value.n;
  if (!Number.isInteger(n) || n < 1) fail(`${where}: n must be an integer >= 1.`);
  for (const s of HISTOGRAM_SIGNALS) {
    const b = value.buckets?.[s];
    if (!Array.isArray(b) || b.length === 0 || b.some((x, i) => typeof x !== 'number' || !Number.isFinite(x) || (i > 0 && x <= b[i - 1]))) {
      fail(`${where}: buckets.${s} must be a non-empty list of finite, strictly increasing boundaries (+Inf is implicit).`);
    }
  }
  const lengths = { confidence: value.buckets.confidence.length + 1, margin: value.buckets.margin.length + 1, entropy: value.buckets.entropy.length + 1, labels: labels.length };
  for (const s of ALL_SIGNALS) {
    const c = value.counts?.[s];
    if (!Array.isArray(c) || c.length !== lengths[s]) fail(`${where}: counts.${s} must be an array of ${lengths[s]} counts.`);
    if (c.some((x) => typeof x !== 'number' || !Number.isFinite(x) || x < 0)) fail(`${where}: counts.${s} must hold finite counts >= 0.`);
    const sum = c.reduce((a, b) => a + b, 0);
    if (Math.abs(sum - n) > 1e-9 * n) fail(`${where}: counts.${s} sum to ${sum}, not n = ${n}.`);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Rule building.

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

/** Exact, shortest round-trip decimal of a double (what JSON and JS print). */
export const num = (x) => (Object.is(x, -0) ? '0' : String(x));

/** A PromQL string literal. */
const promString = (s) => JSON.stringify(s);

/** Matchers for an `le` boundary: the OTel JS exporter writes String(b); Prometheus 3 normalises integers to "1.0". */
function leMatcher(boundary) {
  const s = num(boundary);
  if (Number.isInteger(boundary) && !/e/i.test(s)) return `le=~${promString(`${s}|${s}\\.0`)}`;
  return `le=${promString(s)}`;
}

/** `{a,b}` from non-empty matcher strings. */
const braces = (...parts) => `{${parts.filter((p) => p && p.length > 0).join(', ')}}`;

/**
 * Rules for one signal: per-bin current counts, n, PSI terms, PSI, df, critical value, and (labels)
 * Pearson's chi-square; then the alert. `binCount(i)` is a PromQL expression for the current count of bin i.
 */
function signalRules({ signal, key, alertName, what, binLabels, binCount, reference, window, opts, chiSquare }) {
  const B = reference.length;
  const m = reference.reduce((a, b) => a + b, 0);
  const p = opts.pseudoCount;
  const rTotal = m + p * B;
  const refShares = reference.map((r) => (r + p) / rTotal);
  const names = recordNames(key, window);
  const bin = (i) => `sum(${names.bin}{bin="${i}"})`;
  const n = `sum(${names.count})`;
  const rules = [];

  for (let i = 0; i < B; i++) {
    rules.push({ record: names.bin, expr: binCount(i), labels: { bin: String(i), ...binLabels(i) } });
  }
  // Sums are written out bin by bin, in bin order, so the floating-point operations are those of
  // driftStatistics (sum() may add in another order): the recorded values equal its results exactly.
  const inline = (name) => reference.map((_, i) => `sum(${name}{bin="${i}"})`).join('\n+ ');
  rules.push({ record: names.count, expr: inline(names.bin) });

  // PSI = sum_i (c_i - r_i) ln(c_i / r_i), c_i = (x_i + p) / (n + p B), r_i = (ref_i + p) / (m + p B),
  // over the B bins holding data on either side, as driftStatistics computes it: a bin empty on both
  // sides takes no pseudo-count and adds nothing (it can only be one empty in the reference), so PSI
  // and its df count the same bins. Bins with reference counts always hold data; a bin empty in the
  // reference counts only when the window fills it, so B is a recorded series when there are such bins.
  const refNonEmpty = reference.filter((r) => r > 0).length;
  const refEmpty = reference.map((r, i) => (r > 0 ? -1 : i)).filter((i) => i >= 0);
  const filled = (i) => `(${bin(i)} > bool 0 or on() 0 * ${n})`;
  if (refEmpty.length > 0) {
    rules.push({ record: names.bins, expr: `0 * ${n} + ${num(refNonEmpty)}${refEmpty.map((i) => `\n+ ${filled(i)}`).join('')}` });
  }
  const pB = refEmpty.length > 0 ? `${num(p)} * sum(${names.bins})` : num(p * B);
  for (let i = 0; i < B; i++) {
    const c = `(${bin(i)} + ${num(p)}) / (${n} + ${pB})`;
    const r = refEmpty.length > 0 ? `(${num(reference[i] + p)} / (${num(m)} + ${pB}))` : num(refShares[i]);
    const term = `(${c} - ${r})\n* ln(${c} / ${r})`;
    rules.push({
      record: names.term,
      expr: reference[i] > 0 ? term : `(\n  ${term.replace(/\n/g, '\n  ')}\n) and on() ${bin(i)} > 0\nor on() 0 * ${n}`,
      labels: { bin: String(i), ...binLabels(i) },
    });
  }
  // driftStatistics gives PSI 0 for an empty window; so does this (the "or" branch).
  rules.push({ record: names.psi, expr: `clamp_min(\n  ${inline(names.term).replace(/\n/g, '\n  ')}\n, 0) and on() ${n} > 0\nor 0 * ${n}` });

  // df = B - 1 (at least 1, as psiAlarm uses max(1, df)).
  const dfBase = refNonEmpty - 1;
  rules.push({
    record: names.df,
    expr: refEmpty.length > 0 ? `clamp_min(sum(${names.bins}) - 1, 1)` : `clamp_min(0 * ${n} + ${num(dfBase)}, 1)`,
  });
  const dfValues = [];
  for (let d = Math.max(1, dfBase); d <= Math.max(1, dfBase + refEmpty.length); d++) dfValues.push(d);
  const quantile = (d) => chiSquareQuantile(1 - opts.alpha, d);
  const lookup =
    dfValues.length === 1
      ? `(0 * sum(${names.df}) + ${num(quantile(dfValues[0]))})`
      : `(\n  ${dfValues.map((d) => `(sum(${names.df}) == bool ${d}) * ${num(quantile(d))}`).join('\n  + ')}\n)`;
  // A reference calibrated to an expected run length (libs/monitor run-length.ts) scales each
  // critical value by its test's multiplier, as the in-process monitor does.
  const scaled = (statistic, expr) => {
    const k = opts.perWindow ? undefined : opts.runLength?.multipliers?.[signal]?.[statistic];
    return k === undefined ? expr : `${num(k)} * ${expr}`;
  };
  rules.push({ record: names.critical, expr: scaled('psi', `(1 / ${n} + 1 / ${num(m)}) * ${lookup}`) });

  if (chiSquare) {
    // Pearson's X^2 of the 2 x B table (current, reference) x bins, as driftStatistics computes it:
    // sum_i (x_i - E_i)^2 / E_i + (r_i - F_i)^2 / F_i, E_i = n (x_i + r_i) / (n + m), F_i = m (x_i + r_i) / (n + m);
    // a bin empty on both sides is skipped (it can only be one empty in the reference).
    const terms = reference.map((r, i) => {
      const x = bin(i);
      const e = `${n} * (${x} + ${num(r)}) / (${n} + ${num(m)})`;
      const f = `${num(m)} * (${x} + ${num(r)}) / (${n} + ${num(m)})`;
      const term = `(${x} - ${e}) ^ 2 / (${e})\n    + (${num(r)} - ${f}) ^ 2 / (${f})`;
      return r > 0 ? `(\n    ${term}\n  )` : `(\n    ${term}\n    and on() ${x} > 0 or on() 0 * ${n}\n  )`;
    });
    rules.push({ record: names.chi2, expr: `(\n  ${terms.join('\n  + ')}\n) and on() ${n} > 0\nor 0 * ${n}` });
    rules.push({ record: names.chi2Critical, expr: scaled('chi-square', lookup) });
  }

  const value = (name, fmt) => `{{ with query "${name}" }}{{ . | first | value | printf "${fmt}" }}{{ end }}`;
  const alert = {
    alert: alertName,
    expr: `${names.psi} > ${names.critical}\nand ${names.psi} >= ${num(opts.psiFloor)}\nand ${names.count} >= ${num(opts.minSamples)}`,
    for: opts.for,
    labels: { severity: opts.severity, signal },
    annotations: {
      summary: `glassbox ${what} drift: PSI {{ $value | printf "%.3f" }} over the last ${window}`,
      description:
        `PSI of ${what} over the last ${window} (all replicas) is {{ $value | printf "%.4f" }}, above the critical value ` +
        `${value(names.critical, '%.4f')} (alpha ${num(opts.alpha)}, n ${value(names.count, '%.0f')}, m ${num(m)}, ` +
        `df ${value(names.df, '%.0f')}) and the floor ${num(opts.psiFloor)}` +
        (chiSquare ? `; chi-square ${value(names.chi2, '%.1f')} (critical ${value(names.chi2Critical, '%.1f')})` : '') +
        '.',
    },
  };
  return { rules, alert };
}

/**
 * The checked reference and options the rules (and the Grafana dashboard of grafana-dashboard.mjs)
 * are generated from: one place, so both name the same series with the same thresholds.
 */
export function resolveOptions(profile, options = {}) {
  const reference = checkReference(profile);
  const opts = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  const window = opts.window;
  if (!DURATION.test(window)) fail(`--window must be a Prometheus duration such as 1h or 30m (got ${JSON.stringify(window)}).`);
  if (!DURATION.test(opts.for)) fail(`--for must be a Prometheus duration such as 0m or 5m (got ${JSON.stringify(opts.for)}).`);
  if (!(opts.alpha > 0 && opts.alpha < 1)) fail(`--alpha must lie strictly between 0 and 1 (got ${opts.alpha}).`);
  if (!(opts.psiFloor >= 0) || !Number.isFinite(opts.psiFloor)) fail(`--psi-floor must be a finite number >= 0 (got ${opts.psiFloor}).`);
  if (!Number.isInteger(opts.minSamples) || opts.minSamples < 1) fail(`--min-samples must be an integer >= 1 (got ${opts.minSamples}).`);
  const signals = opts.signals ?? ['confidence', 'labels'];
  for (const s of signals) if (!ALL_SIGNALS.includes(s)) fail(`unknown signal "${s}"; choose from ${ALL_SIGNALS.join(', ')}.`);
  if (signals.length === 0) fail('--signals must name at least one signal.');
  const selector = opts.selector ?? `model_id=${promString(reference.model.id)}`;
  const runLength = opts.perWindow ? undefined : reference.run_length;
  if (runLength !== undefined && runLength.settings?.alpha !== opts.alpha) {
    fail(`the reference's thresholds were calibrated at alpha ${runLength.settings?.alpha}, not ${opts.alpha}; pass --per-window or the same --alpha.`);
  }
  opts.runLength = runLength;
  return { reference, opts, window, signals: ALL_SIGNALS.filter((s) => signals.includes(s)), selector };
}

/** The recorded series of one signal (`key`: confidence, margin, entropy or label) for a window. */
export function recordNames(key, window) {
  return {
    bin: `glassbox:${key}_bin:increase${window}`,
    count: `glassbox:${key}_count:increase${window}`,
    term: `glassbox:${key}_psi_term:${window}`,
    psi: `glassbox:${key}_psi:${window}`,
    df: `glassbox:${key}_df:${window}`,
    bins: `glassbox:${key}_bins:${window}`,
    critical: `glassbox:${key}_psi_critical:${window}`,
    chi2: `glassbox:${key}_chi2:${window}`,
    chi2Critical: `glassbox:${key}_chi2_critical:${window}`,
  };
}

/** The key of a signal in rule names, its alert's name and how alerts describe it. */
export function signalNames(signal) {
  if (signal === 'labels') return { key: 'label', alertName: 'GlassboxLabelDrift', what: 'predicted labels' };
  return { key: signal, alertName: `Glassbox${signal[0].toUpperCase()}${signal.slice(1)}Drift`, what: signal };
}

/** The series selector in braces, `{}` parts dropped when empty. */
export const selectorBraces = (selector, ...more) => braces(selector, ...more);

export function generateRules(profile, options = {}) {
  const { reference, opts, window, signals, selector } = resolveOptions(profile, options);
  const runLength = opts.runLength;

  const recording = [];
  const alerts = [];
  for (const signal of signals) {
    if (signal === 'labels') {
      const labels = reference.model.labels;
      const perLabel = `glassbox:predictions:increase${window}`;
      recording.push({ record: perLabel, expr: `sum by (label) (increase(glassbox_predictions_total${braces(selector)}[${window}]))` });
      const out = signalRules({
        signal,
        ...signalNames(signal),
        binLabels: (i) => ({ label: labels[i] }),
        // A label never predicted has no counter series: count it as 0 (n then decides whether there is data).
        binCount: (i) => `sum(${perLabel}{label=${promString(labels[i])}}) or vector(0)`,
        reference: reference.counts.labels,
        window,
        opts,
        chiSquare: true,
      });
      recording.push(...out.rules);
      alerts.push(out.alert);
    } else {
      const boundaries = reference.buckets[signal];
      const cumulative = `glassbox:${signal}_bucket:increase${window}`;
      recording.push({
        record: cumulative,
        expr: `sum by (le) (increase(glassbox_prediction_${signal}_bucket${braces(selector)}[${window}]))`,
      });
      const upper = (i) => (i < boundaries.length ? `${cumulative}${braces(leMatcher(boundaries[i]))}` : `${cumulative}{le="+Inf"}`);
      const out = signalRules({
        signal,
        ...signalNames(signal),
        binLabels: (i) => ({ upper: i < boundaries.length ? num(boundaries[i]) : '+Inf' }),
        // Cumulative le buckets -> per-bin counts; increase() rounding can make a difference slightly negative.
        binCount: (i) => (i === 0 ? `clamp_min(sum(${upper(0)}), 0)` : `clamp_min(sum(${upper(i)}) - sum(${upper(i - 1)}), 0)`),
        reference: reference.counts[signal],
        window,
        opts,
        chiSquare: false,
      });
      recording.push(...out.rules);
      alerts.push(out.alert);
    }
  }

  const header = [
    '# Generated by tools/prometheus/generate-rules.mjs; do not edit, regenerate.',
    `# reference: model ${reference.model.id}, n ${reference.n}, calibration ${reference.calibration ?? 'none'}`,
    `# window ${window}, alpha ${num(opts.alpha)}, PSI floor ${num(opts.psiFloor)}, min samples ${opts.minSamples}, pseudo-count ${num(opts.pseudoCount)}`,
    `# series selector: ${selector === '' ? '(none)' : selector}`,
    ...(runLength
      ? [
          `# critical values x the reference's run-length multipliers: expected run length ${num(runLength.settings.expected_run_length)} predictions,`,
          `# calibrated for an in-process window of ${runLength.settings.window} predictions (a time window holding about as many keeps that level)`,
        ]
      : []),
  ];
  return `${header.join('\n')}\n${toYaml({
    // One group: rules in a group run in order at one evaluation time, so each rule (and each alert's
    // annotation query) sees the values just recorded above it, not those of the previous evaluation.
    groups: [{ name: `glassbox-drift-${window}`, rules: [...recording, ...alerts] }],
  })}`;
}

// ---------------------------------------------------------------------------------------------
// A small YAML writer for this document shape (maps of strings, lists of maps).

const PLAIN = /^[A-Za-z_][A-Za-z0-9_:.-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|y|n|~)$/i;

function scalar(s) {
  if (PLAIN.test(s) && !RESERVED.test(s)) return s;
  return `'${s.replace(/'/g, "''")}'`;
}

function toYaml(value, indent = '') {
  if (Array.isArray(value)) {
    return value.map((item) => `${indent}- ${toYaml(item, `${indent}  `).trimStart()}`).join('');
  }
  let out = '';
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (typeof v === 'string') {
      if (v.includes('\n')) out += `${indent}${k}: |-\n${v.split('\n').map((l) => `${indent}  ${l}`).join('\n')}\n`;
      else out += `${indent}${k}: ${scalar(v)}\n`;
    } else {
      out += `${indent}${k}:\n${toYaml(v, `${indent}  `)}`;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

async function main(argv) {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        reference: { type: 'string' },
        window: { type: 'string' },
        out: { type: 'string' },
        grafana: { type: 'string' },
        signals: { type: 'string' },
        selector: { type: 'string' },
        alpha: { type: 'string' },
        'psi-floor': { type: 'string' },
        'min-samples': { type: 'string' },
        for: { type: 'string' },
        severity: { type: 'string' },
        'per-window': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!args.reference) {
    process.stderr.write(`--reference is required.\n\n${USAGE}`);
    return 2;
  }
  const number = (s) => (s === undefined ? undefined : Number(s));
  try {
    let profile;
    try {
      profile = JSON.parse(readFileSync(args.reference, 'utf8'));
    } catch (e) {
      fail(`cannot read reference profile ${args.reference}: ${e.message}`);
    }
    const options = {
      window: args.window,
      signals: args.signals?.split(',').map((s) => s.trim()).filter((s) => s.length > 0),
      selector: args.selector,
      alpha: number(args.alpha),
      psiFloor: number(args['psi-floor']),
      minSamples: number(args['min-samples']),
      for: args.for,
      severity: args.severity,
      perWindow: args['per-window'],
    };
    const yaml = generateRules(profile, options);
    if (args.grafana) {
      const { generateDashboard } = await import('./grafana-dashboard.mjs');
      writeFileSync(args.grafana, `${JSON.stringify(generateDashboard(profile, options), null, 2)}\n`);
    }
    if (args.out) writeFileSync(args.out, yaml);
    else process.stdout.write(yaml);
    return 0;
  } catch (e) {
    process.stderr.write(`generate-rules: ${e.message}\n`);
    return 1;
  }
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // No top-level await: --grafana imports grafana-dashboard.mjs, which imports this module.
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
