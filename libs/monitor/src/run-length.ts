import { GlassboxError, mulberry32, type DriftStatisticPlugin, type PluginOptionValues, type PluginRegistry } from '@glassbox/core';
import { z } from 'zod';
import { alarmStatisticOptions, hasAlarmRule, type ResolvedAlarmOptions } from './alarm-rule.js';
import type { DriftSignal } from './drift-types.js';
import { DRIFT_SIGNALS } from './drift-types.js';
import type { ReferenceProfile } from './reference-profile.js';
import { appliesTo } from './drift-statistics.js';

/**
 * Expected-run-length (ERL) calibration: the alarm thresholds that make the whole monitor (every
 * signal and statistic together) raise a false alarm at most once per `expectedRunLength`
 * predictions on average under no drift, for a window of `window` predictions that is judged after
 * every prediction (the way Alibi Detect's online detectors take an expected run time).
 *
 * Method (bootstrap, Bonferroni, Gumbel):
 * 1. Every alarm rule keeps its shape in the window size: a test's threshold at window fill n is
 *    `multiplier × critical(n, m, bins)`, the rule's own per-window critical value at `alpha`
 *    (PSI: (1/n + 1/m) χ²_{1-α}(B - 1), KS and Wasserstein: c(α) sqrt((n + m)/(n m)), chi-square:
 *    χ²_{1-α}(B - 1)). Only the multiplier is calibrated, so one number per test serves every fill.
 * 2. Budget: K tests (signal × statistic with an alarm rule) each get run length K × ERL. The
 *    monitor alarms when any test does, and the rate of a union is at most the sum of the rates,
 *    whatever the tests' dependence (Bonferroni), so the monitor's run length is at least ERL.
 *    The tests are strongly correlated (confidence, margin, entropy move together), so the true
 *    run length is longer.
 * 3. Null streams: `streams` bootstrap streams of `streamLength` predictions, each signal's bucket
 *    drawn from the reference's own shares (the monitor sees only buckets, so resampling buckets is
 *    resampling the reference data as the monitor sees it), each stream against its own bootstrap
 *    reference of m draws (the reference is a sample too). Each stream starts with an empty
 *    window, as a monitor does, and is judged after every prediction from `minSamples` on.
 * 4. Per test, the maximum over a stream of value / critical is fitted with a Gumbel law (L-moments).
 *    Alarms are rare, so the time to the first alarm is about exponential: P(no alarm in L) =
 *    exp(-L / ERL(k)) = P(max_L <= k) = exp(-exp(-(k - μ)/β)), hence ERL(k) = L exp((k - μ)/β) and
 *    the multiplier for run length K × ERL is k = μ + β ln(K × ERL / L). The fit extrapolates the
 *    exponential tail of the maximum; for statistics with lighter (Gaussian) tails, such as KS, it
 *    overstates the tail, which errs towards longer run lengths. k is never below 1 (never laxer
 *    than the per-window test at `alpha`).
 *
 * Seeded (mulberry32) and deterministic. The effect floors are not part of it: they only remove
 * alarms (the separate "ignore tiny drift" knob), so they lengthen the run length further.
 */

export const RUN_LENGTH_VERSION = 1;

export const RUN_LENGTH_DEFAULTS = Object.freeze({
  /** Predictions between false alarms of the whole monitor, on average, under no drift. */
  expectedRunLength: 200_000,
  /** Bootstrap streams (at most; fewer for large windows, at least 20). */
  streams: 200,
  /** Stream length in windows (fewer for large windows, at least one). */
  streamWindows: 4,
  /** Simulated predictions at most, beyond the 20 one-window streams a huge window needs. */
  budget: 2_000_000,
  seed: 13,
});

export interface RunLengthOptions {
  /** Predictions in the drift window. */
  window: number;
  expectedRunLength?: number;
  /** Alarm options: `alpha` (the critical values' shape) and `minSamples`. */
  alarm: ResolvedAlarmOptions;
  /** The statistics the monitor alarms on. */
  statistics: PluginRegistry<DriftStatisticPlugin>;
  streams?: number;
  /** Predictions per stream. Default `streamWindows` × window. */
  streamLength?: number;
  seed?: number;
  /** Called after each stream with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

const SettingsSchema = z.object({
  window: z.int().positive(),
  expected_run_length: z.number().positive(),
  min_samples: z.int().positive(),
  alpha: z.number().gt(0).lt(1),
  statistics: z.array(z.string()),
  seed: z.int(),
  streams: z.int().positive(),
  stream_length: z.int().positive(),
});

export const RunLengthCalibrationSchema = z.object({
  version: z.literal(RUN_LENGTH_VERSION),
  method: z.literal('bootstrap-bonferroni-gumbel'),
  settings: SettingsSchema,
  tests: z.int().positive().describe('Signal × statistic pairs with an alarm rule (the Bonferroni split).'),
  per_test_run_length: z.number().positive(),
  multipliers: z.record(z.string(), z.record(z.string(), z.number().positive())).describe('Per signal and statistic: threshold = multiplier × the per-window critical value at alpha.'),
  full_window_thresholds: z.record(z.string(), z.record(z.string(), z.number())).describe('The thresholds at a full window against the reference itself (for display and the Prometheus rules).'),
  simulated_predictions: z.int(),
});

/** Thresholds calibrated to an expected run length, with the settings they were made for. */
export type RunLengthCalibration = z.infer<typeof RunLengthCalibrationSchema>;
export type RunLengthSettings = RunLengthCalibration['settings'];

/** The settings a calibration must have been made for: what the monitor would run with. */
export function runLengthSettings(options: RunLengthOptions): RunLengthSettings {
  const expected = options.expectedRunLength ?? RUN_LENGTH_DEFAULTS.expectedRunLength;
  if (!(expected >= 1) || !Number.isFinite(expected)) {
    throw new GlassboxError('INVALID_OPTION', `expectedRunLength must be a finite number >= 1 (got ${expected}).`);
  }
  const { budget } = RUN_LENGTH_DEFAULTS;
  const streamLength = options.streamLength ?? Math.max(options.window, Math.min(RUN_LENGTH_DEFAULTS.streamWindows * options.window, Math.floor(budget / 20)));
  const streams = options.streams ?? Math.max(20, Math.min(RUN_LENGTH_DEFAULTS.streams, Math.floor(budget / streamLength)));
  if (!Number.isInteger(streams) || streams < 20) throw new GlassboxError('INVALID_OPTION', `run-length streams must be an integer >= 20 (got ${streams}).`);
  if (!Number.isInteger(streamLength) || streamLength < options.window) {
    throw new GlassboxError('INVALID_OPTION', `run-length stream length must be an integer >= the window (${options.window}; got ${streamLength}).`);
  }
  return {
    window: options.window,
    expected_run_length: expected,
    min_samples: options.alarm.minSamples,
    alpha: options.alarm.alpha,
    statistics: options.statistics.names(),
    seed: options.seed ?? RUN_LENGTH_DEFAULTS.seed,
    streams,
    stream_length: streamLength,
  };
}

/** Why a cached calibration does not fit these settings, or null when it does (seed, streams and length need not match). */
export function runLengthMismatch(cached: RunLengthCalibration | null | undefined, wanted: RunLengthSettings): string | null {
  if (!cached) return 'the reference holds no run-length calibration';
  if (cached.version !== RUN_LENGTH_VERSION) return `its calibration is version ${cached.version}, this build makes ${RUN_LENGTH_VERSION}`;
  const s = cached.settings;
  const differs: string[] = [];
  if (s.window !== wanted.window) differs.push(`window ${s.window} (wanted ${wanted.window})`);
  if (s.expected_run_length !== wanted.expected_run_length) differs.push(`expected run length ${s.expected_run_length} (wanted ${wanted.expected_run_length})`);
  if (s.min_samples !== wanted.min_samples) differs.push(`min samples ${s.min_samples} (wanted ${wanted.min_samples})`);
  if (s.alpha !== wanted.alpha) differs.push(`alpha ${s.alpha} (wanted ${wanted.alpha})`);
  if (s.statistics.join(',') !== wanted.statistics.join(',')) differs.push(`statistics ${s.statistics.join(',')} (wanted ${wanted.statistics.join(',')})`);
  return differs.length ? `its calibration was made for ${differs.join(', ')}` : null;
}

interface Test {
  signal: DriftSignal;
  plugin: DriftStatisticPlugin;
  options: PluginOptionValues;
  edges: readonly number[] | null;
}

/** Every (signal, statistic) pair the monitor alarms on, in evaluation order. */
function alarmTests(reference: ReferenceProfile, statistics: PluginRegistry<DriftStatisticPlugin>, alarm: ResolvedAlarmOptions): Test[] {
  const tests: Test[] = [];
  for (const signal of DRIFT_SIGNALS) {
    const edges = signal === 'labels' ? null : reference.buckets[signal];
    for (const { plugin } of statistics.entries()) {
      if (appliesTo(plugin, edges) && hasAlarmRule(plugin)) tests.push({ signal, plugin, options: alarmStatisticOptions(plugin, alarm), edges });
    }
  }
  return tests;
}

/** The rule's per-window critical value at `alpha` (the shape the multiplier scales). */
export function baseCritical(plugin: DriftStatisticPlugin, options: PluginOptionValues, n: number, m: number, bins: number, alpha: number): number {
  if (plugin.alarmThreshold) return plugin.alarmThreshold({ current: n, reference: m, bins, alpha }, options);
  return typeof options.threshold === 'number' ? options.threshold : Infinity;
}

function cumulative(counts: readonly number[]): Float64Array {
  const total = counts.reduce((a, b) => a + b, 0);
  const out = new Float64Array(counts.length);
  let acc = 0;
  counts.forEach((c, i) => {
    acc += c / total;
    out[i] = acc;
  });
  return out;
}

function draw(rng: () => number, cdf: Float64Array): number {
  const u = rng();
  for (let i = 0; i < cdf.length - 1; i++) if (u < cdf[i]) return i;
  return cdf.length - 1;
}

/** Gumbel location and scale of a sample by L-moments (l1 = μ + γβ, l2 = β ln 2). */
export function gumbelFit(sample: ArrayLike<number>): { location: number; scale: number } {
  const x = Float64Array.from(sample).sort();
  const n = x.length;
  let b0 = 0;
  let b1 = 0;
  for (let i = 0; i < n; i++) {
    b0 += x[i];
    b1 += (i / (n - 1)) * x[i];
  }
  b0 /= n;
  b1 /= n;
  const l2 = 2 * b1 - b0;
  const scale = Math.max(0, l2 / Math.LN2);
  return { location: b0 - 0.5772156649015329 * scale, scale };
}

/**
 * Calibrates every alarm threshold to the expected run length by simulation from the reference
 * (see the method above). Cost: `streams` × `streamLength` predictions, each judged by every test;
 * `onProgress` reports each stream.
 */
export function calibrateRunLength(reference: ReferenceProfile, options: RunLengthOptions): RunLengthCalibration {
  const settings = runLengthSettings(options);
  const { window, streams, stream_length: length, min_samples: minSamples, alpha } = settings;
  const tests = alarmTests(reference, options.statistics, options.alarm);
  if (tests.length === 0) throw new GlassboxError('INVALID_OPTION', 'run-length calibration needs at least one statistic with an alarm rule.');
  const rng = mulberry32(settings.seed);
  const m = reference.n;
  const cdfs = Object.fromEntries(DRIFT_SIGNALS.map((s) => [s, cumulative(reference.counts[s])])) as Record<DriftSignal, Float64Array>;
  const maxima = tests.map(() => new Float64Array(streams));
  const critical = new Map<string, number>();
  for (let s = 0; s < streams; s++) {
    const refs = {} as Record<DriftSignal, number[]>;
    const counts = {} as Record<DriftSignal, number[]>;
    const ring = {} as Record<DriftSignal, Int32Array>;
    for (const signal of DRIFT_SIGNALS) {
      refs[signal] = new Array<number>(cdfs[signal].length).fill(0);
      for (let i = 0; i < m; i++) refs[signal][draw(rng, cdfs[signal])] += 1;
      counts[signal] = new Array<number>(cdfs[signal].length).fill(0);
      ring[signal] = new Int32Array(window);
    }
    for (let t = 0; t < length; t++) {
      for (const signal of DRIFT_SIGNALS) {
        const bin = draw(rng, cdfs[signal]);
        if (t >= window) counts[signal][ring[signal][t % window]] -= 1;
        ring[signal][t % window] = bin;
        counts[signal][bin] += 1;
      }
      const n = Math.min(t + 1, window);
      if (n < minSamples) continue;
      tests.forEach((test, k) => {
        const current = counts[test.signal];
        const ref = refs[test.signal];
        let bins = 0;
        for (let i = 0; i < current.length; i++) if (current[i] + ref[i] > 0) bins++;
        const key = `${k}:${n}:${bins}`;
        let c = critical.get(key);
        if (c === undefined) {
          c = baseCritical(test.plugin, test.options, n, m, bins, alpha);
          critical.set(key, c);
        }
        if (!(c > 0 && Number.isFinite(c))) return;
        const u = test.plugin.compute({ current, reference: ref, edges: test.edges }, test.options) / c;
        if (u > maxima[k][s]) maxima[k][s] = u;
      });
    }
    options.onProgress?.(s + 1, streams);
  }
  const perTest = tests.length * settings.expected_run_length;
  const multipliers: RunLengthCalibration['multipliers'] = {};
  const full: RunLengthCalibration['full_window_thresholds'] = {};
  tests.forEach((test, k) => {
    const { location, scale } = gumbelFit(maxima[k]);
    const multiplier = Math.max(1, location + scale * Math.log(perTest / length));
    const counts = reference.counts[test.signal];
    const bins = counts.filter((c) => c > 0).length;
    (multipliers[test.signal] ??= {})[test.plugin.name] = multiplier;
    (full[test.signal] ??= {})[test.plugin.name] = multiplier * baseCritical(test.plugin, test.options, window, m, bins, alpha);
  });
  return {
    version: RUN_LENGTH_VERSION,
    method: 'bootstrap-bonferroni-gumbel',
    settings,
    tests: tests.length,
    per_test_run_length: perTest,
    multipliers,
    full_window_thresholds: full,
    simulated_predictions: streams * length,
  };
}

/** Validates a stored calibration (the reference profile's `run_length`); throws INVALID_INPUT naming the field. */
export function parseRunLengthCalibration(value: unknown): RunLengthCalibration {
  const parsed = RunLengthCalibrationSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GlassboxError('INVALID_INPUT', `reference profile: run_length.${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * The calibration for these settings: the reference's own when it was made for them, else a new
 * one (`calibrate: true`), else RUN_LENGTH_UNCALIBRATED saying what differs.
 */
export function resolveRunLength(
  reference: ReferenceProfile,
  options: RunLengthOptions & { calibrate?: boolean },
): { calibration: RunLengthCalibration; cached: boolean } {
  const wanted = runLengthSettings(options);
  const mismatch = runLengthMismatch(reference.run_length, wanted);
  if (mismatch === null && reference.run_length) return { calibration: reference.run_length, cached: true };
  if (options.calibrate === false) {
    throw new GlassboxError(
      'RUN_LENGTH_UNCALIBRATED',
      `${mismatch}; calibrate it with \`glassbox monitor reference --window ${wanted.window} --expected-run-length ${wanted.expected_run_length}\`.`,
    );
  }
  return { calibration: calibrateRunLength(reference, options), cached: false };
}
