import { GlassboxError } from '@glassbox/core';
import { chiSquareQuantile } from './chi-square.js';
import type { DriftStatistics } from './drift-statistics.js';

/**
 * Sample-size-aware drift alarms. Each rule asks two questions and alarms only when both say yes:
 *
 * 1. Is the difference more than chance? A significance test at level `alpha`, so a small window
 *    (where PSI, JS and KS are large by chance) does not alarm on noise.
 * 2. Is it big enough to matter? An effect-size floor, so a huge window does not alarm on a
 *    statistically real but negligible shift.
 *
 * - PSI: under no drift, PSI ~ (1/n + 1/m) χ²(B - 1) (PSI is the symmetrised KL divergence,
 *   which to second order is Pearson's X² / (n m / (n + m))). Critical value
 *   (1/n + 1/m) χ²_{1-α}(B - 1), with B the bins holding data on either side; floor 0.1
 *   (the conventional "moderate shift").
 * - Chi-square (labels): homogeneity p-value < α and Jensen-Shannon distance >= floor (0.1,
 *   the Evidently / NannyML default).
 * - KS (ordered buckets): D > c(α) sqrt((n + m) / (n m)) with c(α) = sqrt(-ln(α / 2) / 2);
 *   on buckets D is a lower bound of the exact KS, so the test is slightly conservative.
 *
 * No rule alarms on a window with fewer than `minSamples` predictions: the chi-square
 * approximations behind all three need a few observations per bin.
 */

export type DriftStatisticName = 'psi' | 'chi-square' | 'ks';

/** Whether bins are ordered (bucketed numbers: PSI and KS apply) or nominal (labels: PSI and chi-square). */
export type SignalKind = 'ordinal' | 'nominal';

export interface AlarmOptions {
  /** Significance level of every test (per window evaluation). Default 0.001. */
  alpha?: number;
  /** PSI effect floor. Default 0.1. */
  psiFloor?: number;
  /** Jensen-Shannon distance floor for the chi-square rule. Default 0.1. */
  jsFloor?: number;
  /** KS D floor. Default 0.1. */
  ksFloor?: number;
  /** Windows smaller than this never alarm. Default 30. */
  minSamples?: number;
}

export type ResolvedAlarmOptions = Readonly<Required<AlarmOptions>>;

export interface AlarmDecision {
  alarm: boolean;
  statistic: DriftStatisticName;
  /** The test statistic: PSI, Pearson's X², or KS D. */
  value: number;
  /** The critical value `value` must exceed (for PSI and KS, the larger of critical value and floor). */
  threshold: number;
  /** The effect size checked against its floor (PSI, JS distance, KS D). */
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
  return Object.freeze(resolved);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const quantiles = new Map<string, number>();

/** χ²_{1-α}(df), memoised (a window re-evaluates with the same α and df many times). */
function criticalChiSquare(alpha: number, df: number): number {
  const key = `${alpha}:${df}`;
  let q = quantiles.get(key);
  if (q === undefined) {
    q = chiSquareQuantile(1 - alpha, df);
    quantiles.set(key, q);
  }
  return q;
}

function tooFew(stats: DriftStatistics, statistic: DriftStatisticName, value: number, floor: number, effect: number, options: ResolvedAlarmOptions): AlarmDecision | null {
  if (stats.n >= options.minSamples && stats.m > 0) return null;
  return {
    alarm: false,
    statistic,
    value,
    threshold: Infinity,
    effect: { value: effect, floor },
    reason: stats.m > 0 ? `window holds ${stats.n} < ${options.minSamples} predictions` : 'reference is empty',
  };
}

const fmt = (x: number): string => (Number.isFinite(x) ? Number(x.toPrecision(3)).toString() : String(x));

/** PSI above its sample-size-aware critical value and at least `psiFloor`. */
export function psiAlarm(stats: DriftStatistics, options: ResolvedAlarmOptions = ALARM_DEFAULTS): AlarmDecision {
  const skip = tooFew(stats, 'psi', stats.psi, options.psiFloor, stats.psi, options);
  if (skip) return skip;
  const df = Math.max(1, stats.chiSquare.df);
  const critical = (1 / stats.n + 1 / stats.m) * criticalChiSquare(options.alpha, df);
  const alarm = stats.psi > critical && stats.psi >= options.psiFloor;
  const reason = alarm
    ? `PSI ${fmt(stats.psi)} > critical ${fmt(critical)} (alpha ${options.alpha}, n ${stats.n}, m ${stats.m}) and >= floor ${options.psiFloor}`
    : stats.psi <= critical
      ? `PSI ${fmt(stats.psi)} <= critical ${fmt(critical)} (alpha ${options.alpha}, n ${stats.n}, m ${stats.m})`
      : `PSI ${fmt(stats.psi)} is significant but below floor ${options.psiFloor}`;
  return {
    alarm,
    statistic: 'psi',
    value: stats.psi,
    threshold: Math.max(critical, options.psiFloor),
    effect: { value: stats.psi, floor: options.psiFloor },
    reason,
  };
}

/** Chi-square homogeneity p-value below `alpha` and JS distance at least `jsFloor`. */
export function chiSquareAlarm(stats: DriftStatistics, options: ResolvedAlarmOptions = ALARM_DEFAULTS): AlarmDecision {
  const { statistic, df, pValue } = stats.chiSquare;
  const skip = tooFew(stats, 'chi-square', statistic, options.jsFloor, stats.jsDistance, options);
  if (skip) return skip;
  const critical = df > 0 ? criticalChiSquare(options.alpha, df) : Infinity;
  const significant = pValue < options.alpha;
  const alarm = significant && stats.jsDistance >= options.jsFloor;
  const reason = alarm
    ? `chi-square ${fmt(statistic)} (df ${df}, p ${fmt(pValue)} < ${options.alpha}) and JS distance ${fmt(stats.jsDistance)} >= ${options.jsFloor}`
    : !significant
      ? `chi-square ${fmt(statistic)} (df ${df}, p ${fmt(pValue)} >= ${options.alpha})`
      : `significant (p ${fmt(pValue)}) but JS distance ${fmt(stats.jsDistance)} < floor ${options.jsFloor}`;
  return {
    alarm,
    statistic: 'chi-square',
    value: statistic,
    threshold: critical,
    effect: { value: stats.jsDistance, floor: options.jsFloor },
    reason,
  };
}

/** Bucketed KS D above c(α) sqrt((n + m) / (n m)) and at least `ksFloor`. */
export function ksAlarm(stats: DriftStatistics, options: ResolvedAlarmOptions = ALARM_DEFAULTS): AlarmDecision {
  const skip = tooFew(stats, 'ks', stats.ks, options.ksFloor, stats.ks, options);
  if (skip) return skip;
  const c = Math.sqrt(-Math.log(options.alpha / 2) / 2);
  const critical = c * Math.sqrt((stats.n + stats.m) / (stats.n * stats.m));
  const alarm = stats.ks > critical && stats.ks >= options.ksFloor;
  const reason = alarm
    ? `KS D ${fmt(stats.ks)} > critical ${fmt(critical)} (alpha ${options.alpha}) and >= floor ${options.ksFloor}`
    : stats.ks <= critical
      ? `KS D ${fmt(stats.ks)} <= critical ${fmt(critical)} (alpha ${options.alpha}, n ${stats.n}, m ${stats.m})`
      : `KS D ${fmt(stats.ks)} is significant but below floor ${options.ksFloor}`;
  return {
    alarm,
    statistic: 'ks',
    value: stats.ks,
    threshold: Math.max(critical, options.ksFloor),
    effect: { value: stats.ks, floor: options.ksFloor },
    reason,
  };
}

/** The rules that apply to a signal: PSI and KS for ordered buckets, PSI and chi-square for labels. */
export function evaluateAlarms(stats: DriftStatistics, kind: SignalKind, options: ResolvedAlarmOptions = ALARM_DEFAULTS): AlarmDecision[] {
  return kind === 'ordinal' ? [psiAlarm(stats, options), ksAlarm(stats, options)] : [psiAlarm(stats, options), chiSquareAlarm(stats, options)];
}
