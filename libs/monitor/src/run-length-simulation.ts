import { GlassboxError, mulberry32, type DriftStatisticPlugin, type PipelineResult, type PluginRegistry } from '@glassbox/core';
import type { AlarmOptions } from './alarm-rule.js';
import { chiSquareQuantile } from './chi-square.js';
import { createDriftMonitor } from './drift-monitor.js';
import type { DriftAlarm } from './drift-types.js';
import type { ReferenceProfile } from './reference-profile.js';

/**
 * Both sides of the alarm trade-off, measured on real predictions with the real monitor:
 * - the run length under no drift: bootstrap streams resampled from held-out in-domain
 *   predictions (e.g. the dev split, against a reference from train), each through a fresh
 *   monitor, with the time to the first alarm per statistic and for the whole monitor;
 * - the detection delay: a full window of in-domain predictions, then a shifted source
 *   (single-label texts, out-of-domain texts, shifted label shares, a flattened model), and the
 *   number of shifted predictions until the first alarm.
 *
 * Run length estimate. Alarms are rare events, so the time to the first alarm is taken as
 * exponential (memoryless); with streams censored at their length the maximum-likelihood run
 * length is the exposure (predictions watched until each stream's first alarm or its end) over
 * the number of first alarms, with the exact Poisson interval 2E / χ²_{0.975}(2a + 2) ..
 * 2E / χ²_{0.025}(2a). With no alarm the estimate is unbounded above and its 95% lower bound is
 * E / ln 20 (about E / 3). Each stream starts from an empty window, as a restarted server
 * does, so the warm-up's small windows are counted (conservative for a long-running stream).
 */

/** A source of predictions: probability vectors in model label order. */
export type ProbabilityRows = readonly ArrayLike<number>[];

export interface SimulationOptions {
  reference: ReferenceProfile;
  window: number;
  /** Monitor alarm level (default 200,000; null: per-window tests). */
  expectedRunLength?: number | null;
  statistics?: PluginRegistry<DriftStatisticPlugin>;
  /** Other alarm options of the monitor (min samples, floors, alpha). */
  alarmOptions?: Omit<AlarmOptions, 'expectedRunLength'>;
  seed?: number;
  /** Called with (done, total) as streams finish. */
  onProgress?: (done: number, total: number) => void;
}

export interface RunLengthEstimate {
  /** Streams' first alarms counted. */
  alarms: number;
  /** Predictions watched in all, each stream until its first alarm or its end. */
  exposure: number;
  /** Maximum-likelihood run length (exposure / alarms); null (unbounded) with no alarm. */
  estimate: number | null;
  /** 95% interval (exact, Poisson); `upper` null with no alarm. */
  lower: number;
  upper: number | null;
}

export interface RunLengthSimulation {
  streams: number;
  streamLength: number;
  /** The whole monitor: any signal and statistic. */
  combined: RunLengthEstimate;
  /** Per statistic, over all its signals. */
  statistics: Record<string, RunLengthEstimate>;
  /** The first alarms of the whole monitor (stream, index, statistic, signal). */
  firstAlarms: Array<{ stream: number } & Pick<DriftAlarm, 'index' | 'statistic' | 'signal' | 'value' | 'threshold'>>;
}

/** Run length from `alarms` first alarms over `exposure` predictions (see the module comment). */
export function runLengthEstimate(alarms: number, exposure: number): RunLengthEstimate {
  if (alarms === 0) return { alarms, exposure, estimate: null, lower: exposure / Math.log(20), upper: null };
  return {
    alarms,
    exposure,
    estimate: exposure / alarms,
    lower: (2 * exposure) / chiSquareQuantile(0.975, 2 * alarms + 2),
    upper: (2 * exposure) / chiSquareQuantile(0.025, 2 * alarms),
  };
}

const asResult = (p: ArrayLike<number>): PipelineResult => ({ probabilities: Array.from(p) }) as unknown as PipelineResult;

function monitorFor(options: SimulationOptions, onAlarm: (a: DriftAlarm) => void) {
  let failure: unknown = null;
  const monitor = createDriftMonitor({
    reference: options.reference,
    window: { size: options.window },
    alarm: { ...options.alarmOptions, expectedRunLength: options.expectedRunLength === undefined ? 200_000 : options.expectedRunLength },
    ...(options.statistics && { statistics: options.statistics }),
    onAlarm,
    onError: (e) => (failure ??= e),
  });
  /** Shuts the monitor down; throws what it reported, if anything (a simulation must not hide failures). */
  const close = () => {
    void monitor.shutdown();
    if (failure) throw failure;
  };
  return Object.assign(monitor, { close });
}

function checkRows(rows: ProbabilityRows, name: string): void {
  if (rows.length === 0) throw new GlassboxError('INVALID_INPUT', `the ${name} source holds no predictions.`);
}

/**
 * Run length under no drift: `streams` streams of `streamLength` predictions drawn with
 * replacement from `rows` (held-out in-domain predictions), each through a fresh monitor.
 */
export function simulateRunLength(rows: ProbabilityRows, options: SimulationOptions & { streams: number; streamLength: number }): RunLengthSimulation {
  checkRows(rows, 'in-domain');
  const rng = mulberry32(options.seed ?? 1);
  const names = new Set<string>();
  const first: Record<string, number> = {};
  const exposure: Record<string, number> = {};
  const alarms: Record<string, number> = {};
  const firstAlarms: RunLengthSimulation['firstAlarms'] = [];
  let combinedExposure = 0;
  let combinedAlarms = 0;
  for (let s = 0; s < options.streams; s++) {
    const seen = new Map<string, number>();
    let any: DriftAlarm | null = null;
    const monitor = monitorFor(options, (a) => {
      if (!seen.has(a.statistic)) seen.set(a.statistic, a.index);
      any ??= a;
    });
    for (const { plugin } of monitor.statistics.entries()) names.add(plugin.name);
    for (let t = 0; t < options.streamLength; t++) monitor.observe(asResult(rows[Math.floor(rng() * rows.length)]));
    monitor.close();
    const hit = any as DriftAlarm | null;
    combinedExposure += hit ? hit.index + 1 : options.streamLength;
    if (hit) {
      combinedAlarms++;
      firstAlarms.push({ stream: s, index: hit.index, statistic: hit.statistic, signal: hit.signal, value: hit.value, threshold: hit.threshold });
    }
    for (const name of names) {
      const at = seen.get(name);
      exposure[name] = (exposure[name] ?? 0) + (at === undefined ? options.streamLength : at + 1);
      alarms[name] = (alarms[name] ?? 0) + (at === undefined ? 0 : 1);
      if (at !== undefined) first[name] = Math.min(first[name] ?? Infinity, at);
    }
    options.onProgress?.(s + 1, options.streams);
  }
  return {
    streams: options.streams,
    streamLength: options.streamLength,
    combined: runLengthEstimate(combinedAlarms, combinedExposure),
    statistics: Object.fromEntries([...names].map((n) => [n, runLengthEstimate(alarms[n], exposure[n])])),
    firstAlarms,
  };
}

export interface DelaySummary {
  /** Runs that alarmed within `cap` shifted predictions. */
  detected: number;
  runs: number;
  /** Shifted predictions until the first alarm (1 = the first shifted one): median and 90th percentile over the runs (Infinity: not within `cap`). */
  median: number;
  p90: number;
}

export interface DetectionDelay {
  /** Alarms before the shift (false alarms during the in-domain prefix), over all runs. */
  falseAlarmsBefore: number;
  combined: DelaySummary;
  statistics: Record<string, DelaySummary>;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

function summary(delays: number[]): DelaySummary {
  const sorted = [...delays].sort((a, b) => a - b);
  return { detected: delays.filter(Number.isFinite).length, runs: delays.length, median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) };
}

/**
 * Detection delay: each of `runs` runs feeds a full window of predictions drawn from `inDomain`,
 * then up to `cap` predictions drawn from `shifted`, and records how many shifted predictions
 * each statistic (and the whole monitor) needed to alarm.
 */
export function simulateDetectionDelay(inDomain: ProbabilityRows, shifted: ProbabilityRows, options: SimulationOptions & { runs: number; cap: number }): DetectionDelay {
  checkRows(inDomain, 'in-domain');
  checkRows(shifted, 'shifted');
  const rng = mulberry32(options.seed ?? 1);
  const combined: number[] = [];
  const per: Record<string, number[]> = {};
  let before = 0;
  for (let r = 0; r < options.runs; r++) {
    const change = options.window;
    const seen = new Map<string, number>();
    const monitor = monitorFor(options, (a) => {
      if (a.index < change) before++;
      else if (!seen.has(a.statistic)) seen.set(a.statistic, a.index - change + 1);
    });
    for (let t = 0; t < change; t++) monitor.observe(asResult(inDomain[Math.floor(rng() * inDomain.length)]));
    for (let t = 0; t < options.cap && seen.size < monitor.statistics.names().length; t++) {
      monitor.observe(asResult(shifted[Math.floor(rng() * shifted.length)]));
    }
    monitor.close();
    const delays = [...seen.values()];
    combined.push(delays.length ? Math.min(...delays) : Infinity);
    for (const name of monitor.statistics.names()) (per[name] ??= []).push(seen.get(name) ?? Infinity);
    options.onProgress?.(r + 1, options.runs);
  }
  return {
    falseAlarmsBefore: before,
    combined: summary(combined),
    statistics: Object.fromEntries(Object.entries(per).map(([n, d]) => [n, summary(d)])),
  };
}

/** Probabilities flattened by temperature T: p_i^(1/T) renormalised (T = 2 halves the logits). */
export function flatten(p: ArrayLike<number>, temperature: number): Float64Array {
  const out = Float64Array.from(p, (x) => Math.pow(Math.max(x, 1e-300), 1 / temperature));
  const sum = out.reduce((a, b) => a + b, 0);
  return out.map((x) => x / sum);
}

/**
 * Rows resampled so the shares of their true labels move `points` (0.1 = 10 points) from the
 * most frequent label to `to`: a weight per row, drawn from with replacement.
 */
export function shiftLabelShares(rows: ProbabilityRows, truths: readonly number[], to: number, points: number, size: number, seed = 1): ArrayLike<number>[] {
  const labels = Math.max(...truths, to) + 1;
  const counts = new Array<number>(labels).fill(0);
  for (const t of truths) counts[t]++;
  const shares = counts.map((c) => c / truths.length);
  const from = shares.indexOf(Math.max(...shares));
  if (from === to || shares[from] < points || counts[to] === 0) {
    throw new GlassboxError('INVALID_INPUT', `cannot move ${points} of label share from label ${from} to label ${to}.`);
  }
  const target = [...shares];
  target[from] -= points;
  target[to] += points;
  const weight = target.map((q, i) => (counts[i] > 0 ? q / counts[i] : 0));
  const cdf: number[] = [];
  let acc = 0;
  for (const t of truths) cdf.push((acc += weight[t]));
  const rng = mulberry32(seed);
  return Array.from({ length: size }, () => {
    const u = rng() * acc;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return rows[lo];
  });
}
