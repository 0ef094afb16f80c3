import { GlassboxError, type InferenceEngine } from '@glassbox/core';
import {
  flatten,
  hasAlarmRule,
  parseReferenceProfile,
  shiftLabelShares,
  simulateDetectionDelay,
  simulateRunLength,
  type DetectionDelay,
  type ProbabilityRows,
  type RunLengthEstimate,
  type RunLengthSimulation,
} from '@glassbox/monitor';
import type { CalibrationPlugins } from './calibration-io.js';
import { stepProgress } from '../io/progress.js';
import { predictFile, readReferenceJson, type MonitorDataFlags } from './monitor.js';
import { loadCliPlugins, openEngine } from './shared.js';

export interface SimulateFlags extends MonitorDataFlags {
  /** Reference profile (e.g. from the train split). */
  reference: string;
  /** Out-of-domain texts (.csv, .tsv or .jsonl, e.g. from tools/drift-sim/licence-sentences.mjs). */
  ood?: string;
  window?: number;
  expectedRunLength?: number;
  /** Run-length streams and their length. */
  streams?: number;
  streamLength?: number;
  /** Detection-delay runs per scenario, and the most shifted predictions each may take. */
  runs?: number;
  cap?: number;
  /** The label the single-label and label-share scenarios move to (default the model's first, anger). */
  shiftTo?: string;
  seed?: number;
  plugin?: string[];
  json?: boolean;
  progress?: boolean;
}

export interface SimulateReport {
  window: number;
  expected_run_length: number | null;
  in_domain: number;
  run_length: RunLengthSimulation;
  scenarios: Record<string, { predictions: number; delay: DetectionDelay }>;
}

/** Probability vectors (model label order) and single true labels (-1 when not single) of a file. */
async function predictRows(engine: InferenceEngine, flags: MonitorDataFlags, plugins: CalibrationPlugins) {
  const rows: Float64Array[] = [];
  const truths: number[] = [];
  for await (const { result, label } of predictFile(engine, flags, plugins)) {
    rows.push(Float64Array.from(engine.labels, (l) => result.probabilities[l]));
    const parts = label?.split(',') ?? [];
    const name = parts.length === 1 ? (engine.labels[Number(parts[0])] ?? parts[0]) : undefined;
    truths.push(name === undefined ? -1 : engine.labels.indexOf(name));
  }
  return { rows, truths };
}

const fmt = (x: number | null) => (x === null ? 'unbounded' : x === Infinity ? '>cap' : Math.round(x).toLocaleString('en-US'));
const erl = (e: RunLengthEstimate) =>
  `${e.alarms} alarm(s) in ${e.exposure.toLocaleString('en-US')} predictions: run length ${fmt(e.estimate)} (95% ${fmt(e.lower)}..${fmt(e.upper)})`;

/**
 * Measures both sides of the alarm trade-off at the given settings (run-length-simulation.ts):
 * the run length under no drift from streams resampled from `--data` (held-out in-domain texts),
 * and the detection delay after a full in-domain window for a single-label stream, out-of-domain
 * texts (`--ood`), a 10-point shift in label shares and a model flattened by T = 2.
 */
export async function monitorSimulateCommand(flags: SimulateFlags, out: NodeJS.WritableStream, plugins: CalibrationPlugins = {}): Promise<SimulateReport> {
  const json = await readReferenceJson(flags.reference);
  const engine = await openEngine(flags);
  let inDomain: Awaited<ReturnType<typeof predictRows>>;
  let ood: Float64Array[] = [];
  let labels: readonly string[];
  const reference = parseReferenceProfile(json, { modelId: await engine.modelId(), labels: engine.labels });
  try {
    labels = engine.labels;
    inDomain = await predictRows(engine, flags, plugins);
    if (flags.ood) ood = (await predictRows(engine, { ...flags, data: flags.ood, format: undefined }, plugins)).rows;
  } finally {
    await engine.dispose();
  }
  const registry = (await loadCliPlugins(flags.plugin ?? []))['drift-statistic'];
  const window = flags.window ?? reference.run_length?.settings.window ?? 500;
  const seed = flags.seed ?? 1;
  const base = { reference, window, expectedRunLength: flags.expectedRunLength, statistics: registry, seed };
  const shiftTo = labels.indexOf(flags.shiftTo ?? labels[0]);
  if (shiftTo < 0) throw new GlassboxError('UNKNOWN_LABEL', `--shift-to ${flags.shiftTo} is not a model label (${labels.join(', ')}).`);
  const single = inDomain.rows.filter((_, i) => inDomain.truths[i] === shiftTo);
  const labelled = inDomain.rows.filter((_, i) => inDomain.truths[i] >= 0);
  const sources: Record<string, ProbabilityRows> = {
    [`${labels[shiftTo]}-only`]: single,
    ...(ood.length > 0 && { 'out-of-domain': ood }),
    [`label-shares+10pt-${labels[shiftTo]}`]: shiftLabelShares(labelled, inDomain.truths.filter((t) => t >= 0), shiftTo, 0.1, labelled.length, seed),
    'temperature-2': inDomain.rows.map((p) => flatten(p, 2)),
  };
  const streams = flags.streams ?? 30;
  const streamLength = flags.streamLength ?? 20 * window;
  const runLength = simulateRunLength(inDomain.rows, { ...base, streams, streamLength, onProgress: stepProgress('run length under no drift', flags.progress !== false) ?? undefined });
  const alarmed = new Set(registry.entries().filter(({ plugin }) => hasAlarmRule(plugin)).map(({ plugin }) => plugin.name));
  runLength.statistics = Object.fromEntries(Object.entries(runLength.statistics).filter(([n]) => alarmed.has(n)));
  const scenarios: SimulateReport['scenarios'] = {};
  for (const [name, rows] of Object.entries(sources)) {
    const delay = simulateDetectionDelay(inDomain.rows, rows, {
      ...base,
      runs: flags.runs ?? 50,
      cap: flags.cap ?? 5 * window,
      onProgress: stepProgress(`delay: ${name}`, flags.progress !== false) ?? undefined,
    });
    delay.statistics = Object.fromEntries(Object.entries(delay.statistics).filter(([n]) => alarmed.has(n)));
    scenarios[name] = { predictions: rows.length, delay };
  }
  const report: SimulateReport = { window, expected_run_length: flags.expectedRunLength ?? 200_000, in_domain: inDomain.rows.length, run_length: runLength, scenarios };
  if (flags.json) out.write(`${JSON.stringify(report, (_, v) => (v === Infinity ? null : v), 2)}\n`);
  else {
    out.write(`window ${window}, expected run length ${report.expected_run_length}; ${inDomain.rows.length} in-domain predictions\n`);
    out.write(`run length under no drift (${streams} streams of ${streamLength}):\n  combined: ${erl(runLength.combined)}\n`);
    for (const [n, e] of Object.entries(runLength.statistics)) out.write(`  ${n}: ${erl(e)}\n`);
    out.write(`detection delay after a full in-domain window (shifted predictions until the first alarm: median / 90th percentile, detected runs):\n`);
    for (const [name, { predictions, delay }] of Object.entries(scenarios)) {
      const cell = (d: DetectionDelay['combined']) => `${fmt(d.median)} / ${fmt(d.p90)} (${d.detected}/${d.runs})`;
      out.write(`  ${name} (${predictions} predictions): combined ${cell(delay.combined)}`);
      for (const [n, d] of Object.entries(delay.statistics)) out.write(`; ${n} ${cell(d)}`);
      out.write(`; false alarms before the shift ${delay.falseAlarmsBefore}\n`);
    }
  }
  return report;
}
