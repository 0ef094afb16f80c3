import { GlassboxError, resolvePluginOptions, type DriftStatisticPlugin, type PluginRegistry } from '@glassbox/core';
import type { DriftStatistics } from './drift-statistics.js';
import { chiSquare } from './statistics/chi-square-statistic.js';
import { builtinDriftStatistics } from './statistics/builtin-statistics.js';
import { ks } from './statistics/ks.js';
import { psi } from './statistics/psi.js';

/**
 * Sample-size-aware drift alarms, one rule per registered drift statistic. Each rule asks two
 * questions and alarms only when both say yes:
 *
 * 1. Is the difference more than chance? The statistic's `alarmThreshold` at level `alpha` (or its
 *    `threshold` option), so a small window (where PSI, JS and KS are large by chance) does not
 *    alarm on noise.
 * 2. Is it big enough to matter? An effect-size floor (the statistic's `floor` option, checked
 *    against its `effect`, by default the value itself), so a huge window does not alarm on a
 *    statistically real but negligible shift.
 *
 * Each statistic's file documents its critical value (statistics/psi.ts, ks.ts,
 * chi-square-statistic.ts, ...). No rule alarms on a window with fewer than `minSamples`
 * predictions: the approximations behind them need a few observations per bin.
 */

/** The name of a registered drift statistic ('psi', 'ks', 'chi-square', ...). */
export type DriftStatisticName = string;

/** Whether bins are ordered (bucketed numbers: numeric statistics apply) or nominal (labels: categorical ones). */
export type SignalKind = 'ordinal' | 'nominal';

export interface AlarmOptions {
  /** Significance level of every test (per window evaluation). Default 0.001. */
  alpha?: number;
  /** PSI effect floor (PSI's `floor` option). Default 0.1. */
  psiFloor?: number;
  /** Jensen-Shannon distance floor for the chi-square rule (its `floor` option). Default 0.1. */
  jsFloor?: number;
  /** KS D floor (KS's `floor` option). Default 0.1. */
  ksFloor?: number;
  /** Windows smaller than this never alarm. Default 30. */
  minSamples?: number;
  /**
   * Predictions between false alarms of the whole monitor, on average, under no drift: every
   * threshold is calibrated to it for the window and the set of statistics (run-length.ts). null:
   * the plain per-window tests at `alpha` (which alarm far more often on a long stream).
   * Default 200,000.
   */
  expectedRunLength?: number | null;
  /**
   * When the reference carries no calibration for these settings: calibrate at construction
   * (true, the default; a few seconds) or throw RUN_LENGTH_UNCALIBRATED (false).
   */
  calibrate?: boolean;
  /** Options of any statistic, by name (e.g. `{ wasserstein: { floor: 0.05 } }`), over the floors above. */
  statistics?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export type ResolvedAlarmOptions = Readonly<Required<AlarmOptions>>;

export interface AlarmDecision {
  alarm: boolean;
  statistic: DriftStatisticName;
  /** The statistic's value (PSI, Pearson's X², KS D, ...). */
  value: number;
  /** The critical value `value` must exceed (when the effect is the value itself, the larger of critical value and floor). */
  threshold: number;
  /** The effect size checked against its floor (PSI, JS distance, KS D, ...). */
  effect: { value: number; floor: number };
  /** One line a person can read: why it alarms or not. */
  reason: string;
}

export const ALARM_DEFAULTS: ResolvedAlarmOptions = Object.freeze({
  alpha: 0.001,
  psiFloor: 0.1,
  jsFloor: 0.1,
  ksFloor: 0.1,
  minSamples: 30,
  expectedRunLength: 200_000,
  calibrate: true,
  statistics: Object.freeze({}),
});

/** Fills defaults and validates; throws INVALID_OPTION naming the valid range. */
export function resolveAlarmOptions(options: AlarmOptions = {}): ResolvedAlarmOptions {
  const resolved = { ...ALARM_DEFAULTS, ...stripUndefined(options) };
  if (!(resolved.alpha > 0 && resolved.alpha < 1)) {
    throw new GlassboxError('INVALID_OPTION', `alarm alpha must lie strictly between 0 and 1 (got ${resolved.alpha}).`);
  }
  for (const key of ['psiFloor', 'jsFloor', 'ksFloor'] as const) {
    const v = resolved[key];
    if (!(v >= 0) || !Number.isFinite(v)) {
      throw new GlassboxError('INVALID_OPTION', `alarm ${key} must be a finite number >= 0 (got ${v}).`);
    }
  }
  if (!Number.isInteger(resolved.minSamples) || resolved.minSamples < 1) {
    throw new GlassboxError('INVALID_OPTION', `alarm minSamples must be an integer >= 1 (got ${resolved.minSamples}).`);
  }
  const erl = resolved.expectedRunLength;
  if (erl !== null && !(erl >= 1 && Number.isFinite(erl))) {
    throw new GlassboxError('INVALID_OPTION', `alarm expectedRunLength must be a finite number >= 1, or null for per-window tests (got ${erl}).`);
  }
  return Object.freeze(resolved);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A statistic's options under these alarm options: defaults, the named floors, then `statistics[name]`. */
export function alarmStatisticOptions(plugin: DriftStatisticPlugin, options: ResolvedAlarmOptions) {
  const floor = { psi: options.psiFloor, 'chi-square': options.jsFloor, ks: options.ksFloor }[plugin.name];
  const named = floor !== undefined && plugin.options?.floor ? { floor } : {};
  return resolvePluginOptions(plugin, { ...named, ...options.statistics[plugin.name] });
}

/** Whether a statistic has an alarm rule: an `alarmThreshold` or a numeric `threshold` option. */
export const hasAlarmRule = (plugin: DriftStatisticPlugin): boolean =>
  typeof plugin.alarmThreshold === 'function' || typeof plugin.options?.threshold?.default === 'number';

const fmt = (x: number): string => (Number.isFinite(x) ? Number(x.toPrecision(3)).toString() : String(x));

/** What one rule judges: the statistic's value and effect size, and the sample sizes. */
export interface AlarmInput {
  value: number;
  /** Default: the value. */
  effect?: number;
  n: number;
  m: number;
  /** Bins holding data on either side. */
  bins: number;
}

/**
 * One statistic's alarm rule: value above its critical value and effect at least its floor. A
 * `multiplier` (the run-length calibration's) scales the per-window critical value at `alpha`.
 */
export function statisticAlarm(plugin: DriftStatisticPlugin, input: AlarmInput, options: ResolvedAlarmOptions = ALARM_DEFAULTS, multiplier?: number): AlarmDecision {
  const opts = alarmStatisticOptions(plugin, options);
  const floor = typeof opts.floor === 'number' ? opts.floor : 0;
  const { value, n, m } = input;
  const ownEffect = !plugin.effect;
  const effect = { value: input.effect ?? value, floor };
  const statistic = plugin.name;
  if (n < options.minSamples || m <= 0) {
    const reason = m > 0 ? `window holds ${n} < ${options.minSamples} predictions` : 'reference is empty';
    return { alarm: false, statistic, value, threshold: Infinity, effect, reason };
  }
  const base = plugin.alarmThreshold
    ? plugin.alarmThreshold({ current: n, reference: m, bins: input.bins, alpha: options.alpha }, opts)
    : typeof opts.threshold === 'number'
      ? opts.threshold
      : Infinity;
  const critical = (multiplier ?? 1) * base;
  const significant = value > critical;
  const alarm = significant && effect.value >= floor;
  const level = multiplier === undefined ? `alpha ${options.alpha}` : `run length ${options.expectedRunLength}`;
  const sizes = `(${level}, n ${n}, m ${m})`;
  const what = ownEffect ? '' : ` and effect ${fmt(effect.value)}`;
  const reason = alarm
    ? `${statistic} ${fmt(value)} > critical ${fmt(critical)} ${sizes}${what} >= floor ${floor}`
    : !significant
      ? `${statistic} ${fmt(value)} <= critical ${fmt(critical)} ${sizes}`
      : `${statistic} ${fmt(value)} is significant but ${ownEffect ? 'below' : `effect ${fmt(effect.value)} is below`} floor ${floor}`;
  return { alarm, statistic, value, threshold: ownEffect ? Math.max(critical, floor) : critical, effect, reason };
}

const legacy = (stats: DriftStatistics) => ({ n: stats.n, m: stats.m, bins: stats.chiSquare.df + 1 });

/** PSI above its sample-size-aware critical value and at least `psiFloor`. */
export function psiAlarm(stats: DriftStatistics, options: ResolvedAlarmOptions = ALARM_DEFAULTS): AlarmDecision {
  return statisticAlarm(psi, { value: stats.psi, ...legacy(stats) }, options);
}

/** Chi-square homogeneity p-value below `alpha` and JS distance at least `jsFloor`. */
export function chiSquareAlarm(stats: DriftStatistics, options: ResolvedAlarmOptions = ALARM_DEFAULTS): AlarmDecision {
  return statisticAlarm(chiSquare, { value: stats.values['chi-square'] ?? stats.chiSquare.statistic, effect: stats.jsDistance, ...legacy(stats) }, options);
}

/** Bucketed KS D above c(α) sqrt((n + m) / (n m)) and at least `ksFloor`. */
export function ksAlarm(stats: DriftStatistics, options: ResolvedAlarmOptions = ALARM_DEFAULTS): AlarmDecision {
  return statisticAlarm(ks, { value: stats.ks, ...legacy(stats) }, options);
}

let builtins: PluginRegistry<DriftStatisticPlugin> | undefined;

/**
 * The rules of every registered statistic that applies to the signal and has an alarm rule, in
 * registration order (built-ins: PSI and KS for ordered buckets, PSI and chi-square for labels),
 * each critical value scaled by its run-length `multipliers` entry when given.
 */
export function evaluateAlarms(
  stats: DriftStatistics,
  kind: SignalKind,
  options: ResolvedAlarmOptions = ALARM_DEFAULTS,
  statistics: PluginRegistry<DriftStatisticPlugin> = (builtins ??= builtinDriftStatistics()),
  multipliers?: Readonly<Record<string, number>>,
): AlarmDecision[] {
  const signal = kind === 'ordinal' ? 'numeric' : 'categorical';
  return statistics
    .entries()
    .map(({ plugin }) => plugin)
    .filter((plugin) => plugin.signals.includes(signal) && hasAlarmRule(plugin) && stats.values[plugin.name] !== undefined)
    .map((plugin) =>
      statisticAlarm(plugin, { value: stats.values[plugin.name], effect: stats.effects[plugin.name], n: stats.n, m: stats.m, bins: stats.bins }, options, multipliers?.[plugin.name]),
    );
}
